"""Pilot tests: cancel a slow count, refuse invalid input, save and reload, explain customers."""

from __future__ import annotations

import time

from textual.widgets import Input, Static

from queries.core.errors import QueryCancelled
from queries.segments.model import FieldCond, Group, Segment
from tests.tui.test_tui_builder import add_field
from tests.tui.test_tui_support import async_test, busy, make_app, settle, type_text
from tui.screens.builder.builder import BuilderScreen
from tui.screens.builder.condition import ConditionScreen
from tui.screens.dialogs import ConfirmScreen, PromptScreen
from tui.screens.segments.segment_list import SegmentListScreen
from tui.widgets.audience import AudienceBar
from tui.widgets.look_customer import CustomerPane

GOLD = Segment(
    "Gold and up",
    Group("all", (FieldCond("loyalty_tier", "in", ["gold", "platinum"]),)),
    "Gold or platinum members",
)


def save_gold(workspace) -> None:
    GOLD.save(workspace / "segments" / "gold.yaml")


@async_test
async def test_escape_cancels_a_slow_count(workspace, monkeypatch):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        started = []

        def slow_count(seg, job=None, **kw):
            started.append(job)
            while not job.cancelled:  # a query that only ends when interrupted
                time.sleep(0.01)
            raise QueryCancelled("cancelled")

        # the builder counts the audience first (the waterfall follows it)
        monkeypatch.setattr(app.session.runner, "count", slow_count)
        await pilot.press("c")  # recount (an empty group added with g no longer counts)
        for _ in range(100):
            await pilot.pause(0.02)
            if started:
                break
        bar = builder.query_one("#audience", AudienceBar)
        assert bar.counting and "counting…" in bar.content().plain
        await pilot.press("escape")
        await settle(pilot, timeout=5)
        assert started[0].cancelled
        assert not bar.counting
        assert "count cancelled" in bar.content().plain
        assert not busy(app)


@async_test
async def test_invalid_values_are_refused_with_a_reason(workspace, monkeypatch):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        asked = []
        real = app.session.runner.count
        monkeypatch.setattr(
            app.session.runner,
            "count",
            lambda seg, job=None, **kw: asked.append(seg) or real(seg, job, **kw),
        )
        await add_field(pilot, "points", "5千")
        await settle(pilot)
        dialog = app.screen
        check = dialog.query_one("#cond-check", Static)
        assert "✗" in str(check.render()) and "is not a number" in str(check.render())
        assert dialog.query_one("#v-scalar", Input).has_class("-invalid")
        await pilot.press("enter")  # refused: the dialog stays, nothing changes
        await settle(pilot)
        assert isinstance(app.screen, ConditionScreen)
        assert asked == []  # the invalid value never reached the database
        # between with low above high: the engine's own check explains
        await pilot.press("shift+tab")  # back to the operator
        dialog.query_one("#cond-op").value = "between"
        await settle(pilot)
        await pilot.click("#v-low")
        await type_text(pilot, "900")
        await pilot.click("#v-high")
        await type_text(pilot, "100")
        await settle(pilot)
        assert "low 900 is above high 100" in str(dialog.query_one("#cond-check").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BuilderScreen)
        assert builder.root == Group("all")
        assert asked == []


@async_test
async def test_save_then_reload_round_trips(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        await add_field(pilot, "points", "5000")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # never saved: asks for a name
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Big pts")
        await pilot.press("enter")
        await settle(pilot)
        path = workspace / "segments" / "big_pts.yaml"
        assert path.is_file() and not builder.dirty
        shown = builder.query_one("#audience", AudienceBar).count
        store = app.session.store
        saved = store.load("big_pts")
        assert saved.where == builder.root and saved.name == "Big pts"
        # the CLI's count (same engine, same file) gives the number the TUI showed
        assert app.session.runner.count(saved) == shown == 3
        await pilot.press("q")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, SegmentListScreen)
        row = listing.table.get_row("big_pts")
        assert str(row[0]) == "Big pts" and str(row[1]) == "3"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BuilderScreen) and app.screen.root == saved.where


@async_test
async def test_leaving_with_unsaved_changes_asks(workspace):
    save_gold(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        builder = app.screen
        await pilot.press("down", "x")  # delete the condition
        await settle(pilot)
        assert builder.dirty and builder.root == Group("all")
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # cancel: stay
        await settle(pilot)
        assert app.screen is builder
        await pilot.press("ctrl+z")  # undo brings the condition back: clean again
        await settle(pilot)
        assert not builder.dirty and builder.root == GOLD.where
        await pilot.press("ctrl+y", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert isinstance(app.screen, SegmentListScreen)
        assert app.session.store.load("gold").where == GOLD.where  # the file is untouched


@async_test
async def test_customer_view_explains_member_and_non_member(workspace):
    save_gold(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.click("#customer-id")
        await type_text(pilot, "C02")
        await pilot.press("enter")
        await settle(pilot)
        pane = app.screen.query_one(CustomerPane)
        text = _plain(pane.query_one("#customer-result", Static))
        assert "✓ IN Gold and up" in text
        assert "✓ loyalty_tier is one of [gold, platinum]" in text
        assert "platinum" in text and "Recent orders" in text
        assert "髙*" in text  # the family name, masked
        await pilot.press("ctrl+u")
        await type_text(pilot, "C04")
        await pilot.press("enter")
        await settle(pilot)
        text = _plain(pane.query_one("#customer-result", Static))
        assert "✗ NOT in Gold and up" in text
        assert "✗ loyalty_tier is one of [gold, platinum]" in text and "silver" in text
        await pilot.press("ctrl+u")
        await type_text(pilot, "nobody")
        await pilot.press("enter")
        await settle(pilot)
        assert "no customer with id `nobody`" in _plain(pane.query_one("#customer-result", Static))


def _plain(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


@async_test
async def test_quit_with_unsaved_changes_asks_first(workspace):
    save_gold(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "n")  # negate the condition: unsaved
        await settle(pilot)
        builder = app.screen
        assert builder.dirty
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.click("#choice-save")
        await settle(pilot)
    assert not app.is_running
    assert app.session is not None
    saved = app.session.store.load("gold")
    assert saved.where == builder.root and saved.where != GOLD.where
