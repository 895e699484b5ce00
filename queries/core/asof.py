"""The snapshot's as-of day: reading it from engine values, and how stale it is."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from queries.core.workspace import Workspace


def to_date(value: object) -> date:
    """A DATE, TIMESTAMP or ISO text from any driver as a calendar day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class _Dated(Protocol):
    """What Staleness reads: an attribute or a (cached) property of either snapshot class."""

    @property
    def ws(self) -> Workspace: ...

    @property
    def meta_as_of(self) -> date: ...


def _days_since(day: date) -> int:
    return (datetime.now(timezone.utc).date() - day).days


class Staleness:
    """`stale_days` for a snapshot with `ws` and `meta_as_of` (DuckDB or engine)."""

    @property
    def stale_days(self: _Dated) -> int:
        return _days_since(self.meta_as_of)
