"""Pilot tests: build a segment from the keyboard and check the live count against the engine."""

from __future__ import annotations

from rich.style import Style

from queries.segments.model import EventCond, FieldCond, Group, Segment
from tests.tui.test_tui_support import async_test, make_app, settle, type_text
from tui.screens.builder.builder import BuilderScreen
from tui.screens.builder.condition import ConditionScreen
from tui.screens.builder.event import EventScreen
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.screens.segments.segment_list import SegmentListScreen
from tui.widgets.audience import AudienceBar


async def add_field(pilot, search: str, value_keys: str | None = None) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FieldPickerScreen)
    await type_text(pilot, search)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConditionScreen)
    if value_keys is not None:
        await type_text(pilot, value_keys)


@async_test
async def test_build_segment_from_keystrokes(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SegmentListScreen)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        assert isinstance(builder, BuilderScreen)

        # loyalty_tier in [gold, platinum]: typed into "other values" of the multi-select
        await add_field(pilot, "tier")
        await pilot.press("tab")
        await type_text(pilot, "gold, platinum")
        await pilot.press("enter")
        await settle(pilot)
        # points >= 5000: the operator defaults to ≥ for numbers
        await add_field(pilot, "points", "5000")
        await pilot.press("enter")
        await settle(pilot)
        # an event: orders at least once in the last 30 days
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EventScreen)
        while app.focused is None or app.focused.id != "ev-within":
            await pilot.press("tab")
        await type_text(pilot, "30d")
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, BuilderScreen)
        expected_tree = Group(
            "all",
            (
                FieldCond("loyalty_tier", "in", ["gold", "platinum"]),
                FieldCond("points", ">=", 5000),
                EventCond("orders", within="30d"),
            ),
        )
        assert builder.root == expected_tree
        expected = app.session.runner.count(Segment("x", expected_tree))
        assert expected == 2  # C01 and C06
        bar = builder.query_one("#audience", AudienceBar)
        assert bar.count == expected
        assert f"Audience {expected}" in bar.content().plain
        assert "of 8" in bar.content().plain
        # the waterfall is shown beside each top-level condition
        tree = builder.tree
        assert [(s.removed, s.count) for s in tree.steps] == [(5, 3), (0, 3), (1, 2)]
        lines = [tree.render_label(n, Style(), Style()).plain for n in tree.root.children]
        assert lines[0].startswith("−5 → 3  Loyalty tier is one of gold, platinum")
        assert lines[2].startswith("−1 → 2  Orders at least once in the last 30d")
        assert builder.dirty and "*" in str(builder.query_one("#seg-title").render())


@async_test
async def test_fast_typing_gives_one_final_count(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        # a loaded 2-core box can space simulated keys further apart than a person types
        builder.debounce_s = 1.0
        shown_before = len(builder.counts_shown)
        calls_before = builder.count_calls
        await add_field(pilot, "points", "12000")  # typed with no pause between keys
        await settle(pilot)
        # while typing: the keys that follow one another within the debounce wait for the
        # last one; only the first after a pause may be counted at once (the leading edge)
        calls = builder.count_calls - calls_before
        assert 1 <= calls <= 2
        assert builder.counts_shown[shown_before:][-1] == 1
        dialog_bar = app.screen.query_one(AudienceBar)
        assert dialog_bar.count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert builder.query_one("#audience", AudienceBar).count == 1
        # committing the same tree reuses the draft's count: no second query
        assert builder.count_calls - calls_before == calls


@async_test
async def test_stale_results_are_dropped(workspace, monkeypatch):
    """A slow answer for an older tree arrives after a newer one: it is not shown."""
    import threading

    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        runner = app.session.runner
        real = runner.count  # the builder shows the count first, then the waterfall
        release = threading.Event()

        def count(seg, job=None, **kw):
            if any(getattr(c, "value", None) == 1 for c in seg.where.children):
                release.wait(5)  # the older query is slow
            return real(seg, job, **kw)

        monkeypatch.setattr(runner, "count", count)
        builder.request_count(Group("all", (FieldCond("points", ">=", 1),)), immediate=True)
        await pilot.pause(0.1)
        builder.request_count(Group("all", (FieldCond("points", ">=", 12000),)), immediate=True)
        await pilot.pause(0.3)
        release.set()
        await settle(pilot)
        assert builder.query_one("#audience", AudienceBar).count == 1
        assert 6 not in builder.counts_shown  # points >= 1 would have been 6 people
