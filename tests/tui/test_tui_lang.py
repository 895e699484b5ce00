"""The TUI in Japanese: footer keys, the tree's condition sentences and field search (which
finds a field by its English label too)."""

from __future__ import annotations

from queries.segments.model import FieldCond, Group, Segment
from tests.tui.test_tui_support import async_test, make_app, settle


@async_test
async def test_japanese_footer_tree_and_search(workspace):
    from tui.screens.builder.field_picker import FieldPickerScreen
    from tui.widgets.segment_tree import SegmentTree

    cond = FieldCond("loyalty_tier", "in", ["gold", "platinum"])
    Segment("Gold", Group("all", (cond,))).save(workspace / "segments" / "gold.yaml")
    app = make_app(workspace, lang="ja")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = [active[1].description for active in app.screen.active_bindings.values()]
        assert "新規" in keys and "終了" in keys
        await pilot.press("enter")  # open Gold
        await settle(pilot)
        tree = app.screen.query_one(SegmentTree)
        lines = [str(node.label) for node in tree.root.children]
        assert any("会員ランク が gold, platinum のいずれか" in line for line in lines), lines
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FieldPickerScreen)
        for words in ("Birth date", "birthday", "誕生日"):
            picker.query_one("#picker-search").value = words
            await pilot.pause()
            assert picker.shown and picker.shown[0].name == "birth_date", words
            assert picker.shown[0].label == "誕生日"
