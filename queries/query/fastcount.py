"""Counts from the compiled-SQL cache (no sqlglot, no session), and the full path that fills it.

`cached_count` answers `kizuna count SEGMENT --json` by running the cached SQL on a read-only,
locked-down connection; `cached_list` gives the segment list's counts from the result cache.
Both return None on any miss, and the caller takes the full path, which calls `remember_count`
/ `list_counts` to fill the caches. See queries/query/sqlcache.py for the keys.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queries.core.errors import KizunaError
from queries.core.workspace import Workspace, load_workspace
from queries.query import sqlcache
from queries.query.sqlcache import Compiled

if TYPE_CHECKING:
    from queries.query.session import Session
    from queries.segments.model import Segment

ENGINE = "duckdb"  # the only engine the caches serve (the snapshot file itself)


def count_json(name: str, n: int, base: int, as_of: str, elapsed: float) -> dict[str, Any]:
    """`kizuna count --json`'s object (the cached and the full path print the same)."""
    return {
        "segment": name,
        "count": n,
        "base": base,
        "percent_of_base": round(100 * n / base, 2) if base else 0.0,
        "as_of": as_of,
        "engine": ENGINE,
        "elapsed_ms": round(elapsed * 1000, 1),
    }


def _open(ws: Workspace, features: Path) -> Any:
    from queries.query.connect import attach_features, connect_read_only, lock_down

    con = connect_read_only(ws.db_path.resolve(), retries=0)
    try:
        attach_features(con, features)
        lock_down(con, ws.root, features)
    except Exception:
        con.close()
        raise
    return con


def cached_count(
    workspace: Path | None, db: Path | None, as_of: str | None, ref: str, lang: str
) -> dict[str, Any] | None:
    """`kizuna count --json`'s object from the compiled-SQL cache, or None on a miss."""
    ws = load_workspace(workspace, db, as_of)
    target = sqlcache.segment_path(ws.segments_dir, ref)
    if target is None:
        return None
    hit = sqlcache.get_sql(ws, sqlcache.count_key(ws, lang, target))
    if hit is None:
        return None
    con = _open(ws, hit.features)
    try:
        start = time.perf_counter()
        n = int(con.execute(hit.sql).fetchall()[0][0])
        elapsed = time.perf_counter() - start
        base = int(con.execute(hit.base_sql).fetchall()[0][0])
    finally:
        con.close()
    return count_json(str(hit.extra["name"]), n, base, hit.as_of, elapsed)


def _embedded(session: Session) -> bool:
    from queries.query.snapshot import Snapshot

    return isinstance(session.snapshot, Snapshot)


def _compiled(session: Session, sql: str, extra: dict[str, Any]) -> Compiled:
    snap = session.snapshot
    features = Path(snap.features_path)  # type: ignore[attr-defined]  # a Snapshot's
    return Compiled(sql, snap.base_sql, features, snap.as_of.isoformat(), extra)  # type: ignore[attr-defined]


def _deps(session: Session, segs: list[Segment]) -> list[list[str]]:
    from queries.query.store import referenced_files

    refs: dict[str, Path] = {}
    for seg in segs:
        for p in referenced_files(seg, session.store):
            refs[p.stem] = p
    return sqlcache.deps_of(sorted(refs.items()))


def count_key(
    workspace: Path | None, db: Path | None, as_of: str | None, ref: str, lang: str
) -> str | None:
    """The cache key of `kizuna count ref` now (taken before the full path reads anything)."""
    try:
        ws = load_workspace(workspace, db, as_of)
        target = sqlcache.segment_path(ws.segments_dir, ref)
        return sqlcache.count_key(ws, lang, target) if target is not None else None
    except (KizunaError, OSError):
        return None


def remember_count(
    session: Session,
    ref: str,
    lang: str,
    args: tuple[Path | None, Path | None, str | None],
    before: str | None,
) -> None:
    """Keep the count SQL of `ref` when nothing it came from changed since `before` was taken.

    The SQL is compiled before and after the referenced files' bytes are read: equal texts
    mean those bytes are what it was compiled from."""
    if before is None or not _embedded(session):
        return
    sql = session.runner.count_sql(session.segment(ref))
    seg = session.segment(ref)
    deps = _deps(session, [seg])
    if count_key(*args, ref, lang) != before or session.runner.count_sql(seg) != sql:
        return
    compiled = _compiled(session, sql, {"name": seg.name})
    sqlcache.put_sql(session.ws, before, compiled, deps)
