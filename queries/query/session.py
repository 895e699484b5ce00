"""One entry point for the CLI and the TUI: workspace + snapshot + segments + runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from queries.core.catalog import Catalog
from queries.core.errors import KizunaError
from queries.core.i18n import language
from queries.core.workspace import Workspace, load_workspace
from queries.engines import Engine, engine_settings, is_embedded, make_engine
from queries.query import sqlcache
from queries.query.opened import OpenSnapshot
from queries.query.remote import EngineSnapshot
from queries.query.runner import Runner
from queries.query.snapshot import Snapshot
from queries.query.store import SegmentStore
from queries.segments.model import Segment


@dataclass
class Session:
    """An open workspace: everything a command needs to answer questions about segments."""

    ws: Workspace
    snapshot: OpenSnapshot
    store: SegmentStore
    runner: Runner
    # sqlcache.context() as it was while the snapshot opened (None: changed meanwhile, or not
    # the embedded DuckDB): the caches are read and written only while it still holds
    cache_context: list[Any] | None = None

    @property
    def catalog(self) -> Catalog:
        return self.snapshot.catalog

    @property
    def engine(self) -> Engine:
        """Where this session's queries run (DuckDB unless kizuna.toml or --engine says)."""
        return self.snapshot.engine

    def segment(self, ref: str | Path) -> Segment:
        """Load a segment by workspace name or file path."""
        return self.store.load(ref)

    def close(self) -> None:
        self.snapshot.close()


def open_session(
    workspace: Path | None = None,
    db: Path | None = None,
    as_of: date | str | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str | Engine | None = None,
) -> Session:
    """Open the workspace and its snapshot (read-only), building the features cache if needed.

    `engine` picks where queries run: a kind (`"spark"`, `"postgres"`, ...) configured in
    kizuna.toml [engine], an Engine object (e.g. around a SparkSession you already have), or
    None for the workspace's default (DuckDB unless [engine].kind says otherwise).
    """
    before = workspace_context(workspace, db, as_of)
    ws = load_workspace(workspace, db, as_of)
    snap: OpenSnapshot
    ctx = None
    if isinstance(engine, Engine):
        snap = EngineSnapshot(ws, engine, progress=progress)
    else:
        kind, settings = engine_settings(ws.raw, engine)
        if is_embedded(kind):
            snap = Snapshot(ws, progress=progress)
            if before is not None and before == workspace_context(workspace, db, as_of):
                ctx = before
        else:
            snap = EngineSnapshot(ws, make_engine(kind, settings), progress=progress)
    store = SegmentStore(ws.segments_dir, snap.catalog)
    return Session(ws, snap, store, Runner(snap, store), ctx)


def workspace_context(
    workspace: Path | None, db: Path | None, as_of: date | str | None
) -> list[Any] | None:
    """The compiled-SQL cache's context now (None when the workspace cannot be read)."""
    try:
        return sqlcache.context(load_workspace(workspace, db, as_of), language())
    except (KizunaError, OSError):
        return None
