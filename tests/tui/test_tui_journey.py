"""Pilot tests of the marketer's journey: quitting, focus, keys landing where they should."""

from __future__ import annotations

from textual.widgets import Footer

from tests.tui.test_tui_support import async_test, make_app, settle
from tui.screens.segments.segment_list import SegmentListScreen


def footer_text(app) -> str:
    footer = app.screen.query_one(Footer)
    return " ".join(
        f"{k.key_display} {k.description}"
        for k in footer.query("FooterKey")  # type: ignore
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


@async_test
async def test_field_search_finds_birthday_in_both_languages(workspace):
    from tui.screens.builder.field_picker import FieldPickerScreen

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FieldPickerScreen)
        for words in ("birthday", "誕生日", "生年月日", "ランク"):
            picker.query_one("#picker-search").value = words
            await pilot.pause()
            assert picker.shown, words
            want = "loyalty_tier" if words == "ランク" else "birth_date"
            assert picker.shown[0].name == want, (words, [f.name for f in picker.shown])


@async_test
async def test_anniversary_within_shows_the_days_it_covers(workspace):
    from queries.segments.model import FieldCond, Group, Segment
    from tui.screens.builder.condition import ConditionScreen
    from tui.widgets.segment_tree import SegmentTree

    cond = FieldCond("birth_date", "anniversary_within", "14d")
    seg = Segment("Birthdays", Group("all", (cond,)))
    seg.save(workspace / "segments" / "birthdays.yaml")
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        as_of = app.session.snapshot.as_of
        from datetime import timedelta

        want = f"{as_of:%m-%d} … {as_of + timedelta(days=13):%m-%d}"
        await pilot.press("enter")
        await settle(pilot)
        tree = app.screen.query_one(SegmentTree)
        labels = [str(n.label) for n in tree.root.children]
        assert any(want in lab for lab in labels), labels
        tree.focus()
        tree.move_cursor(tree.root.children[0])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConditionScreen)
        check = str(app.screen.query_one("#cond-check").render())
        assert want in check, check


def _gold(workspace):
    from queries.segments.model import FieldCond, Group, Segment

    seg = Segment("Gold", Group("all", (FieldCond("loyalty_tier", "in", ["gold", "platinum"]),)))
    seg.save(workspace / "segments" / "gold.yaml")


