"""Compose a segment: the tree on one side, the live count above, the Look tabs beside it."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, Tree

from queries.core.i18n import _
from queries.query.runner import WaterfallStep
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, Segment, SegmentRef
from tui.keymap import bind
from tui.kizuna import kizuna, session_of
from tui.live import LiveCount
from tui.messages import AudienceCounted, Drafted, QueryFailed, WaterfallComputed
from tui.screens.builder.builder_files import SegmentFile, other_segments
from tui.screens.builder.condition import ConditionScreen
from tui.screens.builder.drafting import DraftingDialog
from tui.screens.builder.event import EventScreen
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.screens.dialogs import SegmentPickerScreen
from tui.widgets import edits
from tui.widgets.audience import Audience, AudienceBar
from tui.widgets.header import SnapshotHeader
from tui.widgets.look import LookTabs
from tui.widgets.look_pane import LookPane
from tui.widgets.prune import without_empty_groups
from tui.widgets.segment_tree import SegmentTree
from tui.widgets.value_parse import default_op

Make = Callable[[Node], tuple[Node, edits.Path]]  # the tree with a dialog's node in place
LOOK_MIN_WIDTH = 48  # side by side, the Look pane keeps room for the sample's columns


class BuilderScreen(Screen[None]):
    """The segment builder: edit the tree from the keyboard, see the audience as you go."""

    ALLOW_IN_MAXIMIZED_VIEW = "#builder-top, Footer"

    BINDINGS = [
        bind("a", "add_field", "+Field", id="builder.add_field"),
        bind("e", "add_event", "+Event", id="builder.add_event"),
        bind("s", "add_segment", "+Segment", id="builder.add_segment", show=False),
        bind("g", "add_group", "+Group", id="builder.add_group", show=False),
        bind("delete,x", "delete", "Delete", id="builder.delete", key_display="del"),
        bind("ctrl+up,K", "move(-1)", "Move up", id="builder.move_up", show=False),
        bind("ctrl+down,J", "move(1)", "Move down", id="builder.move_down", show=False),
        bind("w", "wrap", "Wrap in group", id="builder.wrap", show=False),
        bind("n", "negate", "Not", id="builder.negate", show=False),
        bind("t", "toggle_kind", "All/Any", id="builder.toggle_kind", show=False),
        bind("ctrl+z", "undo", "Undo", id="builder.undo"),
        bind("ctrl+y", "redo", "Redo", id="builder.redo", show=False),
        bind("c", "count", "Count", id="builder.count", show=False),
        bind("escape", "cancel_count", "Stop count", id="builder.cancel_count", show=False),
        bind("ctrl+s", "save", "Save", id="builder.save"),
        bind("S", "save_as", "Save as", id="builder.save_as", show=False),
        bind("q", "back", "Segments", id="builder.back"),
        bind("z", "zoom", "Zoom pane", id="builder.zoom", show=False),
        bind("u", "unmask", "Unmask", id="builder.unmask", show=False),
        bind("y", "copy_sql", "Copy SQL", id="builder.copy_sql", show=False),
        bind("B", "backtest", "Backtest", id="builder.backtest", show=False),
        bind("1", "look('sample')", "Sample", id="builder.tab_sample", show=False),
        bind("2", "look('breakdown')", "Breakdown", id="builder.tab_breakdown", show=False),
        bind("3", "look('overlap')", "Overlap", id="builder.tab_overlap", show=False),
        bind("4", "look('sql')", "SQL", id="builder.tab_sql", show=False),
        bind("5", "look('customer')", "Customer", id="builder.tab_customer", show=False),
    ]

    def __init__(self, segment: Segment | None = None) -> None:
        super().__init__()
        seg = segment or Segment(_("New segment"), Group("all"))
        self.seg_name = seg.name
        self.description = seg.description
        self.path = seg.path
        self.root: Group = edits.normalize_root(seg.where)
        self.saved_root: Node | None = self.root if seg.path else Group("all")
        self.undo_stack: list[tuple[Node, edits.Path]] = []
        self.redo_stack: list[tuple[Node, edits.Path]] = []
        self.prev_key: str | None = None
        self.live = LiveCount(
            self,
            runner=lambda: session_of(self).runner,
            clock=lambda: kizuna(self).monotonic(),
            shown=self._audience_shown,
            waterfall=self.waterfall_arrived,
            previous=self.previous_for,
        )
        self.drafting: tuple[DraftingDialog, Make] | None = None  # the open condition dialog
        self.files = SegmentFile(
            self, current=lambda: self.segment, dirty=lambda: self.dirty, saved=self._saved
        )

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        session = session_of(self)
        with Vertical(id="builder-top"):
            yield SnapshotHeader()
            with Horizontal(id="title-row"):
                yield Static(id="seg-title")
                yield AudienceBar(clock=kizuna(self).monotonic, id="audience")
        with Horizontal(id="builder-body"):
            yield SegmentTree(session.catalog, id="tree")
            yield LookTabs(id="look")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.tree.show(self.root, (0,) if self.root.children else ())
        self.call_after_refresh(self.fit_tree)
        self.tree.focus()
        self._title()
        self.request_count(self.root, immediate=True)
        self.look.segment_changed(self.segment)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_tree)

    def fit_tree(self) -> None:
        """Side by side, the tree takes the room its labels need (the Look pane keeps enough)."""
        if not self.has_class("-wide"):
            self.tree.styles.width = None  # stacked: the stylesheet's full width
            return
        total = self.size.width
        want = self.tree.natural_width() + 1  # its right border
        self.tree.styles.width = max(total // 2, min(want, total - LOOK_MIN_WIDTH))

    def on_unmount(self) -> None:
        """Leaving the builder stops its queries."""
        self.live.stop()
        for pane in self.query(LookPane):
            pane.slot.cancel()

    @property  # shadows DOMNode.tree (a debugging view of the DOM): the segment's tree widget
    def tree(self) -> SegmentTree:  # type: ignore[override]
        return self.query_one(SegmentTree)

    @property
    def look(self) -> LookTabs:
        return self.query_one(LookTabs)

    @property
    def dirty(self) -> bool:
        return self.root != self.saved_root

    @property
    def segment(self) -> Segment:
        return self.segment_for(self.root)

    def segment_for(self, tree: Node) -> Segment:
        """The segment counted and saved: groups still empty are left out (not "nobody")."""
        return Segment(self.seg_name, without_empty_groups(tree), self.description, self.path)

    def _title(self) -> None:
        mark = [(" *", "bold $text-warning")] if self.dirty else []
        stem = f"  {self.path.stem}.yaml" if self.path else "  " + _("(not saved yet)")
        self.query_one("#seg-title", Static).update(
            Content.assemble((self.seg_name, "bold"), *mark, (stem, "dim"), "  ")
        )
        kizuna(self).refresh_title(self.seg_name, self.dirty)

    # -- the file --------------------------------------------------------------------------
    def _saved(self, seg: Segment) -> None:
        self.seg_name, self.description, self.path = seg.name, seg.description, seg.path
        self.saved_root = self.root
        self._title()

    def action_save(self) -> None:
        self.files.save()

    def action_save_as(self) -> None:
        self.files.save_as()

    def leave(self, proceed: Callable[[], object]) -> None:
        """Run `proceed` once unsaved changes are saved or knowingly dropped."""
        self.files.leave(proceed)

    def action_back(self) -> None:
        self.leave(self.app.pop_screen)

    def other_segments(self) -> list[tuple[str, str]]:
        """(stem, name) of every saved segment except this one."""
        return other_segments(session_of(self).store, self.path)

    # -- applying edits --------------------------------------------------------------------
    def apply(self, root: Node, select: edits.Path) -> None:
        """Commit a new tree (undoable), redraw it and recount."""
        self.undo_stack.append((self.root, self.tree.path))
        self.redo_stack.clear()
        self._set(root, select)

    def _set(self, root: Node, select: edits.Path) -> None:
        self.prev_key = self.segment.to_yaml()
        self.root = edits.normalize_root(root)
        self.tree.show(self.root, select)
        self.fit_tree()
        self._title()
        self.request_count(self.root)
        self.look.segment_changed(self.segment)

    # -- the live count --------------------------------------------------------------------
    @property
    def debounce_s(self) -> float:
        return self.live.debounce_s

    @debounce_s.setter
    def debounce_s(self, seconds: float) -> None:
        self.live.debounce_s = seconds

    @property
    def counts_shown(self) -> list[int]:
        return self.live.counts_shown

    @property
    def count_calls(self) -> int:
        return self.live.count_calls

    def request_count(self, tree: Node, immediate: bool = False) -> None:
        """Count `tree` soon (debounced); a cached answer is shown at once."""
        self.live.request(self.segment_for(tree), immediate)

    def previous_for(self, key: str) -> int | None:
        """A draft compares with the committed tree; a committed tree with the one before."""
        committed = self.segment.to_yaml()
        return self.live.known(self.prev_key if key == committed else committed)

    def _audience_shown(self, audience: Audience) -> None:
        """The audience line changed: set it on our bar and on the open dialog's."""
        for bar in self.query("#audience").results(AudienceBar):
            bar.audience = audience
        if self.drafting is not None:
            self.drafting[0].audience = audience

    def waterfall_arrived(self, key: str, base: int, steps: list[WaterfallStep]) -> None:
        if key == self.segment.to_yaml():
            self.tree.show_waterfall(steps)
            self.fit_tree()

    @on(AudienceCounted)
    def _counted(self, event: AudienceCounted) -> None:
        event.stop()
        self.live.counted(event)

    @on(WaterfallComputed)
    def _waterfall(self, event: WaterfallComputed) -> None:
        event.stop()
        self.live.computed(event)

    @on(QueryFailed)
    def _count_failed(self, event: QueryFailed) -> None:
        if event.what == "count":
            event.stop()
            self.live.failed(event)

    @on(Drafted)
    def _drafted(self, event: Drafted) -> None:
        """Count the tree as it would be with the node being typed in the open dialog."""
        if self.drafting is None or event.dialog is not self.drafting[0]:
            return  # the last word of a dialog already closed
        if event.node is None:
            self.live.invalid()
        else:
            self.request_count(self.drafting[1](event.node)[0])

    def _open(self, dialog: DraftingDialog, make: Make) -> None:
        """Push a condition dialog; its drafts are counted, its answer applied."""

        def done(node: Node | None) -> None:
            self.drafting = None
            if node is None:
                self.request_count(self.root)  # back to the committed tree (cached)
            else:
                self.apply(*make(node))

        self.drafting = (dialog, make)
        self.app.push_screen(dialog, done)

    def _add(
        self, node_dialog: Callable[[Widget], DraftingDialog] | None, node: Node | None = None
    ) -> None:
        parent, index = edits.insertion_point(self.root, self.tree.path)

        def make(n: Node) -> tuple[Node, edits.Path]:
            return edits.insert(self.root, parent, index, n)

        if node_dialog is None and node is not None:
            self.apply(*make(node))
            return
        assert node_dialog is not None
        self._open(node_dialog(self), make)

    # -- actions ---------------------------------------------------------------------------
    def action_add_field(self) -> None:
        def picked(name: str | None) -> None:
            if name:
                ftype = session_of(self).catalog.fields[name].type
                cond = FieldCond(name, default_op(ftype))
                self._add(lambda me: ConditionScreen(cond, drafts_to=me))

        self.app.push_screen(FieldPickerScreen(), picked)

    def action_add_event(self) -> None:
        events = session_of(self).catalog.events
        first = next((n for n, e in events.items() if not e.unavailable), next(iter(events)))
        self._add(lambda me: EventScreen(EventCond(first), drafts_to=me))

    def action_add_segment(self) -> None:
        def picked(stem: str | None) -> None:
            if stem:
                self._add(None, SegmentRef(stem))

        self.app.push_screen(SegmentPickerScreen(self.other_segments()), picked)

    def action_add_group(self) -> None:
        self._add(None, Group("any"))

    def action_edit(self) -> None:
        path = self.tree.path
        node = edits.get(self.root, path)
        if isinstance(node, Not):
            path, node = (*path, 0), node.child

        def make(n: Node, path=path) -> tuple[Node, edits.Path]:
            return edits.replace_at(self.root, path, n), path

        if isinstance(node, FieldCond):
            self._open(ConditionScreen(node, drafts_to=self), make)
        elif isinstance(node, EventCond):
            self._open(EventScreen(node, drafts_to=self), make)
        elif isinstance(node, SegmentRef):

            def picked(stem: str | None) -> None:
                if stem and stem != node.segment:
                    self.apply(*make(SegmentRef(stem)))

            self.app.push_screen(SegmentPickerScreen(self.other_segments()), picked)
        elif isinstance(node, Group):
            self.action_toggle_kind()

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        self.action_edit()

    def _edit(self, fn, *args) -> None:
        try:
            result = fn(self.root, self.tree.path, *args)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        if result is None:
            self.app.bell()
            return
        self.apply(*result)

    def action_delete(self) -> None:
        if not self.tree.path:
            self.notify(_("The root group stays; delete what is inside it."), severity="warning")
            return
        self._edit(edits.remove)

    def action_move(self, delta: int) -> None:
        self._edit(edits.move, delta)

    def action_wrap(self) -> None:
        if not self.tree.path:
            self.app.bell()
            return
        self._edit(edits.wrap, "any")

    def action_negate(self) -> None:
        self._edit(edits.toggle_not)

    def action_toggle_kind(self) -> None:
        node = edits.get(self.root, self.tree.path)
        if not isinstance(node, Group):
            self.notify(_("Only a group switches between ALL and ANY."), severity="warning")
            return
        self._edit(edits.toggle_kind)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.app.bell()
            return
        self.redo_stack.append((self.root, self.tree.path))
        self._set(*self.undo_stack.pop())

    def action_redo(self) -> None:
        if not self.redo_stack:
            self.app.bell()
            return
        self.undo_stack.append((self.root, self.tree.path))
        self._set(*self.redo_stack.pop())

    def action_count(self) -> None:
        self.live.forget(self.segment.to_yaml())
        self.request_count(self.root, immediate=True)

    def action_cancel_count(self) -> None:
        stopped = self.live.cancel() or self.look.cancel()
        if not stopped and self.maximized is not None:
            self.minimize()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        in_look = focused is not None and self.look in focused.ancestors_with_self
        self.maximize(self.look if in_look else self.tree, container=False)

    def action_look(self, tab: str) -> None:
        self.look.show_tab(tab, focus=True)

    def action_unmask(self) -> None:
        self.look.toggle_unmask()

    def action_backtest(self) -> None:
        """The segment as of a past day and its members' own conversion after it."""
        from tui.screens.segments.segment_backtest import BacktestScreen

        self.app.push_screen(BacktestScreen(self.segment))

    def action_copy_sql(self) -> None:
        self.look.copy_sql()
