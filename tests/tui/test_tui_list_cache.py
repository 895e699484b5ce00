"""The segment list paints cached counts with its first screen, and they equal the session's."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.segtools import private_workspace
from tests.tui.test_tui_support import async_test, make_app, settle
from tests.unit.test_count_cache import SEGMENTS
from tests.unit.test_list_cache import count_list
from tui.screens.segments.segment_list import SegmentListScreen


def cells(app) -> dict[str, str]:
    table = app.screen.query_one("#segments", DataTable)
    return {str(k.value): str(table.get_cell(k, "count")) for k in table.rows}


@async_test
async def test_cached_counts_come_with_the_first_screen(tmp_path: Path, fixture_db: Path):
    ws = private_workspace(tmp_path, fixture_db)
    for stem, text in SEGMENTS.items():
        (ws / "segments" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    app = make_app(ws)
    async with app.run_test(size=(100, 30)) as pilot:  # no cache yet: counted by the session
        assert isinstance(app.screen, SegmentListScreen) and app.screen.preview is None
        await settle(pilot)
        counted = cells(app)
    app = make_app(ws)  # the first app kept the list's SQL and counts
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SegmentListScreen) and screen.preview is not None
        assert app.session is None  # painted before the workspace is open
        assert cells(app) == counted
        await settle(pilot)
        assert app.session is not None
        assert cells(app) == counted
    session, counts = count_list(ws)  # counted afresh, uncached too
    session.close()
    assert sorted(counted.values()) == sorted(f"{n:,}" for n in counts)
