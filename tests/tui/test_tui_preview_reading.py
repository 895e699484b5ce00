"""Pilot: the campaign preview reads like the message (kinsoku line breaks, HTML as text)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from tests.tui.test_tui_campaign_support import copy_demo, demo_app, open_editor, pane_text
from tests.tui.test_tui_support import async_test, settle
from tui.widgets.campaign_preview import CampaignPreview
from tui.wrap import NO_START


@pytest.fixture()
def campaign_ws(tmp_path):
    return copy_demo(tmp_path)


def message_width(screen) -> int:
    return screen.query_one(CampaignPreview).query_one("#cmp-message", Static).size.width


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@async_test
async def test_preview_lines_fit_and_never_start_with_a_closing_mark(campaign_ws, size):
    app = demo_app(campaign_ws)
    async with app.run_test(size=size) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        await settle(pilot)
        width = message_width(screen)
        text = pane_text(screen)
        body = text[text.index("── body") : text.index("values used")]
        lines = body.splitlines()[1:]
        assert len(lines) > 4 and all(cell_len(ln) <= width for ln in lines), (width, lines)
        assert not [ln for ln in lines if ln and ln[0] in NO_START]
        assert any("。" in ln for ln in lines)


@async_test
async def test_html_body_reads_as_text_with_links_and_r_shows_the_source(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        text = pane_text(screen)
        assert "<p>" not in text and "as read · r source" in text
        assert "こちら (https://shop.example.jp/unsubscribe)から。" in text.replace("\n", "")
        await pilot.press("r")
        await pilot.pause()
        text = pane_text(screen)
        assert 'href="https://shop.example.jp/unsubscribe">' in text.replace("\n", "")
        assert "HTML source · r as read" in text
        await pilot.press("r")
        await pilot.pause()
        assert "<p>" not in pane_text(screen)
