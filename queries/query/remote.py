"""A snapshot that lives in another engine (Spark, a warehouse): the same answers as Snapshot.

It carries what the runner and the screens read from a DuckDB Snapshot — catalog, as-of,
base size, identity — with the features computed inside the engine before the first query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.core.asof import Staleness
from queries.core.catalog import Catalog, build_catalog
from queries.core.workspace import Workspace
from queries.engines.base import Engine
from queries.engines.errors import EngineError
from queries.query.as_of import read_as_of
from queries.query.condcache import ConditionCache
from queries.query.features import features_select


class EngineSnapshot(Staleness):
    """The snapshot's tables on `engine`, under the workspace's catalog and as-of."""

    def __init__(
        self,
        ws: Workspace,
        engine: Engine,
        catalog: Catalog | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        from queries.query.snapshot import SnapshotIdentity

        self.ws, self.engine = ws, engine
        try:
            self.catalog = catalog or build_catalog(ws, locations=engine.locations(ws.tables))
            self.path = Path(engine.describe())
            self.as_of: date = ws.as_of or self.meta_as_of
            if ws.as_of is not None:
                self.catalog.base_as_of = ws.as_of
        except Exception:
            engine.close()
            raise
        self.identity = SnapshotIdentity(engine.describe(), 0, 0, self.as_of)
        self.cond_cache = ConditionCache()  # unused: event conditions are recomputed each time
        engine.defer_features(lambda: features_select(self.catalog, self.as_of), progress)

    def _scalar(self, query: exp.Select) -> Any:  # a value as the engine's driver returns it
        rows = self.engine.run(self.engine.render(query))
        return rows[0][0] if rows else None

    @cached_property
    def meta_as_of(self) -> date:
        """snapshot_meta.as_of on the engine, else the latest event (the same rule as DuckDB's)."""

        def scalar(query: exp.Select) -> Any:
            try:
                return self._scalar(query)
            except EngineError:
                return None  # no such table on this engine

        name = self.engine.describe()
        return read_as_of(self.catalog.mapping, self.catalog.has, scalar, self.ws.as_of, name)

    @cached_property
    def base_size(self) -> int:
        q = exp.select(exp.func("count", exp.Star())).from_(self.catalog.customers)
        base = self.catalog.base_condition()
        if base is not None:
            q = q.where(base)
        return int(self._scalar(q) or 0)

    @property
    def features_built_s(self) -> float:
        return self.engine.features_built_s

    def cursor(self):
        raise EngineError(
            f"this needs the DuckDB engine; the session runs on {self.engine.describe()} "
            "(run it through the runner, or open the workspace with --engine duckdb)"
        )

    def close(self) -> None:
        self.engine.close()
