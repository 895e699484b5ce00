"""Pilot tests for the Look tabs: sample (masked / unmasked), breakdown, overlap, SQL."""

from __future__ import annotations

from textual.widgets import DataTable, Select, Static

from queries.segments.model import EventCond, FieldCond, Group, Segment
from tests.tui.test_tui_support import async_test, make_app, settle
from tui.widgets.bars import BreakdownChart, bar, fit
from tui.widgets.look_breakdown import BreakdownPane
from tui.widgets.look_overlap import OverlapPane, overlap_content
from tui.widgets.look_sql import SqlPane

GOLD = Segment(
    "Gold and up", Group("all", (FieldCond("loyalty_tier", "in", ["gold", "platinum"]),))
)
BUYERS = Segment("Buyers", Group("all", (EventCond("orders"),)))


@async_test
async def test_look_tabs(workspace, monkeypatch):
    GOLD.save(workspace / "segments" / "gold.yaml")
    BUYERS.save(workspace / "segments" / "buyers.yaml")
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # buyers, gold: open gold
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#sample-table", DataTable)
        assert table.row_count == 3
        emails = [str(table.get_row(k)[3]) for k in ("C01", "C02", "C06")]
        assert emails == ["t***@example.jp", "h***@example.jp", "t***@example.jp"]
        await pilot.press("u")
        await settle(pilot)
        assert str(table.get_row("C02")[3]) == "hanako@example.jp"
        await pilot.press("u")
        await settle(pilot)
        assert str(table.get_row("C02")[3]) == "h***@example.jp"

        await pilot.press("2")
        await settle(pilot)
        chart = screen.query_one("#breakdown-chart", Static).content
        assert isinstance(chart, BreakdownChart)
        by_value = {r.value: (r.audience, r.base) for r in chart.rows}
        assert by_value["gold"] == (2, 2) and by_value["regular"] == (0, 3)
        screen.query_one(BreakdownPane).show_field("prefecture")
        await settle(pilot)
        chart = screen.query_one("#breakdown-chart", Static).content
        assert {r.value for r in chart.rows} >= {"東京都", "大阪府"}

        await pilot.press("3")
        await settle(pilot)
        screen.query_one(OverlapPane).compare_with("buyers")
        await settle(pilot)
        text = str(screen.query_one("#overlap-result", Static).content)
        assert "In both" in text and "Only buyers" in text

        copied = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await pilot.press("4")
        await settle(pilot)
        pane = screen.query_one(SqlPane)
        assert "\"loyalty_tier\" IN ('gold', 'platinum')" in pane.text
        screen.query_one("#sql-dialect", Select).value = "bigquery"
        await settle(pilot)
        assert "`loyalty_tier`" in pane.text
        await pilot.press("y")
        assert copied == [pane.text]


def test_bars_and_cells():
    assert bar(0.5, 4) == "██  "
    assert bar(1 / 8, 4) == "▌   "
    assert fit("東京都", 8) == "東京都  "  # 6 cells + 2
    assert fit("神奈川県足柄下郡", 8).endswith("…")
    text = overlap_content("A", "B", 10, 10, 1, 20).plain
    assert "▓" in text  # a tiny overlap still shows
