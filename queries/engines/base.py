"""The engine contract: where Kizuna's SQL runs, and in which dialect.

An engine runs SQL that the runner rendered for `engine.dialect` (`engine.run(sql, job)`),
keeps the derived customer features where its queries can join them (`features_table`), and
writes large results to files itself (`engine.write`) so a distributed engine never brings an
audience back to the driver. DuckDB is the embedded default; Spark and the DB-API warehouses
(Postgres, Trino, BigQuery, Snowflake) are optional extras whose client libraries are imported
only inside their own modules.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from queries.core.errors import KizunaError, QueryCancelled
from queries.core.i18n import _
from queries.engines.errors import EngineError
from queries.engines.jobs import Job

FEATURES_NAME = "kz_features"


class JobCursor:
    """Lets a cancellable `Job` drive any engine through its public `run()`.

    `Job.run` calls execute → fetchall → close and, on cancel, `interrupt()` every 20 ms until
    the query lets go; the engine's own cancel is sent at most every half second.
    """

    def __init__(
        self,
        job: Job,
        kind: str,
        execute: Callable[[str], list[tuple]],
        interrupt: Callable[[], None] | None,
    ):
        self.job, self.kind = job, kind
        self._execute, self._interrupt = execute, interrupt
        self._last_interrupt = 0.0
        self.rows: list[tuple] = []

    def execute(self, sql: str) -> JobCursor:
        try:
            self.rows = self._execute(sql)
        except KizunaError:
            raise
        except Exception as exc:
            if self.job.cancelled:
                raise QueryCancelled("cancelled") from None
            raise EngineError(f"query failed on {self.kind}: {first_line(exc)}") from None
        return self

    def fetchall(self) -> list[tuple]:
        return self.rows

    def interrupt(self) -> None:
        now = time.monotonic()
        if self._interrupt is None or now - self._last_interrupt < 0.5:
            return
        self._last_interrupt = now
        try:
            self._interrupt()
        except Exception:  # a cancel that cannot be delivered must not break the caller
            pass

    def close(self) -> None:
        pass


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _read_parquet_rows(files: list[str], columns: list[tuple[str, str]]) -> list[tuple]:
    """Rows of local Parquet files, read with an in-memory DuckDB (no snapshot involved)."""
    import duckdb

    cols = ", ".join(f'CAST("{n}" AS {t}) AS "{n}"' for n, t in columns)
    con = duckdb.connect(":memory:")
    try:
        return con.execute(f"SELECT {cols} FROM read_parquet(?)", [list(files)]).fetchall()
    finally:
        con.close()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400]


class Engine:
    """Base class: subclasses implement `_query`, `_statement` and `write` (and may `prepare`)."""

    kind = "engine"
    dialect = "duckdb"
    distributed = False  # results stay on the engine; only small answers come back
    cond_cache = False  # supports the per-condition member cache (DuckDB's in-memory tables)
    local = False  # runs in this process on the snapshot file: COPY writes files beside it
    max_collect = 200_000  # refuse to bring back more rows than this through run()

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._features_build: Callable[[], exp.Select] | None = None
        self._features_ready = False
        self._progress: Callable[[str], None] | None = None
        self.features_built_s = 0.0
        self._registered: dict[str, tuple] = {}

    # -- where things are ------------------------------------------------------------------
    def describe(self) -> str:
        """A short label for headers and manifests, e.g. `spark local[2]`."""
        return self.kind

    def locations(self, tables: dict[str, str]) -> dict[str, str]:
        """Logical table → physical name on this engine, given the workspace's [tables]."""
        return dict(tables)

    @property
    def features_table(self) -> exp.Table:
        return exp.Table(this=exp.to_identifier(FEATURES_NAME, quoted=True))

    # -- features ----------------------------------------------------------------------------
    def defer_features(
        self, build: Callable[[], exp.Select], progress: Callable[[str], None] | None = None
    ) -> None:
        """Materialise the features (the select `build()` returns) before the first query."""
        self._features_build, self._progress = build, progress
        self._features_ready = False

    def ensure_features(self) -> None:
        with self._lock:
            if self._features_ready or self._features_build is None:
                return
            if self._progress:
                self._progress(
                    _("Computing customer features on {engine} …").format(engine=self.describe())
                )
            start = time.perf_counter()
            self.materialise_features(self._features_build())
            self.features_built_s = time.perf_counter() - start
            self._features_ready = True

    def materialise_features(self, select: exp.Select) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- SQL ---------------------------------------------------------------------------------
    def prepare(self, query: exp.Expr) -> exp.Expr:
        """The query as it runs here (an engine that inlines the features adds its CTE)."""
        return query

    def render(self, query: exp.Expr, pretty: bool = False) -> str:
        from queries.engines.dialects import render

        return render(self.prepare(query), self.dialect, pretty)

    def run(self, sql: str, job: Job | None = None) -> list[tuple]:
        """Run one query and fetch its (small) result, cancellable through `job`."""
        self.ensure_features()
        job = job or Job()
        state: dict[str, Any] = {}

        def execute(text: str) -> list[tuple]:
            with self._lock:
                if job.cancelled:
                    raise QueryCancelled("cancelled")
                rows = self._query(text, state, self.max_collect + 1)
            if len(rows) > self.max_collect:
                raise EngineError(
                    f"the query returned more than {self.max_collect:,} rows on {self.kind}; "
                    "large audiences stay on the engine (an export streams them to its files)"
                )
            return rows

        return job.run(lambda: JobCursor(job, self.kind, execute, lambda: self._cancel(state)), sql)

    def stream(self, sql: str, job: Job | None = None, size: int = 10_000) -> Iterator[list[tuple]]:
        """Rows in batches (for exports on engines that are not distributed)."""
        self.ensure_features()
        raise EngineError(f"streaming rows is not available on {self.kind}")

    def statement(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL); `run` is for queries with rows."""
        with self._lock:
            self._statement(sql)

    # -- workspace data and intermediate results --------------------------------------------
    def register_parquet(self, name: str, files: list[str], columns: list[tuple[str, str]]) -> None:
        """Make local Parquet files (the contact ledger) a table `name` on this engine.

        `columns` are (name, DuckDB type) pairs. Loaded once per set of files: a file that
        changed (size or mtime) loads them again.
        """
        signature = tuple((f, *_stat(f)) for f in files)
        if self._registered.get(name) == signature:
            return
        rows = _read_parquet_rows(files, columns)
        with self._lock:
            self._load_rows(name, columns, rows)
        self._registered[name] = signature

    def materialise(self, name: str, select: exp.Select, job: Job | None = None) -> exp.Expr:
        """Compute `select` once where the engine keeps results; returns what to read it from.

        A temporary table (Postgres, Snowflake), a cached view (Spark), an in-memory table
        (DuckDB); engines without either get the query back as a derived table.
        """
        return select.subquery(name)

    def drop(self, relation: exp.Expr) -> None:
        """Forget what `materialise` made."""

    def _load_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        raise EngineError(f"loading workspace data into {self.kind} is not available")

    # -- for subclasses ----------------------------------------------------------------------
    def _query(self, sql: str, state: dict[str, Any], limit: int) -> list[tuple]:
        raise NotImplementedError

    def _statement(self, sql: str) -> None:
        raise NotImplementedError

    def _cancel(self, state: dict[str, Any]) -> None:
        """Interrupt the query described by `state` (filled in by `_query`)."""

    def close(self) -> None:
        pass
