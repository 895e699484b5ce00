"""Operators per field type, the value each expects, and how values are checked."""

from __future__ import annotations

import math
from typing import Any

from queries.core.i18n import N_, _
from queries.core.timewin import Window
from queries.segments.model import as_date

COMMON = ["is_null", "is_not_null"]
OPS: dict[str, list[str]] = {
    "string": [
        "=",
        "!=",
        "in",
        "not_in",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        *COMMON,
    ],
    "number": ["=", "!=", "<", "<=", ">", ">=", "between", "in", "not_in", *COMMON],
    "boolean": ["is_true", "is_false", *COMMON],
    "date": [
        "before",
        "after",
        "on",
        "between",
        "in_last",
        "more_than_ago",
        "anniversary_within",
        "month_in",
        *COMMON,
    ],
}
OPS["timestamp"] = OPS["date"]
ALL_OPS = sorted({op for ops in OPS.values() for op in ops})
COMPARE_OPS = ["=", "!=", "<", "<=", ">", ">=", "between"]
AGG_FNS = ["sum", "avg", "min", "max", "count_distinct"]

# the complement twins: a negative operator selects exactly who its positive twin does not
NEGATIVE = {"!=": "=", "not_in": "in", "not_contains": "contains"}

# English msgids: show them through op_label() (translated where shown)
OP_LABELS = {
    "=": N_("is"),
    "!=": N_("is not"),
    "in": N_("is one of"),
    "not_in": N_("is none of"),
    "contains": N_("contains"),
    "not_contains": N_("does not contain"),
    "starts_with": N_("starts with"),
    "ends_with": N_("ends with"),
    "<": N_("<"),
    "<=": N_("≤"),
    ">": N_(">"),
    ">=": N_("≥"),
    "between": N_("between"),
    "is_true": N_("is true"),
    "is_false": N_("is false"),
    "is_null": N_("is empty"),
    "is_not_null": N_("is not empty"),
    "before": N_("before"),
    "after": N_("after"),
    "on": N_("on"),
    "in_last": N_("in the last"),
    "more_than_ago": N_("more than … ago"),
    "anniversary_within": N_("anniversary within"),
    "month_in": N_("month is one of"),
}


def op_label(op: str) -> str:
    """The operator as the active language says it (`is one of`, `のいずれか`)."""
    return _(OP_LABELS[op]) if op in OP_LABELS else op


def value_kind(type_: str, op: str) -> str:
    """What value an operator wants: none, scalar, list, pair, window, months."""
    if op in ("is_null", "is_not_null", "is_true", "is_false"):
        return "none"
    if op in ("in", "not_in"):
        return "list"
    if op == "between":
        return "pair"
    if op in ("in_last", "more_than_ago", "anniversary_within"):
        return "window"
    if op == "month_in":
        return "months"
    return "scalar"


def _scalar(type_: str, value: Any) -> Any:
    """Check one value against a field type and return it normalised; ValueError if wrong."""
    if type_ == "string":
        if isinstance(value, (bool, list, dict)) or value is None:
            raise ValueError(_("expected text, got `{value}`").format(value=value))
        return str(value)
    if type_ == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(_("expected a number, got `{value}`").format(value=value))
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(_("expected a finite number, got `{value}`").format(value=value))
        return value
    if type_ in ("date", "timestamp"):
        try:
            return as_date(value)
        except (ValueError, TypeError):
            raise ValueError(
                _("expected a date like 2026-11-01, got `{value}`").format(value=value)
            ) from None
    raise ValueError(_("`{type}` fields take no value").format(type=type_))


def check_value(type_: str, op: str, value: Any) -> Any:
    """Validate and normalise the value for (type, op); raise ValueError saying what is wrong."""
    kind = value_kind(type_, op)
    if kind == "none":
        if value is not None:
            raise ValueError(_("`{op}` takes no value").format(op=op))
        return None
    if value is None:
        raise ValueError(_("`{op}` needs a value").format(op=op))
    if kind == "scalar":
        return _scalar(type_, value)
    if kind == "list":
        if not isinstance(value, list) or not value:
            raise ValueError(_("`{op}` needs a non-empty list, like [a, b]").format(op=op))
        return [_scalar(type_, v) for v in value]
    if kind == "pair":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(_("`between` needs two values [low, high]"))
        lo, hi = (_scalar(type_, v) for v in value)
        if lo > hi:
            raise ValueError(_("`between` low {lo} is above high {hi}").format(lo=lo, hi=hi))
        return [lo, hi]
    if kind == "window":
        w = Window.parse(value)
        if op == "anniversary_within" and w.unit not in ("d", "w"):
            raise ValueError(_("`anniversary_within` takes days or weeks, like 7d"))
        return str(w)
    if kind == "months":
        if not isinstance(value, list) or not value:
            raise ValueError(_("`month_in` needs a list of months 1..12, like [12, 1, 2]"))
        for m in value:
            if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
                raise ValueError(_("`{m}` is not a month; use numbers 1..12").format(m=m))
        return list(value)
    raise AssertionError(kind)
