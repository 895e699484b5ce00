"""Pilot tests: the segment list's file operations, keys from kizuna.toml, help, palette."""

from __future__ import annotations

from textual.widgets import Static

from queries.segments.model import FieldCond, Group, Not, Segment, SegmentRef
from tests.tui.test_tui_support import async_test, make_app, settle, type_text
from tui.screens.builder.builder import BuilderScreen
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.screens.help import HelpScreen
from tui.screens.segments.segment_list import SegmentListScreen

TIER = Segment("Gold", Group("all", (FieldCond("loyalty_tier", "=", "gold"),)))


@async_test
async def test_duplicate_rename_delete(workspace):
    TIER.save(workspace / "segments" / "gold.yaml")
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, SegmentListScreen)
        assert str(listing.table.get_row("gold")[1]) == "2"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Gold 2")
        await pilot.press("enter")
        await settle(pilot)
        assert (workspace / "segments" / "gold_2.yaml").is_file()
        assert listing.current_stem() == "gold_2"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Gold")  # taken: refused inline
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        assert "already exists" in str(app.screen.query_one("#prompt-error", Static).content)
        await type_text(pilot, " again")
        await pilot.press("enter")
        await settle(pilot)
        assert not (workspace / "segments" / "gold_2.yaml").exists()
        assert app.session.store.load("gold_again").name == "Gold again"
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the first button: Delete
        await settle(pilot)
        assert not (workspace / "segments" / "gold_again.yaml").exists()
        assert listing.table.row_count == 1


@async_test
async def test_rename_keeps_file_name_when_referenced(workspace):
    TIER.save(workspace / "segments" / "gold.yaml")
    Segment("Uses gold", Group("all", (SegmentRef("gold"),))).save(
        workspace / "segments" / "uses.yaml"
    )
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Golden")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.store.load("gold").name == "Golden"
        assert app.session.runner.count(app.session.store.load("uses")) == 2


@async_test
async def test_keys_rebound_from_workspace_config(workspace):
    cfg = workspace / "kizuna.toml"
    cfg.write_text(cfg.read_text() + '[keys]\n"builder.add_field" = "f"\n"no.such.binding" = "z"\n')
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.keymap == {"builder.add_field": "f"}
        assert any("no.such.binding" in str(n.message) for n in app._notifications)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("a")  # no longer bound
        await settle(pilot)
        assert isinstance(app.screen, BuilderScreen)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FieldPickerScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("VerticalScroll Static", Static).content.renderables)
        assert "builder.add_field" in text


@async_test
async def test_command_palette_opens_a_segment_and_theme_toggles(workspace):
    TIER.save(workspace / "segments" / "gold.yaml")
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "open gold")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BuilderScreen)
        assert app.screen.root == TIER.where


@async_test
async def test_unopenable_workspace_is_explained_not_crashed(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "kizuna.toml").write_text('[snapshot]\npath = "missing.duckdb"\n')
    app = make_app(ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.session is None
        status = str(app.screen.query_one("#list-status", Static).content)
        assert "Could not open the workspace" in status and "does not exist" in status
        await pilot.press("n")  # nothing to build on: ignored, no crash
        await settle(pilot)
        assert isinstance(app.screen, SegmentListScreen)


@async_test
async def test_tree_editing_keys(workspace):
    two = Segment(
        "Two", Group("all", (FieldCond("points", ">=", 1), FieldCond("loyalty_tier", "=", "gold")))
    )
    two.save(workspace / "segments" / "two.yaml")
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        b = app.screen
        a_cond, g_cond = two.where.children
        await pilot.press("J")  # move the first condition down
        await settle(pilot)
        assert b.root.children == (g_cond, a_cond) and b.tree.path == (1,)
        await pilot.press("K")
        await pilot.press("w")  # wrap it in an ANY group
        await settle(pilot)
        assert b.root.children[0] == Group("any", (a_cond,))
        await pilot.press("t")  # ANY → ALL
        await pilot.press("n")  # NOT around the group
        await settle(pilot)
        assert b.root.children[0] == Not(Group("all", (a_cond,)))
        before = b.query_one("#audience").count
        await pilot.press("g")  # a new empty ANY group after it
        await settle(pilot)
        assert b.root.children[1] == Group("any") and b.tree.path == (1,)
        # an empty ANY is a placeholder, ignored until it has a condition (issue 15): it
        # does not drop the audience to 0
        assert b.query_one("#audience").count == before
        for _ in range(6):  # J, K, w, t, n, g
            await pilot.press("ctrl+z")
        await settle(pilot)
        assert b.root == two.where and not b.dirty
        assert b.query_one("#audience").count == 2  # C01 and C06
