"""The campaign list shows each campaign's status and send time, and Japanese names whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queries.campaigns.parse import load_campaign
from queries.handoff.approval import approve, review
from queries.handoff.status import campaign_status
from queries.query.session import open_session
from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle
from tui.screens.campaigns.campaign_list import CampaignListScreen

STEM = "dormant_winback"


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def _approve(ws: Path) -> None:
    s = open_session(ws)
    try:
        c = load_campaign(ws / "campaigns" / f"{STEM}.yaml", s.catalog, ws, s.store)
        approve(s, review(s, c), "hanako", force=True)  # the demo's send_at is past
    finally:
        s.close()


def _status(ws: Path) -> str:
    s = open_session(ws)
    try:
        c = load_campaign(ws / "campaigns" / f"{STEM}.yaml", s.catalog, ws, s.store)
        return campaign_status(s, c).state
    finally:
        s.close()


def test_status_follows_the_campaign_through_its_life(ws: Path) -> None:
    assert _status(ws) == "draft"
    _approve(ws)
    assert _status(ws) == "approved"
    folder = ws / "exports" / STEM / "20261128T010000Z"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"export_id": folder.name}))
    assert _status(ws) == "exported"
    (ws / "results").mkdir()
    (ws / "results" / f"{STEM}-{folder.name}.md").write_text("## results\n")
    assert _status(ws) == "measured"
    path = ws / "campaigns" / f"{STEM}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _status(ws) == "changed"


@async_test
async def test_list_shows_status_send_time_and_whole_japanese_names(ws: Path) -> None:
    _approve(ws)
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignListScreen)
        row = [str(c) for c in screen.table.get_row(STEM)]
        assert row[0] == "休眠顧客ウィンバック 2026年11月"  # not cut at 80 columns
        assert row[1] == "approved"
        assert "11-28 10:00" in row[-1]
        other = [str(c) for c in screen.table.get_row("cart_sms")]
        assert other[1] == "draft"
