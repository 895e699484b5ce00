"""Cancellable database jobs: each runs on its own cursor, which `cancel()` interrupts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import duckdb

from queries.core.errors import QueryCancelled, SnapshotError


class Rows(Protocol):
    """An executed query whose rows can be fetched."""

    def fetchall(self) -> list[Any]: ...


class Cursor(Protocol):
    """What a Job drives: a DuckDB cursor, or a `JobCursor` over another engine."""

    def execute(self, query: str, /) -> Rows: ...

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


C = TypeVar("C", bound=Cursor)


class Job:
    """A cancel token for one piece of database work (possibly several queries)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursor: Cursor | None = None
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the job: interrupt the query running now and refuse the next ones."""
        with self._lock:
            self.cancelled = True
            cur = self._cursor
        if cur is not None:
            threading.Thread(target=self._interrupt_until_done, args=(cur,), daemon=True).start()

    def _interrupt_until_done(self, cur: Cursor) -> None:
        """Interrupt until run() lets go of the cursor (one sent before a query starts is lost)."""
        while True:
            with self._lock:
                if self._cursor is not cur:
                    return
            try:
                cur.interrupt()
            except duckdb.Error:
                return
            time.sleep(0.02)

    @contextmanager
    def claim(self, cursor_factory: Callable[[], C]) -> Iterator[C]:
        """A fresh cursor that cancel() interrupts; DuckDB errors become Kizuna errors."""
        cur = cursor_factory()
        with self._lock:
            if self.cancelled:
                cur.close()
                raise QueryCancelled("cancelled")
            self._cursor = cur
        try:
            yield cur
            if self.cancelled:
                raise QueryCancelled("cancelled")
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

    def run(self, cursor_factory: Callable[[], Cursor], sql: str) -> list[Any]:
        """Execute `sql` on a fresh cursor and fetch every row, unless cancelled."""
        with self.claim(cursor_factory) as cur:
            rows = cur.execute(sql).fetchall()
        return rows

    def stream(
        self, cursor_factory: Callable[[], duckdb.DuckDBPyConnection], sql: str, size: int
    ) -> Iterator[list[tuple]]:
        """Fetch a query's rows in batches of `size`, checking for cancel between batches."""
        with self.claim(cursor_factory) as cur:
            cur.execute(sql)
            while True:
                if self.cancelled:
                    raise QueryCancelled("cancelled")
                rows = cur.fetchmany(size)
                if not rows:
                    return
                yield rows
