"""Per-condition result cache: event conditions materialised once, recombined on every edit.

Editing one condition of a segment then re-counts by re-running only that condition: each
event condition's members are kept as an id table in an in-memory database attached to the
snapshot connection, keyed by the condition itself, and the recount joins those tables with
the (cheap) attribute conditions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlglot import exp

from queries.segments.model import EventCond

MEM_DB = "kz_mem"


def event_key(node: EventCond) -> str:
    """The key of a condition's per-customer event table: its source, filter and window, and
    the aggregate's function and field, but not the thresholds compared against them."""
    agg = node.aggregate
    parts = (node.event, node.where, node.within, (agg.fn, agg.field) if agg else None)
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()[:16]


def _canonical(node: object) -> str:
    """repr without the line numbers that differ between otherwise equal nodes."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        parts = [
            f"{f.name}={_canonical(getattr(node, f.name))}"
            for f in dataclasses.fields(node)
            if f.name != "line"
        ]
        return f"{type(node).__name__}({', '.join(parts)})"
    if isinstance(node, (list, tuple)):
        return "[" + ", ".join(_canonical(x) for x in node) + "]"
    if isinstance(node, dict):
        return "{" + ", ".join(f"{k!r}: {_canonical(v)}" for k, v in node.items()) + "}"
    return repr(node)


@dataclass
class Entry:
    table: str
    rows: int


class ConditionCache:
    """LRU of materialised event-condition member tables for one snapshot connection."""

    def __init__(self, max_entries: int = 48):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def table_for(self, key: str) -> exp.Table:
        return exp.Table(
            this=exp.to_identifier(f"c_{key}", quoted=True),
            db=exp.to_identifier(MEM_DB, quoted=True),
        )

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return entry

    def put(self, key: str, rows: int) -> list[str]:
        """Record a materialised table; return the tables evicted (to drop)."""
        with self._lock:
            self.misses += 1
            self._entries[key] = Entry(f"c_{key}", rows)
            self._entries.move_to_end(key)
            evicted = []
            while len(self._entries) > self.max_entries:
                _, old = self._entries.popitem(last=False)
                evicted.append(old.table)
            return evicted

    def clear(self) -> list[str]:
        """Forget every entry; return their tables (to drop)."""
        with self._lock:
            tables = [e.table for e in self._entries.values()]
            self._entries.clear()
            return tables

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries
