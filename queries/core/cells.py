"""Spreadsheet cells: which values a spreadsheet would run as a formula, and how to defuse them."""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def formula_like(value: Any) -> bool:
    """A text a spreadsheet would evaluate: starts with = + - @ TAB CR and is not a number."""
    return (
        isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)
    )


def neutralise(text: str | None) -> str | None:
    """The cell as a spreadsheet-bound preset writes it: a leading `'` before a formula."""
    return "'" + text if text and text.startswith(FORMULA_START) else text
