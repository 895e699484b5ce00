"""Headless imports load no Textual; the snapshot is never written and its connection is locked."""

from __future__ import annotations

import hashlib
import json
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

import queries
from queries.query.session import open_session
from tests.fixture_db import build_fixture
from tests.segtools import private_workspace, workspace_for

ROOT = Path(__file__).resolve().parents[2]


def _run_python(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_queries_modules_load_no_textual():
    names = sorted(
        m.name
        for m in pkgutil.walk_packages(queries.__path__, "queries.")
        if not m.ispkg and not m.name.endswith("__main__")
    )
    assert {
        "queries.query.session",
        "queries.query.runner",
        "queries.segments.compile",
        "queries.segments.parse",
    } <= set(names)
    out = _run_python(
        f"""
        import importlib, json, sys
        failed = {{}}
        for name in {names!r}:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a module being written concurrently must not hide this
                failed[name] = repr(exc)
        loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print(json.dumps({{"textual": loaded, "failed": failed}}))
        """
    )
    assert out["textual"] == []
    core = {
        "queries.query.session",
        "queries.query.runner",
        "queries.segments.compile",
        "queries.segments.parse",
        "queries.segments.model",
        "queries.query.store",
        "queries.segments.ops",
        "queries.core.timewin",
        "queries.core.errors",
        "queries.engines.jobs",
        "queries.query.snapshot",
        "queries.core.catalog",
    }
    assert not core & set(out["failed"]), out["failed"]


def test_headless_cli_commands_load_no_textual(tmp_path, fixture_db):
    ws = private_workspace(tmp_path, fixture_db)
    (ws / "segments" / "tokyo.yaml").write_text(
        "name: Tokyo\nwhere: {all: [{field: prefecture, op: '=', value: 東京都}]}\n",
        encoding="utf-8",
    )
    out = _run_python(
        f"""
        import json, sys
        from typer.testing import CliRunner
        from tui.cli.main import app
        codes = []
        for args in (["count", "tokyo", "--json"], ["sample", "tokyo", "--json"],
                     ["sql", "tokyo", "--dialect", "spark"], ["why", "tokyo", "C01"],
                     ["validate", {str(ws / "segments" / "tokyo.yaml")!r}], ["fields"]):
            args = args + ["--workspace", {str(ws)!r}]
            codes.append(CliRunner().invoke(app, args).exit_code)
        loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print(json.dumps({{"codes": codes, "textual": loaded}}))
        """
    )
    assert out["codes"] == [0] * 6
    assert out["textual"] == []


def _fingerprint(path: Path) -> tuple[int, int, str]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def own_snapshot(tmp_path):
    """A freshly built snapshot in a folder of its own (its neighbours are checked too)."""
    snap_dir = tmp_path / "snap"
    snap_dir.mkdir()
    db = build_fixture(snap_dir / "fixture.duckdb")
    ws = workspace_for(tmp_path, db)
    return db, ws


def test_opening_a_session_does_not_modify_the_snapshot(own_snapshot):
    db, ws = own_snapshot
    before = _fingerprint(db)
    neighbours = sorted(p.name for p in db.parent.iterdir())
    s = open_session(ws)
    try:
        from queries.segments.model import Group, Segment

        assert s.runner.count(Segment("all", Group("all"))) == 8
        s.runner.sample(Segment("all", Group("all")), 3)
    finally:
        s.close()
    # reopening uses the cache in the workspace
    s = open_session(ws)
    s.close()
    assert _fingerprint(db) == before
    # no WAL or other file appears next to the snapshot; the cache lives in the workspace
    assert sorted(p.name for p in db.parent.iterdir()) == neighbours
    assert list((ws / ".kizuna" / "cache").glob("features-*.duckdb"))


@pytest.fixture()
def locked_session(own_snapshot):
    _, ws = own_snapshot
    s = open_session(ws)
    yield s
    s.close()


def _fails(session, sql: str) -> None:
    cur = session.snapshot.cursor()
    try:
        with pytest.raises(duckdb.Error):
            cur.execute(sql)
    finally:
        cur.close()


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (x INTEGER)",
        "INSERT INTO customers (customer_id) VALUES ('Z99')",
        "UPDATE customers SET points = 0",
        "DELETE FROM customers",
        "DROP TABLE customers",
        "CREATE TABLE kz_cache.t (x INTEGER)",
        "DELETE FROM kz_cache.features",
    ],
)
def test_connection_is_read_only(locked_session, sql):
    _fails(locked_session, sql)
    cur = locked_session.snapshot.cursor()
    assert cur.execute("SELECT count(*) FROM customers").fetchall() == [(8,)]
    cur.close()


