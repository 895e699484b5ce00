"""What the runner, the funnel and the export need of an open snapshot, on any engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Protocol

from queries.core.catalog import Catalog
from queries.core.workspace import Workspace
from queries.engines.base import Engine
from queries.query.condcache import ConditionCache


class OpenSnapshot(Protocol):
    """A snapshot opened read-only: the DuckDB file (`Snapshot`) or tables on another engine
    (`EngineSnapshot`); code above this layer is written against this, not either class."""

    @property
    def ws(self) -> Workspace: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def path(self) -> Path: ...

    @property
    def as_of(self) -> date: ...

    @property
    def cond_cache(self) -> ConditionCache: ...

    @property
    def meta_as_of(self) -> date: ...

    @property
    def base_size(self) -> int: ...

    @property
    def stale_days(self) -> int: ...

    @property
    def identity(self) -> Any: ...

    def cursor(self) -> Any: ...

    def close(self) -> None: ...
