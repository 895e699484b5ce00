"""Pilot tests of the campaign screens over a copy of the demo workspace."""

from __future__ import annotations

import re
import time

import pytest
from textual.widgets import DataTable, Input

from queries.campaigns.parse import load_campaign
from queries.campaigns.preview import html_to_text, preview
from queries.core.errors import QueryCancelled
from tests.tui.test_tui_campaign_support import (
    copy_demo,
    demo_app,
    open_editor,
    pane_text,
    paste,
    status_text,
)
from tests.tui.test_tui_support import async_test, settle
from tui.screens.campaigns import campaign_live, campaign_preflight
from tui.screens.campaigns.campaign_draft import CampaignDraft
from tui.screens.campaigns.campaign_edit import CampaignEditScreen
from tui.screens.campaigns.campaign_list import CampaignListScreen, open_campaigns
from tui.screens.campaigns.campaign_messages import CampaignPreviewed
from tui.screens.campaigns.campaign_preflight import CampaignPreflightScreen
from tui.screens.dialogs import ConfirmScreen, PromptScreen, SegmentPickerScreen
from tui.widgets.campaign_preview import CampaignPreview

SIZE = (100, 30)
KANA = re.compile("[ぁ-んァ-ヶ]")


@pytest.fixture()
def campaign_ws(tmp_path):
    return copy_demo(tmp_path)


async def type_chars(pilot, text: str) -> None:
    """Type text key by key (any character, Japanese included)."""
    await pilot.press(*text)


@async_test
async def test_list_shows_the_demo_campaigns_with_recipients(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_campaigns(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignListScreen)
        table = screen.query_one(DataTable)
        rows = {str(k.value): table.get_row(k) for k in table.rows}
        assert set(rows) == {"birthday_line", "cart_sms", "dormant_winback"}
        # a status column after the name (issue 15); channel and segment when wide enough
        name, status, channel, segment, count, _ = rows["dormant_winback"]
        assert str(name) == "休眠顧客ウィンバック 2026年11月" and str(status) == "draft"
        assert (channel, str(segment)) == ("email", "dormant")
        assert str(count).replace(",", "").isdigit()
        assert rows["cart_sms"][2] == "sms" and rows["birthday_line"][2] == "line"
        open_campaigns(app)  # already open: stays one screen
        assert sum(isinstance(s, CampaignListScreen) for s in app.screen_stack) == 1
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditScreen)
        assert app.screen.path.name == "dormant_winback.yaml"


