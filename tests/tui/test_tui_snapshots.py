"""SVG snapshots of the main screens at 80x24 and 120x40 (`pytest --snapshot-update` to accept).

The clock is frozen (staleness, elapsed time), cursors do not blink, and every worker has
finished before the screenshot, so these are stable between runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from queries.segments.model import EventCond, FieldCond, Group, Not, Segment
from tests.tui.test_tui_support import freeze_cursors, make_app, settle, type_text

SMALL = (80, 24)
LARGE = (120, 40)

LAPSED = Segment(
    "Lapsed gold members",
    Group(
        "all",
        (
            FieldCond("loyalty_tier", "in", ["gold", "platinum"]),
            Group(
                "any",
                (
                    FieldCond("prefecture", "in", ["東京都", "大阪府"]),
                    FieldCond("points", ">=", 5000),
                ),
            ),
            EventCond("purchases", FieldCond("category", "=", "skincare"), within="180d"),
            Not(EventCond("orders", within="7d")),
        ),
    ),
    "Gold or platinum, bought skincare, nothing this week",
)
SKINCARE = Segment(
    "Skincare buyers",
    Group("all", (EventCond("purchases", FieldCond("category", "=", "skincare")),)),
)


@pytest.fixture()
def snap_ws(workspace: Path) -> Path:
    LAPSED.save(workspace / "segments" / "lapsed_gold.yaml")
    SKINCARE.save(workspace / "segments" / "skincare.yaml")
    broken = "name: Broken\nwhere: {all: [{field: tier}]}\n"
    (workspace / "segments" / "broken.yaml").write_text(broken)
    return workspace


def steps(*keys: str, text: str = "", then: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if text:
            await type_text(pilot, text)
            await settle(pilot)
        for key in then:
            await pilot.press(key)
            await settle(pilot)
        freeze_cursors(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_segment_list(snap_compare, snap_ws, size):
    assert snap_compare(make_app(snap_ws), terminal_size=size, run_before=steps())


def test_stale_snapshot_warning(snap_compare, snap_ws):
    """A month after the as-of date the header warns that the snapshot is stale."""
    app = make_app(snap_ws, today=date(2026, 4, 1))
    assert snap_compare(app, terminal_size=SMALL, run_before=steps())


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_builder_with_count(snap_compare, snap_ws, size):
    # the list is sorted: broken, lapsed_gold, skincare
    run = steps("down", "enter")
    assert snap_compare(make_app(snap_ws), terminal_size=size, run_before=run)


def test_field_picker(snap_compare, snap_ws):
    run = steps("down", "enter", "a", text="tier")
    assert snap_compare(make_app(snap_ws), terminal_size=SMALL, run_before=run)


def test_condition_multiselect(snap_compare, snap_ws):
    run = steps("down", "enter", "a", text="tier", then=("enter", "down", "space"))
    assert snap_compare(make_app(snap_ws), terminal_size=SMALL, run_before=run)


def test_event_dialog(snap_compare, snap_ws):
    run = steps("down", "enter", "down", "down", "down", "down", "enter")
    assert snap_compare(make_app(snap_ws), terminal_size=SMALL, run_before=run)


def test_sample(snap_compare, snap_ws):
    run = steps("down", "enter", "tab", "tab")
    assert snap_compare(make_app(snap_ws), terminal_size=LARGE, run_before=run)


def test_breakdown_chart(snap_compare, snap_ws):
    run = steps("down", "enter", "2")
    assert snap_compare(make_app(snap_ws), terminal_size=SMALL, run_before=run)


def test_customer_view(snap_compare, snap_ws):
    run = steps("down", "enter", "1", "enter")  # 1 focuses the sample table; Enter explains
    assert snap_compare(make_app(snap_ws), terminal_size=LARGE, run_before=run)
