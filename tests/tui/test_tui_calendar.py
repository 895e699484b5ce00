"""Pilot: the send calendar from the campaign list (k), month by month, Enter opens a campaign."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle
from tui.screens.campaigns.campaign_calendar import CampaignCalendarScreen
from tui.screens.campaigns.campaign_edit import CampaignEditScreen
from tui.screens.campaigns.campaign_list import CampaignListScreen


def rows(screen) -> list[tuple[str, ...]]:
    table = screen.query_one("#cal-sends", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


@async_test
async def test_calendar_shows_the_sends_by_month_and_opens_one(tmp_path):
    ws = copy_demo(tmp_path)
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CampaignListScreen)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignCalendarScreen)
        # the demo's three campaigns go out in November 2026 (the month of the next send)
        assert [r[0] for r in rows(screen)] == [
            "11-21 Sat 09:00",
            "11-21 Sat 12:00",
            "11-28 Sat 10:00",
        ]
        assert screen.shown is not None and screen.shown.label == "2026-11"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert rows(screen) == []
        assert "No campaign sends in 2026-12" in str(
            screen.query_one("#cal-notes", Static).render()
        )
        await pilot.press("t")
        await pilot.pause()
        assert len(rows(screen)) == 3
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditScreen)
        assert app.screen.path.stem == "cart_sms"