@async_test
async def test_editor_shows_what_preview_renders_for_the_same_recipient(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        s = app.session
        c = load_campaign(
            campaign_ws / "campaigns/dormant_winback.yaml", s.catalog, s.ws.root, s.store
        )
        first = preview(s, c, n=10).samples[0]
        text = pane_text(screen)
        assert first.customer_id in text
        flat = text.replace("\n", "").replace(" ", "")  # the pane wraps lines to its width
        subject = first.messages["A"]["subject"].text
        assert KANA.search(subject) and subject.replace(" ", "") in flat
        for line in html_to_text(first.messages["A"]["body"].text).splitlines():
            assert line.replace(" ", "") in flat
        assert "✓" in text and "characters (limit 150)" in text
        assert "coupon" in text and first.values["coupon"] in text


@async_test
async def test_typing_in_the_template_updates_the_preview(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        points = screen.current.values["points"]
        await pilot.press("e")
        assert screen.focused is screen.editor
        await type_chars(pilot, "ポイント{{ points }}点 ")
        assert screen.dirty and "*" in app.sub_title
        await settle(pilot)
        assert f"ポイント{points}点" in pane_text(screen)  # a line before the first <p>
        assert screen.generation > 0 and screen.error is None


@async_test
async def test_a_template_syntax_error_shows_line_and_column(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        first = screen.current.customer_id
        await pilot.press("e")
        screen.editor.move_cursor((1, 0))  # the start of line 2
        await type_chars(pilot, "{% if")
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditScreen)
        status = status_text(screen)
        assert "A.body" in status and "line 2, column 1" in status
        assert screen.editor.has_class("-invalid")
        assert screen.query_one(CampaignPreview).has_class("-stale")
        assert pane_text(screen).startswith(f"1/10  {first}")  # the last good render stays
        await paste(pilot, " points %}{% endif %}")
        await settle(pilot)
        assert screen.error is None and not screen.editor.has_class("-invalid")


@async_test
async def test_unknown_variable_in_the_subject_names_the_field(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        subject = screen.query_one("#cmp-subject", Input)
        subject.focus()
        subject.cursor_position = 0
        await type_chars(pilot, "{{ famly }}")
        await settle(pilot)
        status = status_text(screen)
        assert "A.subject" in status and "famly" in status and "column 4" in status
        assert subject.has_class("-invalid")


@async_test
async def test_switching_recipient_and_variant(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        first = screen.current.customer_id
        assert pane_text(screen).startswith(f"1/10  {first}")
        await pilot.press("right_square_bracket")
        second = screen.current.customer_id
        assert second != first and pane_text(screen).startswith(f"2/10  {second}")
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert pane_text(screen).startswith("10/10")
        await pilot.press("v")
        assert (
            screen.variant == "B"
            and "winback_b.liquid" in screen.form.query_one("#cmp-source").render().plain
        )
        assert "{%- assign pick" in screen.editor.text
        await pilot.press("e", "ctrl+n")  # ctrl+n works while typing
        assert screen.index == 0 and screen.editor.text.startswith("{%- assign")


@async_test
async def test_preflight_runs_and_reports_ok(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CampaignPreflightScreen)
        report = dialog.query_one("#preflight-report").render().plain
        assert report.startswith("Preflight ✓ OK") and "recipients rendered" in report
        assert "Distinct messages" in report and "given_name | default" in report
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and "preflight ✓ OK" in status_text(screen)


@async_test
async def test_escape_stops_a_running_preflight(campaign_ws, monkeypatch):
    started = []

    def slow_preflight(session, c, job=None, progress=None):
        started.append(job)
        progress(0, 100)
        while not job.cancelled:  # only ends when interrupted
            time.sleep(0.01)
        raise QueryCancelled("cancelled")

    monkeypatch.setattr(campaign_preflight, "preflight", slow_preflight)
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "cart_sms")
        await pilot.press("f")
        for _ in range(100):
            await pilot.pause(0.02)
            if started:
                break
        assert isinstance(app.screen, CampaignPreflightScreen) and app.screen.running
        await pilot.press("escape")
        await settle(pilot, timeout=5)
        assert started[0].cancelled and app.screen is screen


@async_test
async def test_sms_over_budget_is_marked_with_a_cross(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "cart_sms")
        assert "UCS-2, 1 segment" in pane_text(screen) and "✓" in pane_text(screen)
        await pilot.press("e")
        screen.editor.move_cursor(screen.editor.document.end)
        await paste(pilot, " 送料無料キャンペーン実施中です")
        await settle(pilot)
        assert "✗ over budget: UCS-2, 2 segments" in pane_text(screen)


@async_test
async def test_invalid_send_at_is_marked_and_save_refused(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "cart_sms")
        original = (campaign_ws / "campaigns/cart_sms.yaml").read_text()
        send_at = screen.query_one("#cmp-send-at", Input)
        send_at.focus()
        await pilot.press("ctrl+a", "ctrl+k")  # clear the line
        await type_chars(pilot, "tomorrow")
        await settle(pilot)
        assert "when.send_at" in status_text(screen) and send_at.has_class("-invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (campaign_ws / "campaigns/cart_sms.yaml").read_text() == original
        assert screen.dirty


@async_test
async def test_save_round_trips_yaml_and_template_file(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "dormant_winback")
        holdout = screen.query_one("#cmp-holdout", Input)
        holdout.focus()
        await pilot.press("end", "backspace", "backspace")
        await type_chars(pilot, "15")
        await pilot.press("escape", "e")
        await paste(pilot, "ようこそ ")
        await settle(pilot)
        assert screen.dirty
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not screen.dirty and "*" not in app.sub_title
        s = app.session
        c = load_campaign(
            campaign_ws / "campaigns/dormant_winback.yaml", s.catalog, s.ws.root, s.store
        )
        assert c.holdout.percent == 15 and c.variants[0].body_file == "templates/winback_a.liquid"
        body = (campaign_ws / "templates/winback_a.liquid").read_text()
        assert body.startswith("ようこそ <p>") and body.endswith("</p>\n")
        assert c.templates[("A", "body")].source == body[:-1]
        again = CampaignDraft.load(screen.path, s.catalog, s.ws.root, s.store)
        assert again.yaml() == screen.draft.yaml()
        assert again.file_sources() == screen.draft.file_sources()


@async_test
async def test_leaving_with_unsaved_changes_asks(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_campaigns(app)
        await settle(pilot)
        await pilot.press("down", "enter")  # cart_sms
        await settle(pilot)
        await pilot.press("e")
        await type_chars(pilot, "x")
        await pilot.press("escape", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # cancel: stay
        assert isinstance(app.screen, CampaignEditScreen) and app.screen.dirty
        await pilot.press("q")
        await settle(pilot)
        app.screen.action_choose("discard")
        await settle(pilot)
        assert isinstance(app.screen, CampaignListScreen)
        assert "{{ family_name" in (campaign_ws / "campaigns/cart_sms.yaml").read_text()


@async_test
async def test_new_campaign_from_a_saved_segment(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_campaigns(app)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SegmentPickerScreen)
        app.screen.dismiss("repeat_skincare")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignEditScreen)
        assert screen.path.parent == campaign_ws / "campaigns" and screen.path.is_file()
        assert screen.draft.segment == "repeat_skincare" and screen.error is None
        assert "様" in pane_text(screen)


@async_test
async def test_preview_for_a_chosen_customer_id(campaign_ws):
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "cart_sms")
        third = screen.result.samples[2].customer_id
        await pilot.press("i")
        assert isinstance(app.screen, PromptScreen)
        await type_chars(pilot, third)
        await pilot.press("enter")
        await settle(pilot)
        assert pane_text(screen).startswith(f"1/1  {third}") and screen.pinned == third
        await pilot.press("i")
        app.screen.query_one(Input).value = "C000001"  # not a cart abandoner
        await pilot.press("enter")
        await settle(pilot)
        assert pane_text(screen).startswith("1/1  C000001  ✗ not in the audience")
        await pilot.press("right_square_bracket")  # back to the samples
        await settle(pilot)
        assert screen.pinned is None and pane_text(screen).startswith("1/10")


@async_test
async def test_a_campaign_with_an_inline_where(campaign_ws):
    (campaign_ws / "campaigns/inline.yaml").write_text(
        "name: Inline\n"
        "who:\n  where: {all: [{field: loyalty_tier, op: '=', value: gold}]}\n"
        "how: {channel: line}\n"
        "what:\n  variants:\n    - {name: main, text: '{{ family_name }}様'}\n"
    )
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "inline")
        assert screen.query_one("#cmp-segment").value == "(inline where)"
        assert "様" in pane_text(screen) and screen.error is None
        assert screen.query_one("#cmp-subject-row").display is False


@async_test
async def test_typing_renders_once_typing_pauses_and_stale_results_are_dropped(
    campaign_ws, monkeypatch
):
    calls = []
    real = campaign_live.preview

    def counting_preview(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(campaign_live, "preview", counting_preview)
    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, campaign_ws, "cart_sms", debounce=0.3)
        assert len(calls) == 1
        old = screen.result
        await pilot.press("e", "a", "b", "c", "d")  # faster than the debounce
        await settle(pilot)
        assert len(calls) == 2 and pane_text(screen).count("abcd") == 1
        shown = pane_text(screen)
        screen.post_message(CampaignPreviewed(screen.generation - 1, screen.campaign, old))
        await pilot.pause()
        assert pane_text(screen) == shown and screen.result is not old


@async_test
async def test_list_opens_approval_and_export_for_the_selected_campaign(campaign_ws):
    from tui.screens.handoff.campaign_approve import ApproveScreen
    from tui.screens.handoff.campaign_export import ExportScreen

    app = demo_app(campaign_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_campaigns(app)
        await settle(pilot)
        await pilot.press("down", "a")  # cart_sms
        await settle(pilot)
        assert isinstance(app.screen, ApproveScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert (
            isinstance(app.screen, CampaignListScreen) and app.screen.current_stem() == "cart_sms"
        )
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
