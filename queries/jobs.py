"""Cancellable database jobs: each runs on its own cursor, which `cancel()` interrupts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import duckdb

from .errors import QueryCancelled, SnapshotError


class Job:
    """A cancel token for one piece of database work (possibly several queries)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the job: interrupt the query running now and refuse the next ones."""
        with self._lock:
            self.cancelled = True
            cur = self._cursor
        if cur is not None:
            try:
                cur.interrupt()
            except duckdb.Error:
                pass

    def run(self, cursor_factory: Callable[[], duckdb.DuckDBPyConnection], sql: str) -> list[Any]:
        """Execute `sql` on a fresh cursor and fetch every row, unless cancelled."""
        cur = cursor_factory()
        with self._lock:
            if self.cancelled:
                cur.close()
                raise QueryCancelled("cancelled")
            self._cursor = cur
        try:
            return cur.execute(sql).fetchall()
        except duckdb.InterruptException:
            raise QueryCancelled("cancelled") from None
        except duckdb.Error as exc:
            if self.cancelled:
                raise QueryCancelled("cancelled") from None
            raise SnapshotError(f"query failed: {exc}") from None
        finally:
            with self._lock:
                self._cursor = None
            cur.close()