@async_test
async def test_customer_tab_takes_the_id_typed_at_once(workspace):
    from tests.tui.test_tui_flows import _plain
    from tests.tui.test_tui_support import type_text
    from tui.widgets.look_customer import CustomerPane

    _gold(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("5")  # no Tab, no click: the id box has the focus
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "customer-id"
        await type_text(pilot, "c02")  # another case finds C02
        await pilot.press("enter")
        await settle(pilot)
        text = _plain(app.screen.query_one(CustomerPane).query_one("#customer-result"))
        assert "✓ IN Gold" in text


@async_test
async def test_sample_tab_focuses_the_table_and_enter_explains(workspace):
    from tui.widgets.look_customer import CustomerPane

    _gold(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("2", "1")  # away and back to the sample tab
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "sample-table"
        status = str(app.screen.query_one("#sample-status").render())
        assert "enter explains" in status
        await pilot.press("enter")
        await settle(pilot)
        pane = app.screen.query_one(CustomerPane)
        assert pane.customer_id and app.screen.query_one("#look-tabs").active == "customer"


@async_test
async def test_is_one_of_takes_typed_values_and_space_ticks(workspace):
    from textual.widgets import SelectionList

    from tests.tui.test_tui_builder import add_field
    from tests.tui.test_tui_support import type_text
    from tui.screens.builder.condition import ConditionScreen

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await add_field(pilot, "tier")
        screen = app.screen
        assert isinstance(screen, ConditionScreen)
        await type_text(pilot, "gold")  # typed straight away: not lost
        await pilot.pause()
        assert screen.query_one("#v-other").value == "gold"
        choices = screen.query_one("#v-choices", SelectionList)
        choices.focus()
        await pilot.pause()
        choices.highlighted = 0
        await pilot.press("space")
        await pilot.pause()
        assert len(choices.selected) == 1


@async_test
async def test_enter_applies_a_boolean_condition(workspace):
    from queries.segments.model import FieldCond, Group
    from tests.tui.test_tui_builder import add_field

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        await add_field(pilot, "email_opt_in")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is builder
        assert builder.root == Group("all", (FieldCond("email_opt_in", "is_true"),))


@async_test
async def test_fast_typing_in_the_event_dialog_does_not_bleed_between_boxes(workspace):
    from textual import events

    from tui.screens.builder.event import EventScreen

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EventScreen)
        screen.query_one("#ev-count-op").value = ">="
        await pilot.pause()
        screen.query_one("#ev-count").focus()
        await pilot.pause()
        # all four keys queued before any is handled: as a fast typist over SSH sends them
        for key, char in (("2", "2"), ("tab", "\t"), ("1", "1"), ("y", "y")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert screen.query_one("#ev-count").value == "2"
        assert screen.query_one("#ev-within").value == "1y"


@async_test
async def test_g_adds_a_placeholder_group_that_keeps_the_audience(workspace):
    from queries.segments.model import Group
    from tests.tui.test_tui_builder import add_field

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        await add_field(pilot, "points", "5000")
        await pilot.press("enter")
        await settle(pilot)
        before = builder.query_one("#audience").count
        assert before > 0
        await pilot.press("g")
        await settle(pilot)
        assert builder.root.children[-1] == Group("any")
        assert builder.query_one("#audience").count == before
        label = str(builder.tree.root.children[-1].label)
        assert "empty" in label and "ignored" in label


@async_test
async def test_palette_has_campaign_actions(tmp_path):
    from textual.command import CommandPalette

    from tests.tui.test_tui_campaign_support import copy_demo, demo_app
    from tests.tui.test_tui_support import type_text

    ws = copy_demo(tmp_path)
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "export")
        await pilot.pause(0.5)
        hits = [str(o.prompt) for o in app.screen.query_one("CommandList").options]
        assert any("Export campaign" in h for h in hits), hits


@async_test
async def test_force_checkbox_reads_x_when_on(tmp_path):
    from tui.widgets.tick import TickBox

    class Box(__import__("textual.app", fromlist=["App"]).App):
        def compose(self):
            yield TickBox("force past drift_limit", id="b")

    app = Box()
    async with app.run_test(size=(60, 5)) as pilot:
        box = app.query_one(TickBox)
        assert box._button.plain == "[ ]"
        box.value = True
        await pilot.pause()
        assert box._button.plain == "[x]"


@async_test
async def test_choosing_a_count_operator_moves_the_cursor_to_the_count(workspace):
    """`count ≥` picked from the list, then `2`, Tab and a window: each lands in its box."""
    from textual.widgets import Input

    from tests.tui.test_tui_support import type_text
    from tui.screens.builder.event import EventScreen

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EventScreen)
        screen.query_one("#ev-count-op").focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*["down"] * 6, "enter")  # at least once → … → count ≥
        await pilot.pause()
        await pilot.press("2", "tab")
        await type_text(pilot, "1y")
        await pilot.pause()
        assert screen.query_one("#ev-count", Input).value == "2"
        assert screen.query_one("#ev-within", Input).value == "1y"


@async_test
async def test_enter_applies_a_boolean_field_picked_with_change_field(workspace):
    """F2 from an `is one of` condition to a yes/no field: Enter applies, as the hint says."""
    from queries.segments.model import FieldCond, Group
    from tests.tui.test_tui_builder import add_field
    from tests.tui.test_tui_support import type_text

    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        await add_field(pilot, "tier")
        await pilot.press("f2")
        await settle(pilot)
        await type_text(pilot, "email_opt_in")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is builder
        assert builder.root == Group("all", (FieldCond("email_opt_in", "is_true"),))


@async_test
async def test_palette_in_the_campaign_editor_opens_its_dialogs(tmp_path):
    """ctrl+p, `coupon`, Enter: the coupon dialog, as the `c` key would open it."""
    from textual.command import CommandPalette

    from tests.tui.test_tui_campaign_support import copy_demo, demo_app, open_editor
    from tests.tui.test_tui_support import type_text
    from tui.screens.campaigns.campaign_rules import CouponScreen, PolicyScreen

    ws = copy_demo(tmp_path)
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot, ws, "dormant_winback")
        for word, dialog in (("coupon", CouponScreen), ("policy", PolicyScreen)):
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await type_text(pilot, word)
            await pilot.pause(0.5)
            hits = [str(o.prompt) for o in app.screen.query_one("CommandList").options]
            assert hits and word in hits[0].lower(), hits
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, dialog)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is editor
