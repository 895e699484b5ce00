"""Exact caches under `.kizuna/cache`: compiled SQL by everything it came from, results by SQL.

A count that nothing has changed since needs no compiler (sqlglot costs ~0.2 s to import):

- **compiled SQL** (`sql/`): the count (or the segment list's one-scan count) SQL, the base
  SQL, the as-of day and the features file, keyed by the code version (Kizuna's, sqlglot's,
  DuckDB's), the workspace folder, the bytes of kizuna.toml, the snapshot file's identity
  (path, size, modification time, inode), the as-of override, the language, and the bytes of
  the segment files (every file a segment refers to is checked again on each hit);
- **results** (`results/`): a query's row, keyed by the snapshot's and the features file's
  identity, the DuckDB version, the time zone and the SQL text (the segment list only).

Any change of a key is a miss and the full path runs (and refills the cache). This module
imports neither sqlglot nor DuckDB, so the cached paths start fast.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queries.core.private_fs import open_private, private_dir
from queries.core.workspace import Workspace

SQL_DIR = "sql"
RESULTS_DIR = "results"
KEEP = 400  # entries kept per folder; the oldest go first
FORMAT = 1  # bump when an entry's shape changes

_PACKAGES = (Path(__file__).resolve().parents[1], Path(__file__).resolve().parents[2] / "tui")


def _stamp_tree(folder: Path, out: list[str]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            if e.name not in ("__pycache__", "data", "locale"):
                _stamp_tree(Path(e.path), out)
        elif e.name.endswith((".py", ".sql")):
            st = e.stat()
            out.append(f"{e.path}:{st.st_size}:{st.st_mtime_ns}")


def _package_file(name: str) -> str:
    """`name` (e.g. sqlglot/_version.py) on sys.path: its bytes, without importing it."""
    for entry in sys.path:
        p = Path(entry or ".") / name
        try:
            return p.read_text(encoding="utf-8")
        except OSError:
            continue
    return "-"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Kizuna's sources (path, size, mtime of each) and the sqlglot and DuckDB versions."""
    parts: list[str] = [str(FORMAT)]
    for pkg in _PACKAGES:
        _stamp_tree(pkg, parts)
    parts.append(_package_file("sqlglot/_version.py"))
    parts.append(_package_file("duckdb/_version.py"))
    return _digest("\n".join(parts).encode())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return _digest(Path(path).read_bytes())


def file_stamp(path: Path) -> list[Any]:
    """What makes a file this file: resolved path, size, modification time, inode."""
    p = Path(path).resolve()
    st = p.stat()
    return [p.as_posix(), st.st_size, st.st_mtime_ns, st.st_ino]


def segment_path(folder: Path, ref: str | Path) -> Path | None:
    """The file a segment argument or reference names (as SegmentStore.path_for), or None."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p.resolve()
    for cand in (folder / f"{ref}.yaml", folder / f"{ref}.yml"):
        if cand.is_file():
            return cand.resolve()
    return None


def _key(*parts: Any) -> str:
    return _digest(json.dumps(parts, ensure_ascii=False, default=str).encode())


def context(ws: Workspace, lang: str) -> list[Any]:
    """What every compiled SQL depends on besides segment files (raises OSError if unreadable)."""
    cfg = ws.root / "kizuna.toml"
    return [
        code_version(),
        ws.root.resolve().as_posix(),
        file_digest(cfg) if cfg.is_file() else None,
        file_stamp(ws.db_path),
        ws.as_of.isoformat() if ws.as_of else None,
        lang,
    ]


def count_key(ctx: list[Any], target: Path) -> str:
    """The key of one segment's count: the context and the segment file's bytes."""
    return _key("count", ctx, target.resolve().as_posix(), file_digest(target))


def list_key(ctx: list[Any], folder: Path) -> tuple[str, dict[str, int]]:
    """The key of the segment list's one-scan count (the context and every listed file's bytes,
    in SegmentStore.names() order), and each file's mtime, read before its bytes."""
    stems = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
    mtimes: dict[str, int] = {}
    parts = []
    for stem in stems:
        path = folder / f"{stem}.yaml"
        mtimes[stem] = path.stat().st_mtime_ns
        parts.append((stem, file_digest(path)))
    return _key("list", ctx, parts), mtimes


