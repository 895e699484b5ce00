"""Pilot tests of the marketer's journey: quitting, focus, keys landing where they should."""

from __future__ import annotations

from textual.widgets import Footer

from tui.screens.segment_list import SegmentListScreen

from .test_tui_support import async_test, make_app, settle


def footer_text(app) -> str:
    footer = app.screen.query_one(Footer)
    return " ".join(
        f"{k.key_display} {k.description}" for k in footer.query("FooterKey")  # type: ignore
    )


@async_test
async def test_q_quits_from_the_segment_list_and_the_footer_says_so(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SegmentListScreen)
        assert "q Quit" in footer_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


@async_test
async def test_ctrl_c_quits_from_the_segment_list(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert not app.is_running
