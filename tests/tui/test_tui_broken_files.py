"""Pilot: the TUI opens on a workspace holding hostile files, each listed as broken."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.tui.test_tui_support import async_test, make_app, settle
from tests.unit.test_hostile_yaml import BOMB
from tui.screens.campaigns.campaign_list import CampaignListScreen, open_campaigns
from tui.screens.segments.segment_list import SegmentListScreen

GOOD = "name: Big spenders\nwhere: {field: points, op: '>', value: 1}\n"
HOSTILE = {
    "bomb": BOMB,
    "deep": "name: d\nwhere: " + "{not: {all: [" * 1000 + "{all: []}" + "]}}" * 1000 + "\n",
    "huge": GOOD + ("# " + "x" * 98 + "\n") * 11_000,
    "baddate": "name: d\nwhere: {field: birth_date, op: on, value: 2024-13-45}\n",
    "inf": "name: d\nwhere: {field: points, op: '>', value: .inf}\n",
}
CAMPAIGN = (
    "name: C\nwho: {segment: good}\nhow: {channel: email}\nwhat:\n"
    "  variants:\n    - {name: A, subject: Hi, body: Hello}\n"
)


def _fill(ws: Path) -> None:
    (ws / "campaigns").mkdir(exist_ok=True)
    (ws / "segments" / "good.yaml").write_text(GOOD)
    (ws / "campaigns" / "good.yaml").write_text(CAMPAIGN)
    for stem, text in HOSTILE.items():
        (ws / "segments" / f"{stem}.yaml").write_text(text)
        (ws / "campaigns" / f"{stem}.yaml").write_text(text.replace("name: d", "name: C"))


@async_test
async def test_tui_opens_with_hostile_files_listed_as_broken(workspace):
    _fill(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, SegmentListScreen)
        assert set(listing.errors) == set(HOSTILE)  # the good one counts, the others are marked
        rows = {str(k.value): listing.table.get_row(k) for k in listing.table.rows}
        assert set(rows) == {"good", *HOSTILE}
        assert str(rows["good"][1]).isdigit()  # counted
        assert all("invalid" in str(rows[stem][1]) for stem in HOSTILE)
        assert "levels deep" in listing.errors["deep"]
        assert "alias" in listing.errors["bomb"]
        assert "MB" in listing.errors["huge"]
        assert "2024-13-45" in listing.errors["baddate"]
        assert "finite" in listing.errors["inf"]
        open_campaigns(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignListScreen)
        table = screen.query_one(DataTable)
        assert {str(k.value) for k in table.rows} == {"good", *HOSTILE}
        assert set(screen.errors) == set(HOSTILE)
