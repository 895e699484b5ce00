"""Open a snapshot read-only and locked down, find its as-of date, attach the features cache."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from queries.core.asof import Staleness
from queries.core.catalog import Catalog, build_catalog, logical_view
from queries.core.errors import SnapshotError
from queries.core.features_prune import SQL_FILE, features_tree
from queries.core.i18n import _
from queries.core.presence import Presence, probe, read_columns
from queries.core.private_fs import make_private, private_dir
from queries.core.schema import TABLE_COLUMNS
from queries.core.toml_lines import mapping_error
from queries.core.workspace import CONFIG_NAME, Workspace
from queries.engines.duckdb import DuckDBEngine
from queries.query.as_of import read_as_of
from queries.query.condcache import MEM_DB, ConditionCache
from queries.query.connect import CACHE_ALIAS, SNAPSHOT_ALIAS, attach_features, lock_down
from queries.query.connect import connect_read_only as _connect_read_only

# DuckDB's buffer pool for the features build (it spills to the cache folder past this): the
# build stays under 4 GB at 10M customers instead of taking most of the machine
BUILD_MEMORY = "3GB"
FEATURES_TABLE = exp.Table(
    this=exp.to_identifier("features", quoted=True), db=exp.to_identifier(CACHE_ALIAS, quoted=True)
)


@dataclass(frozen=True)
class SnapshotIdentity:
    """What makes a snapshot this snapshot: path, size, mtime and the as-of in force."""

    path: str
    size: int
    mtime_ns: int
    as_of: date

    def key(self, extra: str = "") -> str:
        raw = f"{self.path}|{self.size}|{self.mtime_ns}|{self.as_of.isoformat()}|{extra}"
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _bounded(cur: duckdb.DuckDBPyConnection, sql: str, spill: Path) -> None:
    """Run `sql` within BUILD_MEMORY, spilling to `spill`; without the bound if it needs more."""
    cur.execute(f"SET temp_directory = '{spill.as_posix().replace(chr(39), chr(39) * 2)}'")
    cur.execute("SET preserve_insertion_order = false")  # row order means nothing there
    cur.execute(f"SET memory_limit = '{BUILD_MEMORY}'")
    try:
        try:
            cur.execute(sql)
        except duckdb.OutOfMemoryException:
            cur.execute("RESET memory_limit")
            cur.execute(sql)
    finally:
        cur.execute("RESET memory_limit")
        cur.execute("RESET preserve_insertion_order")


def _lit(value: date) -> str:
    return exp.cast(exp.Literal.string(value.isoformat()), "DATE").sql("duckdb")


class Snapshot(Staleness):
    """One read-only connection to a snapshot; hand out a fresh cursor per job."""

    def __init__(
        self,
        ws: Workspace,
        catalog: Catalog | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self.ws = ws
        self.path = ws.db_path.resolve()
        self.conn = _connect_read_only(self.path)
        try:
            self.presence = self._check_tables()
            self.catalog = catalog or build_catalog(ws, presence=self.presence)
            self.meta_as_of = self._read_as_of()
            self.as_of: date = ws.as_of or self.meta_as_of
            if ws.as_of is not None:
                self.catalog.base_as_of = ws.as_of
            st = self.path.stat()
            self.identity = SnapshotIdentity(str(self.path), st.st_size, st.st_mtime_ns, self.as_of)
            self.inode = st.st_ino  # with the identity, re-checked before an export publishes
            self.features_path, self.features_built_s = self._ensure_features(progress)
            attach_features(self.conn, self.features_path)
            self.conn.execute(f"ATTACH ':memory:' AS {MEM_DB} (READ_WRITE)")
            lock_down(self.conn, self.ws.root, self.features_path)
        except Exception:
            self.conn.close()
            raise
        self.cond_cache = ConditionCache()
        self.base_size = self._count_base()
        self.engine = DuckDBEngine(self.cursor, self.path, FEATURES_TABLE, MEM_DB)

    # -- opening ---------------------------------------------------------------------------
    def _check_tables(self) -> Presence:
        """What the snapshot has under the mapping; a mapping error is located in kizuna.toml."""
        rows = read_columns(self.conn, SNAPSHOT_ALIAS)
        p = probe(rows, self.ws.tables, self.ws.columns, f"snapshot {self.path.name}")
        if p.errors:
            raise mapping_error(self.ws.root / CONFIG_NAME, p.errors)
        return p

    def _read_as_of(self) -> date:
        def scalar(query: exp.Select) -> Any:
            try:
                return self.conn.execute(query.sql("duckdb")).fetchall()[0][0]
            except duckdb.CatalogException:
                return None  # no such table in this snapshot

        name = f"snapshot {self.path.name}"
        return read_as_of(self.catalog.mapping, self.presence.has, scalar, self.ws.as_of, name)

    def _ensure_features(self, progress: Callable[[str], None] | None) -> tuple[Path, float]:
        sql_text = SQL_FILE.read_text(encoding="utf-8")  # pruned below only when building
        shape = repr(self.presence.key())
        key = self.identity.key(
            hashlib.sha256((sql_text + shape + self.catalog.fingerprint()).encode()).hexdigest()
        )
        cache_dir = self.ws.cache_dir
        final = cache_dir / f"features-{key}.duckdb"
        if final.is_file():
            return make_private(final), 0.0
        private_dir(cache_dir, anchor=self.ws.root)
        partial = cache_dir / f"features-{key}.{os.getpid()}.partial"
        partial.unlink(missing_ok=True)
        if progress:
            progress(
                _("Computing customer features for {file} as of {day} …").format(
                    file=self.path.name, day=self.as_of
                )
            )
        start = time.perf_counter()
        cur = self.cursor()
        try:
            for table in TABLE_COLUMNS:
                if not self.presence.has(table):
                    continue
                view = logical_view(self.catalog.mapping, table, self.presence).sql("duckdb")
                cur.execute(f'CREATE OR REPLACE TEMP VIEW "kz_{table}" AS {view}')
            tree, _sql = features_tree(self.presence, _lit(self.as_of))
            for node in tree.walk():
                node.comments = None
            body = tree.sql("duckdb")
            cur.execute(f"ATTACH '{partial.as_posix()}' AS kz_build (READ_WRITE)")
            _bounded(cur, f"CREATE TABLE kz_build.features AS {body}", cache_dir / "spill")
            cur.execute("DETACH kz_build")
        except duckdb.Error as exc:
            partial.unlink(missing_ok=True)
            raise SnapshotError(f"computing customer features failed: {exc}") from None
        finally:
            cur.close()
        make_private(partial)
        os.replace(partial, final)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
        return final, time.perf_counter() - start

    @property
    def base_sql(self) -> str:
        """The SQL counting the base (every customer, or those signed up by a backtest's day)."""
        q = exp.select(exp.func("count", exp.Star())).from_(self.catalog.customers)
        base = self.catalog.base_condition()
        if base is not None:
            q = q.where(base)
        return q.sql("duckdb")

    def _count_base(self) -> int:
        return int(self.cursor().execute(self.base_sql).fetchall()[0][0])

    # -- use -------------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor for one job, so it can be interrupted on its own."""
        cur = self.conn.cursor()
        cur.execute(f"USE {SNAPSHOT_ALIAS}")  # USE is per connection; cursors start in memory
        return cur

    def close(self) -> None:
        self.conn.close()


def presence_of(ws: Workspace) -> Presence | None:
    """What the workspace's snapshot has (None when it cannot be opened): for validation."""
    try:
        conn = _connect_read_only(ws.db_path.resolve(), retries=0)
    except SnapshotError:
        return None
    try:
        rows = read_columns(conn, SNAPSHOT_ALIAS)
    finally:
        conn.close()
    return probe(rows, ws.tables, ws.columns, f"snapshot {ws.db_path.name}")
