"""Counts from the compiled-SQL cache (no sqlglot, no session), and the full path that fills it.

`cached_count` answers `kizuna count SEGMENT --json` by running the cached SQL on a read-only,
locked-down connection; `cached_list` gives the segment list's counts from the result cache.
Both return None on any miss, and the caller takes the full path, which calls `remember_count`
/ `list_counts` to fill the caches. See queries/query/sqlcache.py for the keys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queries.core.errors import KizunaError
from queries.core.i18n import language
from queries.core.workspace import Workspace, load_workspace
from queries.query import sqlcache
from queries.query.sqlcache import Compiled

if TYPE_CHECKING:
    from queries.engines.jobs import Job
    from queries.query.runner import Runner
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
    hit = sqlcache.get_sql(ws, sqlcache.count_key(sqlcache.context(ws, lang), target))
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


def count_sql(runner: Runner, seg: Segment) -> str:
    """The SQL `Runner.count` runs for `seg` (built as it builds it), for the cache."""
    from sqlglot import exp

    comp = runner.compiler(seg)
    where = comp.node(seg.where)
    query = comp.base_from(exp.select(exp.func("count", exp.Star()))).where(where)
    return runner.engine.render(query)


def counts_sql(runner: Runner, segs: list[Segment]) -> str:
    """The one-scan SQL `Runner.counts` runs (one SUM per segment, in order), for the cache."""
    from sqlglot import exp

    comp = runner.compiler()
    preds = []
    for seg in segs:
        c = runner.compiler(seg)
        preds.append(c.node(seg.where))
        comp.needs_features = comp.needs_features or c.needs_features
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    cols = [exp.Sum(this=exp.If(this=p, true=one.copy(), false=zero.copy())) for p in preds]
    return runner.engine.render(comp.base_from(exp.select(*cols)))


def _embedded(session: Session) -> bool:
    from queries.query.snapshot import Snapshot

    return isinstance(session.snapshot, Snapshot)


def _compiled(session: Session, sql: str, extra: dict[str, Any]) -> Compiled:
    snap = session.snapshot
    features = Path(snap.features_path)  # type: ignore[attr-defined]  # a Snapshot's
    return Compiled(sql, snap.base_sql, features, snap.as_of.isoformat(), extra)  # type: ignore[attr-defined]


def _deps(session: Session, segs: list[Segment]) -> list[list[str]]:
    """Every segment reference below `segs`, as written, with the file it resolved to."""
    from queries.segments.model import SegmentRef, walk

    refs: dict[str, Path] = {}
    todo = list(segs)
    while todo:
        for node in walk(todo.pop().where):
            if isinstance(node, SegmentRef) and node.segment not in refs:
                refs[node.segment] = session.store.path_for(node.segment)
                todo.append(session.store.load(node.segment))
    return sqlcache.deps_of(sorted(refs.items()))


def count_key(
    workspace: Path | None, db: Path | None, as_of: str | None, ref: str, lang: str
) -> str | None:
    """The cache key of `kizuna count ref` now (taken before the full path reads anything)."""
    try:
        ws = load_workspace(workspace, db, as_of)
        target = sqlcache.segment_path(ws.segments_dir, ref)
        if target is None:
            return None
        return sqlcache.count_key(sqlcache.context(ws, lang), target)
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
    sql = count_sql(session.runner, session.segment(ref))
    seg = session.segment(ref)
    deps = _deps(session, [seg])
    if count_key(*args, ref, lang) != before or count_sql(session.runner, seg) != sql:
        return
    compiled = _compiled(session, sql, {"name": seg.name})
    sqlcache.put_sql(session.ws, before, compiled, deps)


@dataclass(frozen=True)
class ListedSegment:
    """One row of the segment list from the caches; `mtime_ns` was read before the bytes."""

    stem: str
    name: str
    description: str
    count: int
    mtime_ns: int


@dataclass(frozen=True)
class ListPreview:
    """The segment list's rows, counts and base from the caches (no compile, no query)."""

    rows: list[ListedSegment]
    base: int
    as_of: str
    context: list[Any]  # what the counts hold for (a session opened on another is told)


