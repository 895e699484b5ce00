"""A non-recipient's preview names the funnel step that removed them."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp
from textual.widgets import Input, Label

from queries.campaigns.funnel_sql import FunnelSQL
from queries.campaigns.parse import load_campaign
from queries.campaigns.why_not import removed_by
from queries.query.session import open_session
from tests.tui.test_tui_campaign import open_editor, pane_text
from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle
from tui.screens.dialogs import PromptScreen


def _first_with_step(s, c, step: str) -> str:
    status = FunnelSQL(s, c).status().subquery("t")
    q = (
        exp.select(exp.column("customer_id", "t", quoted=True))
        .from_(status)
        .where(exp.EQ(this=exp.column("kz_step", "t", quoted=True), expression=exp.convert(step)))
        .order_by(exp.column("customer_id", "t", quoted=True))
        .limit(1)
    )
    return str(s.runner.fetch(q)[0][0])


def test_removed_by_names_the_step(tmp_path: Path) -> None:
    ws = copy_demo(tmp_path)
    s = open_session(ws)
    try:
        c = load_campaign(ws / "campaigns" / "dormant_winback.yaml", s.catalog, ws, s.store)
        who = _first_with_step(s, c, "suppression")
        text = removed_by(s, c, who)
        assert text is not None and "“suppression”" in text and "suppression list" in text
        assert "not in" in (removed_by(s, c, "NOBODY-HERE") or "")
    finally:
        s.close()


@async_test
async def test_preview_prompt_is_labelled_and_names_the_step(tmp_path: Path) -> None:
    ws = copy_demo(tmp_path)
    app = demo_app(ws)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_editor(pilot, ws, "cart_sms")
        await pilot.press("i")
        assert isinstance(app.screen, PromptScreen)
        labels = [str(lab.render()) for lab in app.screen.query(Label)]
        assert "Customer id" in labels and "Name" not in labels
        app.screen.query_one(Input).value = "C000001"  # not a cart abandoner
        await pilot.press("enter")
        await settle(pilot)
        assert "not in segment cart" in pane_text(screen).splitlines()[0]
