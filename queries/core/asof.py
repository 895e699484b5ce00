"""The snapshot's as-of day: reading it from engine values, and how stale it is."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any


def to_date(value: object) -> date:
    """A DATE, TIMESTAMP or ISO text from any driver as a calendar day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class Staleness:
    """`stale_days` / `is_stale` for a snapshot with `ws` and `meta_as_of` (DuckDB or engine)."""

    ws: Any
    meta_as_of: date

    @property
    def stale_days(self) -> int:
        return (datetime.now(timezone.utc).date() - self.meta_as_of).days

    @property
    def is_stale(self) -> bool:
        return self.stale_days > self.ws.stale_after_days
