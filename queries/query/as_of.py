"""The snapshot's as-of day when kizuna.toml does not set one: one rule for every engine.

snapshot_meta.as_of when the table has it, else the latest event of any kind (orders, web
events, messages, sign-ups), else the workspace's `as_of`; a snapshot with none is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlglot import exp

from queries.core.asof import to_date
from queries.core.catalog import Mapping
from queries.core.errors import SnapshotError

EVENT_CLOCKS = (
    ("orders", "ordered_at"),
    ("web_events", "event_at"),
    ("messages", "sent_at"),
    ("customers", "signup_at"),
)


def read_as_of(
    mapping: Mapping,
    has: Callable[[str, str], bool],
    scalar: Callable[[exp.Select], Any],
    fallback: date | None,
    name: str,
) -> date:
    """The as-of day; `scalar` runs a one-value query on the engine (None when the table is
    missing), `has` says whether the snapshot has a table's column."""
    meta = exp.select(exp.func("max", mapping.col("snapshot_meta", "as_of", "t"))).from_(
        mapping.table("snapshot_meta", "t")
    )
    value = scalar(meta)  # None when the snapshot has no snapshot_meta
    if value is not None:
        return to_date(value)
    latest = []
    for table, col in EVENT_CLOCKS:
        if not has(table, col):
            continue
        q = exp.select(exp.func("max", mapping.col(table, col, "t"))).from_(
            mapping.table(table, "t")
        )
        value = scalar(q)
        if value is not None:
            latest.append(to_date(value))
    if latest:
        return max(latest)
    if fallback is not None:
        return fallback
    raise SnapshotError(
        f"{name} has no as-of date and no events; "
        "set as_of under [snapshot] in kizuna.toml or pass --as-of"
    )
