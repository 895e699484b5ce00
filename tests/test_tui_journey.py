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


@async_test
async def test_field_search_finds_birthday_in_both_languages(workspace):
    from tui.screens.field_picker import FieldPickerScreen

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
    from queries.segment import FieldCond, Group, Segment
    from tui.screens.condition import ConditionScreen
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
