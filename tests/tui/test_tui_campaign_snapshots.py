"""SVG snapshots of the campaign editor at 80x24 and 120x40 (`pytest --snapshot-update`).

The clock is frozen, the editor is not focused (no blinking cursor) and every worker has
finished (preview, funnel) before the screenshot, so these are stable between runs.
"""

from __future__ import annotations

import pytest

from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import settle
from tui.screens.campaigns.campaign_edit import CampaignEditScreen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_campaign_editor(snap_compare, tmp_path, size):
    ws = copy_demo(tmp_path)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.push_screen(CampaignEditScreen(ws / "campaigns" / "dormant_winback.yaml"))
        await settle(pilot)
        await pilot.press("right_square_bracket")  # the second sample recipient
        await settle(pilot)

    assert snap_compare(demo_app(ws), terminal_size=size, run_before=run_before)
