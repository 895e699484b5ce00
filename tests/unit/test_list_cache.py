"""The segment list's caches (its one-scan SQL and result) are exact, and every change misses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from queries.query.fastcount import cached_list, list_counts, remember_list
from queries.query.session import Session, open_session
from tests.segtools import private_workspace
from tests.unit.test_count_cache import SEGMENTS


@pytest.fixture()
def ws(tmp_path: Path, fixture_db: Path) -> Path:
    ws = private_workspace(tmp_path, fixture_db)
    for stem, text in SEGMENTS.items():
        (ws / "segments" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    return ws


def count_list(ws: Path) -> tuple[Session, list[int]]:
    """What the list screen does once the session is open: count every segment, keep it."""
    s = open_session(ws)
    stems = s.store.names()
    segs = [s.store.load(stem) for stem in stems]
    counts = list_counts(s, stems, segs)
    assert counts == s.runner.counts(segs)  # the cached path answers as the uncached one
    remember_list(s, stems, counts)
    return s, counts


def preview(ws: Path):
    return cached_list(ws, None, None, "en")


def test_cached_list_equals_the_fresh_counts(ws: Path) -> None:
    assert preview(ws) is None
    s, counts = count_list(ws)
    try:
        got = preview(ws)
        assert got is not None
        assert [r.stem for r in got.rows] == s.store.names()
        assert [r.count for r in got.rows] == counts
        assert [r.name for r in got.rows] == [s.store.load(x).name for x in s.store.names()]
        assert got.base == s.snapshot.base_size
        assert got.as_of == s.snapshot.as_of.isoformat()
        again = list_counts(s, s.store.names(), [s.store.load(x) for x in s.store.names()])
        assert again == counts  # from the result cache
    finally:
        s.close()


@pytest.mark.parametrize("change", ["edit", "add", "remove", "referenced", "toml", "snapshot"])
def test_every_change_misses(ws: Path, change: str) -> None:
    s, _counts = count_list(ws)
    s.close()
    assert preview(ws) is not None
    segs = ws / "segments"
    if change == "edit":
        (segs / "tokyo.yaml").write_text(SEGMENTS["tokyo"].replace("東京都", "大阪府"), "utf-8")
    elif change == "add":
        (segs / "new.yaml").write_text(SEGMENTS["tokyo"], "utf-8")
    elif change == "remove":
        (segs / "funnel.yaml").unlink()
    elif change == "referenced":  # a .yml file is referenced but not listed
        (segs / "extra.yml").write_text(SEGMENTS["tokyo"], "utf-8")
        (segs / "uses.yaml").write_text(SEGMENTS["uses"] + "    - {segment: extra}\n", "utf-8")
        s, _counts = count_list(ws)
        s.close()
        assert preview(ws) is not None
        (segs / "extra.yml").write_text(SEGMENTS["lapsed"], "utf-8")
    elif change == "toml":
        cfg = ws / "kizuna.toml"
        cfg.write_text(cfg.read_text("utf-8") + "# edited\n", "utf-8")
    else:
        snap = ws.parent / "snapshot.duckdb"
        st = snap.stat()
        os.utime(snap, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert preview(ws) is None
    s, counts = count_list(ws)  # counted afresh, and cached again
    try:
        got = preview(ws)
        assert got is not None and [r.count for r in got.rows] == counts
    finally:
        s.close()


def test_a_damaged_result_is_a_miss(ws: Path) -> None:
    s, _counts = count_list(ws)
    s.close()
    for entry in (ws / ".kizuna" / "cache" / "results").glob("*.json"):
        entry.write_text("[", encoding="utf-8")
    assert preview(ws) is None
