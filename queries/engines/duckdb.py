"""The embedded default: the read-only DuckDB snapshot, one fresh cursor per job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.engines.base import Engine
from queries.engines.jobs import Job


class DuckDBEngine(Engine):
    """Runs on the snapshot's own connection; features come from the workspace cache file.

    `cursor` opens a fresh cursor on the read-only snapshot connection; `features` is the
    attached features table and `scratch` the in-memory database for materialised tables."""

    kind = "duckdb"
    dialect = "duckdb"
    cond_cache = True
    local = True

    def __init__(
        self, cursor: Callable[[], Any], path: Path, features: exp.Table, scratch: str
    ) -> None:
        super().__init__()
        self.cursor, self.path = cursor, Path(path)
        self.features, self.scratch = features, scratch

    def describe(self) -> str:
        return f"duckdb {self.path.name}"

    @property
    def features_table(self) -> exp.Table:
        return self.features.copy()

    def run(self, sql: str, job: Job | None = None) -> list[tuple]:
        return (job or Job()).run(self.cursor, sql)

    def stream(self, sql: str, job: Job | None = None, size: int = 10_000) -> Iterator[list[tuple]]:
        """Batches from one cursor the job can interrupt (Job.stream)."""
        yield from (job or Job()).stream(self.cursor, sql, size)

    def statement(self, sql: str) -> None:
        self.run(sql)

    def materialise(self, name: str, select: exp.Select, job: Job | None = None) -> exp.Expr:
        """An in-memory table beside the read-only snapshot (it dies with the process)."""
        table = exp.Table(
            this=exp.to_identifier(name, quoted=True),
            db=exp.to_identifier(self.scratch, quoted=True),
        )
        self.run(f"CREATE OR REPLACE TABLE {table.sql('duckdb')} AS {select.sql('duckdb')}", job)
        return table

    def drop(self, relation: exp.Expr) -> None:
        if isinstance(relation, exp.Table):
            try:
                self.run(f"DROP TABLE IF EXISTS {relation.sql('duckdb')}")
            except Exception:  # the table dies with the process anyway
                pass