def deps_of(refs: Iterable[tuple[str, Path]]) -> list[list[str]]:
    """Referenced segments as [reference, resolved path, digest] for an entry."""
    return [[ref, p.resolve().as_posix(), file_digest(p)] for ref, p in refs]


def _deps_hold(folder: Path, deps: list[list[str]]) -> bool:
    for ref, path, digest in deps:
        p = segment_path(folder, ref)
        if p is None or p.as_posix() != path or file_digest(p) != digest:
            return False
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(ws: Workspace, sub: str, key: str, data: dict[str, Any]) -> None:
    """Atomically (a per-process temporary file, then rename), 0600; prunes old entries."""
    path = private_dir(ws.cache_dir / sub, anchor=ws.root) / f"{key}.json"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, json.dumps(data, ensure_ascii=False).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _prune(path.parent)


def _prune(folder: Path) -> None:
    try:
        files = [e for e in os.scandir(folder) if e.name.endswith(".json")]
        if len(files) <= KEEP:
            return
        files.sort(key=lambda e: e.stat().st_mtime_ns)
        for e in files[: len(files) - KEEP]:
            os.unlink(e.path)
    except OSError:
        pass


@dataclass(frozen=True)
class Compiled:
    """What a cached compile gives: the SQL to run and what the output needs beside it."""

    sql: str
    base_sql: str
    features: Path
    as_of: str
    extra: dict[str, Any]


def get_sql(ws: Workspace, key: str) -> Compiled | None:
    """The compiled entry for `key`, if it is there and every file it relied on is unchanged."""
    data = _read(ws.cache_dir / SQL_DIR / f"{key}.json")
    if data is None or data.get("key") != key:
        return None
    try:
        features = Path(data["features"])
        if not features.is_file() or not _deps_hold(ws.segments_dir, data["deps"]):
            return None
        return Compiled(data["sql"], data["base_sql"], features, data["as_of"], data["extra"])
    except (KeyError, TypeError, ValueError, OSError):
        return None


def put_sql(ws: Workspace, key: str, compiled: Compiled, deps: list[list[str]]) -> None:
    """Keep a compiled entry (best effort: a cache that cannot be written is no error)."""
    data = {
        "key": key,
        "sql": compiled.sql,
        "base_sql": compiled.base_sql,
        "features": compiled.features.as_posix(),
        "as_of": compiled.as_of,
        "extra": compiled.extra,
        "deps": deps,
        "written": time.time(),
    }
    try:
        _write(ws, SQL_DIR, key, data)
    except OSError:
        pass


def result_key(snapshot: Path, features: Path, sql: str) -> str:
    """The key of a query's result on this snapshot and features file (the code version holds
    DuckDB's; the time zone is there in case a query reads a TIMESTAMPTZ)."""
    tz = [os.environ.get("TZ"), list(time.tzname)]
    return _key("result", code_version(), file_stamp(snapshot), file_stamp(features), tz, sql)


def get_result(ws: Workspace, key: str) -> list[Any] | None:
    """A cached result row, if any."""
    data = _read(ws.cache_dir / RESULTS_DIR / f"{key}.json")
    if data is None or data.get("key") != key or not isinstance(data.get("row"), list):
        return None
    return list(data["row"])


def put_result(ws: Workspace, key: str, row: list[Any]) -> None:
    """Keep a result row (JSON numbers and strings only; best effort)."""
    try:
        _write(ws, RESULTS_DIR, key, {"key": key, "row": row})
    except OSError:
        pass