def test_connection_is_locked_down(locked_session, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "x.csv"
    _fails(locked_session, f"COPY customers TO '{target.as_posix()}'")
    assert not target.exists()
    _fails(locked_session, "COPY customers TO '/tmp/kizuna_hygiene_x.csv'")
    assert not Path("/tmp/kizuna_hygiene_x.csv").exists()
    _fails(locked_session, "SET enable_external_access = true")
    _fails(locked_session, "SET lock_configuration = false")
    _fails(locked_session, "SET allowed_directories = ['/']")
    _fails(locked_session, "SET python_enable_replacements = true")
    _fails(locked_session, "SELECT * FROM read_csv('/etc/passwd')")
    _fails(locked_session, f"ATTACH '{(outside / 'new.duckdb').as_posix()}' AS other")
    _fails(locked_session, "LOAD httpfs")
    assert not (outside / "new.duckdb").exists()
    cur = locked_session.snapshot.cursor()
    try:
        settings = dict(
            cur.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('enable_external_access', 'lock_configuration', "
                "'autoinstall_known_extensions')"
            ).fetchall()
        )
    finally:
        cur.close()
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoinstall_known_extensions": "false",
    }


def test_python_replacement_scans_disabled_on_cursors(locked_session):
    cur = locked_session.snapshot.cursor()
    try:
        value = cur.execute("SELECT current_setting('python_enable_replacements')").fetchall()
    finally:
        cur.close()
    assert value == [(False,)]


def test_snapshot_locked_by_a_writer_is_a_clear_error(tmp_path):
    db = build_fixture(tmp_path / "busy.duckdb")
    ws = workspace_for(tmp_path, db)
    code = f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        print("locked", flush=True)
        time.sleep(60)
    """
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        out = _run_python(
            f"""
            import json
            import queries.query.snapshot as snap
            from queries.core.errors import KizunaError
            from queries.query.session import open_session
            orig = snap._connect_read_only
            snap._connect_read_only = lambda path, retries=4: orig(path, retries=1)
            try:
                open_session({str(ws)!r})
                print(json.dumps({{"error": None}}))
            except KizunaError as exc:
                print(json.dumps({{"error": type(exc).__name__, "text": exc.render()}}))
            """
        )
    finally:
        writer.kill()
        writer.wait()
    assert out["error"] == "SnapshotLocked"
    assert "being refreshed" in out["text"]


def test_two_sessions_on_one_snapshot_in_one_process(own_snapshot, tmp_path):
    db, ws = own_snapshot
    other = tmp_path / "other"
    (other / "segments").mkdir(parents=True)
    (other / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    from queries.segments.model import Group, Segment

    everyone = Segment("all", Group("all"))
    first = open_session(ws)
    try:
        second = open_session(other, as_of="2026-02-01")
        third = open_session(ws)
        try:
            assert first.runner.count(everyone) == 8
            # a backtest's base is who existed on its day: C05 signed up after 2026-02-01
            assert second.runner.count(everyone) == 7
            assert third.runner.count(everyone) == 8
        finally:
            second.close()
            third.close()
    finally:
        first.close()


def test_no_wall_clock_in_engine_sources():
    """The as-of date, never the wall clock, drives every relative date."""
    for name in (
        "segments/compile.py",
        "query/runner.py",
        "core/timewin.py",
        "segments/ops.py",
        "segments/parse.py",
    ):
        text = (ROOT / "queries" / name).read_text(encoding="utf-8")
        for banned in ("date.today(", "datetime.now(", "CURRENT_DATE", "time.time("):
            assert banned not in text, f"{name} uses {banned}"


def test_tui_first_screen_loads_no_engine():
    """`kizuna tui` paints the segment list before sqlglot and DuckDB load (in the worker)."""
    out = _run_python(
        """
        import json, sys
        import tui.cli.main, tui.launch, tui.app
        from tui.screens.segments.segment_list import SegmentListScreen
        heavy = ("sqlglot", "duckdb", "liquid")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
        print(json.dumps({"loaded": loaded}))
        """
    )
    assert out["loaded"] == []
