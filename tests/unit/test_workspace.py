"""Workspace config: schema mapping, the features cache, a locked snapshot, lint."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from queries.core.errors import ConfigError, SnapshotLocked
from queries.core.workspace import load_workspace
from queries.query.init_map import init_workspace
from queries.query.session import open_session
from queries.segments.parse import segment_from_text

ROOT = Path(__file__).resolve().parents[2]
SEG = """
name: t
where:
  all:
    - {field: loyalty_tier, op: in, value: [gold, platinum]}
    - event: purchases
      where: {all: [{field: category, op: "=", value: skincare}]}
    - {field: order_count, op: ">=", value: 1}
"""


def _renamed_copy(src: Path, dst: Path) -> None:
    """Copy the fixture with customers → crm.kunden and loyalty_tier → tier."""
    con = duckdb.connect(str(dst))
    con.execute(f"ATTACH '{src.as_posix()}' AS src (READ_ONLY)")
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
    ).fetchall():
        if table != "customers":
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM src."{table}"')
    con.execute("CREATE SCHEMA crm")
    con.execute(
        "CREATE TABLE crm.kunden AS SELECT * RENAME (loyalty_tier AS tier) FROM src.customers"
    )
    con.close()


def test_mapping_renames_tables_and_columns(tmp_path: Path, fixture_db: Path, session) -> None:
    db = tmp_path / "renamed.duckdb"
    _renamed_copy(fixture_db, db)
    ws = tmp_path / "mapped"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{db.as_posix()}"\n[tables]\ncustomers = "crm.kunden"\n'
        '[columns.customers]\nloyalty_tier = "tier"\n'
    )
    mapped = open_session(ws)
    try:
        expected = session.runner.count(segment_from_text(SEG, session.catalog))
        got = mapped.runner.count(segment_from_text(SEG, mapped.catalog))
        assert got == expected == 3  # C01, C02 (platinum) and C06 bought skincare by D
        assert '"kunden"' in mapped.runner.sql(segment_from_text(SEG, mapped.catalog))
    finally:
        mapped.close()


def test_missing_mapped_column_is_a_clear_error(tmp_path: Path, fixture_db: Path) -> None:
    ws = tmp_path / "bad"
    ws.mkdir()
    (ws / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{fixture_db.as_posix()}"\n[columns.customers]\nemail = "mail"\n'
    )
    # located in kizuna.toml (issue 13): file:line, [section] key, then what is wrong
    located = r"kizuna\.toml:4: \[columns\.customers\] email: .*no column `mail`"
    with pytest.raises(ConfigError, match=located):
        open_session(ws)


def test_custom_sql_field(tmp_path: Path, fixture_db: Path) -> None:
    ws = tmp_path / "custom"
    ws.mkdir()
    (ws / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{fixture_db.as_posix()}"\n'
        '[fields.points_k]\ntype = "number"\nlabel = "Points (k)"\nsql = "points / 1000"\n'
    )
    s = open_session(ws)
    try:
        seg = segment_from_text(
            "name: k\nwhere: {all: [{field: points_k, op: '>=', value: 5}]}", s.catalog
        )
        assert s.runner.count(seg) == 3  # C01 6000, C02 12000, C06 5000 (C04 4999 → 4.999)
    finally:
        s.close()


def test_features_cache_is_reused_and_keyed_by_as_of(workspace: Path) -> None:
    first = open_session(workspace)
    first.close()
    again = open_session(workspace)
    assert again.snapshot.features_built_s == 0.0  # reused, not rebuilt
    again.close()
    back = open_session(workspace, as_of="2026-01-01")
    assert back.snapshot.features_built_s > 0.0  # a different as-of is a different cache
    assert back.snapshot.as_of.isoformat() == "2026-01-01"
    back.close()
    caches = list((workspace / ".kizuna" / "cache").glob("features-*.duckdb"))
    assert len(caches) == 2


def test_locked_snapshot_says_being_refreshed(tmp_path: Path, fixture_db: Path) -> None:
    db = tmp_path / "locked.duckdb"
    db.write_bytes(fixture_db.read_bytes())
    ws = tmp_path / "lockws"
    ws.mkdir()
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('held', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(SnapshotLocked, match="being refreshed"):
            open_session(ws)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    open_session(ws).close()  # fine again once the writer is gone


def test_init_creates_workspace(tmp_path: Path, fixture_db: Path) -> None:
    ws = init_workspace(tmp_path / "new", fixture_db)
    for sub in ("segments", "campaigns", "templates"):
        assert (ws / sub).is_dir()
    assert load_workspace(ws).db_path == fixture_db.resolve()
    with pytest.raises(ConfigError, match="already exists"):
        init_workspace(ws)


def test_ruff_is_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    cmd = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*cmd, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_features_build_within_a_small_memory_bound_is_the_same(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that spills, or outgrows the bound and runs again without it, gives the same
    table; the session's own settings are back to DuckDB's defaults after it."""
    from queries.query import snapshot

    def table(session) -> list:
        return session.snapshot.cursor().execute("FROM kz_cache.features ORDER BY 1").fetchall()

    first = open_session(workspace)
    expected = table(first)
    first.close()
    for cache in (workspace / ".kizuna" / "cache").glob("features-*.duckdb"):
        cache.unlink()
    monkeypatch.setattr(snapshot, "BUILD_MEMORY", "1MB")
    bounded = open_session(workspace)
    assert bounded.snapshot.features_built_s > 0.0
    assert table(bounded) == expected
    cur = bounded.snapshot.cursor()
    assert cur.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (True,)
    assert cur.execute("SELECT current_setting('memory_limit')").fetchone() != ("1.0 MiB",)
    bounded.close()
