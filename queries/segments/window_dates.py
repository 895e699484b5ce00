"""The calendar days a relative date condition covers, in words, for the as-of day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from queries.core.timewin import Window


def covered_days(op: str, value: Any, as_of: date) -> str | None:
    """`11-20 … 12-03` for `anniversary_within 14d` on 2026-11-20; None when not relative."""
    try:
        w = Window.parse(value)
    except ValueError:
        return None
    if op == "anniversary_within":
        last = as_of + timedelta(days=w.days(as_of) - 1)
        return f"{as_of:%m-%d} … {last:%m-%d}"
    if op == "in_last":
        return f"{w.start(as_of):%Y-%m-%d} … {as_of:%Y-%m-%d}"
    if op == "more_than_ago":
        return f"… {w.cutoff(as_of):%Y-%m-%d}"
    return None
