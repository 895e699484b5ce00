"""Pilot: a preset's note (Braze builds the message itself) does not push the name off the
editor's one-line title; it shows on the status line instead."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui.test_tui_campaign_support import copy_demo, demo_app, open_editor
from tests.tui.test_tui_support import async_test

STEM = "dormant_winback"


@async_test
async def test_a_braze_note_leaves_the_campaign_name_whole_at_80_columns(tmp_path):
    ws = copy_demo(tmp_path)
    path = ws / "campaigns" / f"{STEM}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "destination: generic_csv" in text
    path.write_text(text.replace("destination: generic_csv", "destination: braze"), "utf-8")
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_editor(pilot, ws, STEM)
        title = screen.query_one("#cmp-title", Static)
        name = "休眠顧客ウィンバック 2026年11月"
        assert str(title.render()).startswith(name)
        assert title.region.width >= 30  # the name's 30 cells fit beside the audience
        audience = str(screen.query_one("#cmp-audience", Static).render())
        assert "\n" not in audience and "recipients" in audience
        status = str(screen.query_one("#cmp-status", Static).render())
        assert "Braze" in status
