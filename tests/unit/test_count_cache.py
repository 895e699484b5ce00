"""The compiled-SQL cache behind `kizuna count --json`: same answers, and every change misses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.query import sqlcache
from tests.segtools import private_workspace
from tui.cli.main import app
from tui.fastpath import fast_count, parse

SEGMENTS = {
    "tokyo": "name: Tokyo\nwhere:\n  all:\n    - {field: prefecture, op: '=', value: 東京都}\n",
    "funnel": (
        "name: Funnel\nwhere:\n  all:\n    - {field: email_opt_in, op: is_true}\n"
        "    - {field: points, op: '>=', value: 5000}\n    - {event: orders, within: 30d}\n"
    ),
    "lapsed": "name: 休眠\nwhere:\n  all:\n    - not: {event: orders, within: 30d}\n",
    "uses": "name: Uses\nwhere:\n  all:\n    - {segment: tokyo}\n    - {segment: lapsed}\n",
}


@pytest.fixture()
def ws(tmp_path: Path, fixture_db: Path) -> Path:
    ws = private_workspace(tmp_path, fixture_db)
    for stem, text in SEGMENTS.items():
        (ws / "segments" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    return ws


def full(ws: Path, stem: str) -> dict:
    """`kizuna count stem --json` by the full CLI (which fills the cache)."""
    r = CliRunner().invoke(app, ["count", stem, "--json", "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def cached(ws: Path, stem: str, capsys: pytest.CaptureFixture[str]) -> dict | None:
    """The cached path's answer, or None when it misses."""
    capsys.readouterr()
    if not fast_count(["count", stem, "--json", "--workspace", str(ws)], "en"):
        return None
    return json.loads(capsys.readouterr().out)


def same(a: dict, b: dict) -> bool:
    return {**a, "elapsed_ms": 0} == {**b, "elapsed_ms": 0}


def test_cached_counts_equal_fresh_ones(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for stem in SEGMENTS:
        assert cached(ws, stem, capsys) is None  # nothing cached yet
        fresh = full(ws, stem)
        hit = cached(ws, stem, capsys)
        assert hit is not None and same(hit, fresh), (stem, hit, fresh)


def test_editing_the_segment_recompiles(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert full(ws, "tokyo")["count"] == 3
    path = ws / "segments" / "tokyo.yaml"
    path.write_text(SEGMENTS["tokyo"].replace("東京都", "大阪府"), encoding="utf-8")
    assert cached(ws, "tokyo", capsys) is None
    fresh = full(ws, "tokyo")
    assert fresh["count"] != 3
    assert same(cached(ws, "tokyo", capsys) or {}, fresh)


def test_editing_a_referenced_segment_recompiles(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = full(ws, "uses")
    assert cached(ws, "uses", capsys) is not None
    (ws / "segments" / "lapsed.yaml").write_text(
        SEGMENTS["lapsed"].replace("30d", "3d"), encoding="utf-8"
    )
    assert cached(ws, "uses", capsys) is None
    after = full(ws, "uses")
    assert same(cached(ws, "uses", capsys) or {}, after)
    assert before["segment"] == after["segment"] == "Uses"


def test_editing_kizuna_toml_recompiles(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = full(ws, "funnel")
    cfg = ws / "kizuna.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert cached(ws, "funnel", capsys) is None
    assert same(full(ws, "funnel"), fresh)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("[snapshot]\n", '[snapshot]\nas_of = "2026-02-01"\n'), "utf-8")
    assert cached(ws, "funnel", capsys) is None
    moved = full(ws, "funnel")
    assert moved["as_of"] == "2026-02-01"
    assert same(cached(ws, "funnel", capsys) or {}, moved)


def test_a_changed_snapshot_recompiles(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full(ws, "funnel")
    snap = ws.parent / "snapshot.duckdb"
    st = snap.stat()
    os.utime(snap, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert cached(ws, "funnel", capsys) is None


def test_the_as_of_option_is_part_of_the_key(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full(ws, "funnel")
    argv = ["count", "funnel", "--json", "--workspace", str(ws), "--as-of", "2026-02-01"]
    assert not fast_count(argv, "en")
    assert not fast_count(["count", "funnel", "--json", "--workspace", str(ws)], "ja")


def test_a_new_code_version_recompiles(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    full(ws, "tokyo")
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_text("x = 1\n")
    monkeypatch.setattr(sqlcache, "_PACKAGES", (src,))
    sqlcache.code_version.cache_clear()
    try:
        assert cached(ws, "tokyo", capsys) is None
        full(ws, "tokyo")
        assert cached(ws, "tokyo", capsys) is not None
        (src / "m.py").write_text("x = 22\n")
        sqlcache.code_version.cache_clear()
        assert cached(ws, "tokyo", capsys) is None
    finally:
        sqlcache.code_version.cache_clear()


def test_a_damaged_entry_is_a_miss(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full(ws, "tokyo")
    for entry in (ws / ".kizuna" / "cache" / sqlcache.SQL_DIR).glob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    assert cached(ws, "tokyo", capsys) is None
    full(ws, "tokyo")
    assert cached(ws, "tokyo", capsys) is not None


def test_only_the_plain_json_form_is_served_from_the_cache() -> None:
    assert parse(["count", "vip", "--json"]) == {"segment": "vip"}
    assert parse(["--lang", "ja", "count", "-w", "W", "vip", "--json", "--as-of=2026-01-01"]) == {
        "segment": "vip",
        "workspace": "W",
        "as_of": "2026-01-01",
    }
    for argv in (
        ["count", "vip"],  # plain text: the full path
        ["count", "vip", "--json", "--waterfall"],
        ["count", "vip", "--json", "--engine", "duckdb"],
        ["count", "vip", "other", "--json"],
        ["count", "vip", "--json", "--json"],
        ["count", "--json", "--workspace"],
        ["count", "vip", "--json", "-w", "a", "-w", "b"],
        ["sample", "vip", "--json"],
        ["count", "--help"],
    ):
        assert parse(argv) is None, argv
