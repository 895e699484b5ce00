"""Pilot: wide terminals give long labels the room (segment tree, approval review); 80x24 cuts
by display width with …, never mid-way through a double-width character."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from queries.segments.model import FieldCond, Group, Segment
from queries.segments.parse import load_segment
from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle
from tui.screens.builder.builder import BuilderScreen
from tui.screens.handoff.campaign_approve import ApproveScreen
from tui.widgets.segment_tree import SegmentTree

LONG = "Purchases where Category is skincare count ≥ 2 in the last 1y"
JA = "ウィンバック対象のとても長いお名前の方々"


@pytest.fixture()
def ws(tmp_path):
    return copy_demo(tmp_path)


def tree_lines(tree: SegmentTree) -> list[str]:
    return [tree.render_line(y).text.rstrip() for y in range(tree.last_line + 1)]


async def open_builder(pilot, ws, extra=None) -> BuilderScreen:
    await settle(pilot)
    app = pilot.app
    seg = load_segment(ws / "segments" / "repeat_skincare.yaml", app.session.catalog)
    if extra is not None:
        seg = Segment(seg.name, Group("all", (*seg.where.children, extra)), "", seg.path)
    screen = BuilderScreen(seg)
    await app.push_screen(screen)
    await settle(pilot)
    await pilot.pause()
    return screen


@pytest.mark.parametrize("width", [120, 160])
@async_test
async def test_the_tree_grows_with_the_terminal_and_shows_what_fits(ws, width):
    app = demo_app(ws)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_builder(pilot, ws)
        tree = screen.tree
        assert tree.size.width > width // 2  # more than the old fixed half
        assert screen.look.size.width >= 48
        line = tree_lines(tree)[1]
        assert cell_len(line) <= tree.size.width
        if width == 160:
            assert line.endswith(LONG)  # all of it: the room is there
        else:
            assert "…" in line and LONG[:45] in line
        assert tree.virtual_size.width <= tree.scrollable_content_region.width


@async_test
async def test_80x24_cuts_japanese_labels_by_display_width(ws):
    app = demo_app(ws)
    cond = FieldCond("family_name", "=", JA * 3)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_builder(pilot, ws, cond)
        tree = screen.tree
        room = tree.scrollable_content_region.width
        lines = tree_lines(tree)
        ja = next(ln for ln in lines if "ウィンバック" in ln)
        assert ja.endswith("…") and room - 2 <= cell_len(ja) <= room
        assert all(cell_len(ln) <= room for ln in lines)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
@async_test
async def test_the_approval_review_uses_the_width(ws, size):
    app = demo_app(ws)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = ApproveScreen(ws / "campaigns" / "dormant_winback.yaml")
        await app.push_screen(screen)
        await settle(pilot, timeout=90)  # the review renders every recipient: slow on a busy box
        await pilot.pause()
        text = str(screen.query_one("#approve-review").render())
        exclude = "exclude: messages where campaign_id contains winback count ≥ 1 in last 60d"
        width = screen.query_one("#approve-review").size.width
        funnel = text[text.index("Policy funnel") : text.index("→ recipients")].splitlines()
        assert all(cell_len(ln) <= width for ln in funnel), (width, funnel)
        if size[0] == 120:
            assert exclude in text
        else:
            cut = next(ln for ln in funnel if "exclude: messages" in ln)
            assert exclude not in text and "…" in cut  # cut, and it says so
