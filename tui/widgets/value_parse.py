"""Typed text → condition values, with reasons a person can act on (no Textual here).

Full-width digits and Japanese commas (、) typed through an IME are accepted: `５，０００`
is 5000 and `東京都、大阪府` is two values.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from queries.core.catalog import CURRENCY_SYMBOLS
from queries.core.i18n import _
from queries.segments.ops import check_value

LIST_SPLIT = re.compile(r"[,、，]")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_number(text: str) -> int | float:
    raw = _nfkc(text).replace(",", "").replace("_", "").replace(" ", "")
    raw = raw.strip("".join(CURRENCY_SYMBOLS.values()))  # ¥5,000 · $12.50 · €9: any currency
    if not raw:
        raise ValueError(_("enter a number"))
    if re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(_("`{text}` is not a number").format(text=text.strip())) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(_("`{text}` is not a number").format(text=text.strip()))
    return value


def parse_date(text: str) -> str:
    raw = _nfkc(text).replace("/", "-")
    if not raw:
        raise ValueError(_("enter a date like 2026-11-01"))
    try:
        return date.fromisoformat(raw[:10] if len(raw) > 10 else raw).isoformat()
    except ValueError:
        raise ValueError(
            _("`{text}` is not a date; write YYYY-MM-DD").format(text=text.strip())
        ) from None


def parse_scalar(type_: str, text: str) -> Any:
    """One value of a field type from what was typed; ValueError says what is wrong."""
    if type_ == "number":
        return parse_number(text)
    if type_ in ("date", "timestamp"):
        return parse_date(text)
    value = text.strip()
    if not value:
        raise ValueError(_("enter a value"))
    return value


def split_list(text: str) -> list[str]:
    return [part.strip() for part in LIST_SPLIT.split(text) if part.strip()]


def parse_list(type_: str, text: str) -> list[Any]:
    return [parse_scalar(type_, part) for part in split_list(text)]


def parse_window(text: str) -> str:
    raw = _nfkc(text).lower().replace(" ", "")
    if not raw:
        raise ValueError(_("enter a window like 30d, 2w, 6mo or 1y"))
    return raw


def format_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_list(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(format_scalar(v) for v in value)
    return format_scalar(value)


def checked(type_: str, op: str, value: Any) -> Any:
    """Run the engine's own check (the same one the YAML parser uses)."""
    check_value(type_, op, value)
    return value


def default_op(type_: str) -> str:
    return {"string": "in", "number": ">=", "boolean": "is_true"}.get(type_, "in_last")