def cached_list(
    workspace: Path | None, db: Path | None, as_of: str | None, lang: str
) -> ListPreview | None:
    """The whole segment list with its counts, when every one of them is cached, else None."""
    ws = load_workspace(workspace, db, as_of)
    ctx = sqlcache.context(ws, lang)
    key, mtimes = sqlcache.list_key(ctx, ws.segments_dir)
    hit = sqlcache.get_sql(ws, key)
    if hit is None:
        return None
    counts = sqlcache.get_result(ws, sqlcache.result_key(ws.db_path, hit.features, hit.sql))
    base = sqlcache.get_result(ws, sqlcache.result_key(ws.db_path, hit.features, hit.base_sql))
    rows = hit.extra.get("rows")
    if counts is None or base is None or not isinstance(rows, list) or len(rows) != len(counts):
        return None
    if [r[0] for r in rows] != list(mtimes):
        return None
    listed = [
        ListedSegment(str(stem), str(name), str(desc), int(n), mtimes[stem])
        for (stem, name, desc), n in zip(rows, counts)
    ]
    return ListPreview(listed, int(base[0]), hit.as_of, ctx)


def _context_holds(session: Session) -> bool:
    """The session's snapshot, kizuna.toml and code are still what the caches would key."""
    if session.cache_context is None or not _embedded(session):
        return False
    try:
        return sqlcache.context(session.ws, language()) == session.cache_context
    except OSError:
        return False


def list_counts(
    session: Session, stems: list[str], segs: list[Segment], job: Job | None = None
) -> list[int]:
    """`runner.counts` through the result cache (keyed by the snapshot and the SQL text)."""
    runner = session.runner
    if not segs or not _context_holds(session):
        return runner.counts(segs, job)
    snap = session.snapshot
    features = Path(snap.features_path)  # type: ignore[attr-defined]  # a Snapshot's
    sql = counts_sql(runner, segs)
    rkey = sqlcache.result_key(snap.path, features, sql)
    row = sqlcache.get_result(session.ws, rkey)
    if row is not None and len(row) == len(segs):
        return [int(v) for v in row]
    counts = [int(v or 0) for v in runner.engine.run(sql, job)[0]]
    if _context_holds(session):
        sqlcache.put_result(session.ws, rkey, counts)
    return counts


def remember_list(session: Session, stems: list[str], counts: list[int]) -> None:
    """After the whole list was counted: keep its SQL, its counts and the base for next start.

    The SQL is compiled before and after the files' bytes are read; it is kept only when both
    agree with each other and with the counts' own (the result cache's key)."""
    if not stems or stems != session.store.names() or not _context_holds(session):
        return
    snap = session.snapshot
    features = Path(snap.features_path)  # type: ignore[attr-defined]  # a Snapshot's
    ctx = session.cache_context or []
    segs = [session.store.load(stem) for stem in stems]
    sql = counts_sql(session.runner, segs)
    key, _mtimes = sqlcache.list_key(ctx, session.ws.segments_dir)
    deps = _deps(session, segs)
    segs = [session.store.load(stem) for stem in stems]
    if counts_sql(session.runner, segs) != sql or not _context_holds(session):
        return
    got = sqlcache.get_result(session.ws, sqlcache.result_key(snap.path, features, sql))
    if got != counts:
        return  # counted from other files than these (edited meanwhile)
    base_sql = snap.base_sql  # type: ignore[attr-defined]
    sqlcache.put_result(
        session.ws, sqlcache.result_key(snap.path, features, base_sql), [snap.base_size]
    )
    rows = [[stem, seg.name, seg.description or ""] for stem, seg in zip(stems, segs)]
    sqlcache.put_sql(session.ws, key, _compiled(session, sql, {"rows": rows}), deps)
