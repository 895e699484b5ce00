"""Compose a segment: the tree on one side, the live count above, the Look tabs beside it."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Static, Tree

from queries.core.i18n import _
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, Segment, SegmentRef
from tui.keymap import bind
from tui.screens.builder.builder_files import BuilderFilesMixin
from tui.screens.builder.condition import ConditionScreen
from tui.screens.builder.event import EventScreen
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.screens.builder.live_count import LiveCountMixin
from tui.screens.dialogs import SegmentPickerScreen
from tui.widgets import edits
from tui.widgets.audience import AudienceBar
from tui.widgets.header import SnapshotHeader
from tui.widgets.look import LookTabs
from tui.widgets.look_pane import LookPane
from tui.widgets.prune import without_empty_groups
from tui.widgets.segment_tree import SegmentTree
from tui.widgets.value_parse import default_op

Draft = Callable[[Node | None, str | None], None]
LOOK_MIN_WIDTH = 48  # side by side, the Look pane keeps room for the sample's columns


class BuilderScreen(BuilderFilesMixin, LiveCountMixin):
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
        self.init_live_count()

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        session = self.app.session
        with Vertical(id="builder-top"):
            yield SnapshotHeader()
            with Horizontal(id="title-row"):
                yield Static(id="seg-title")
                yield AudienceBar(clock=self.app.monotonic, id="audience")
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
        self.count_slot.cancel()
        for pane in self.query(LookPane):
            pane.slot.cancel()

    @property
    def tree(self) -> SegmentTree:
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

    def audience_bars(self) -> list[AudienceBar]:
        found = list(self.query(AudienceBar))
        if not found:  # the screen is going away (app shutting down): nothing to update
            return []
        main = found[0]
        bars = [main]
        top = self.app.screen
        if top is not self:
            for bar in top.query(AudienceBar):
                if bar.count is None:  # a dialog's bar starts from the committed count
                    bar.count, bar.base = main.count, main.base
                bars.append(bar)
        return bars

    def _title(self) -> None:
        mark = [(" *", "bold $text-warning")] if self.dirty else []
        stem = f"  {self.path.stem}.yaml" if self.path else "  (not saved yet)"
        self.query_one("#seg-title", Static).update(
            Content.assemble((self.seg_name, "bold"), *mark, (stem, "dim"), "  ")
        )
        self.app.refresh_title(self)

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

    def previous_for(self, key: str) -> int | None:
        """A draft compares with the committed tree; a committed tree with the one before."""
        committed = self.segment.to_yaml()
        return self.known_count(self.prev_key if key == committed else committed)

    def waterfall_arrived(self, key: str, base: int, steps: list) -> None:
        if key == self.segment.to_yaml():
            self.tree.show_waterfall(steps)
            self.fit_tree()

    def draft_for(self, make: Callable[[Node], tuple[Node, edits.Path]]) -> Draft:
        """A callback for dialogs: count the tree as it would be with the node being typed."""

        def draft(node: Node | None, problem: str | None) -> None:
            if node is None:
                self.request_invalid(problem or _("incomplete"))
            else:
                self.request_count(make(node)[0])

        return draft

    def _after_dialog(self, make: Callable[[Node], tuple[Node, edits.Path]]):
        def done(node: Node | None) -> None:
            if node is None:
                self.request_count(self.root)  # back to the committed tree (cached)
            else:
                self.apply(*make(node))

        return done

    def _add(self, node_dialog: Callable[[Draft], object] | None, node: Node | None = None):
        parent, index = edits.insertion_point(self.root, self.tree.path)

        def make(n: Node) -> tuple[Node, edits.Path]:
            return edits.insert(self.root, parent, index, n)

        if node_dialog is None and node is not None:
            self.apply(*make(node))
            return
        assert node_dialog is not None
        self.app.push_screen(node_dialog(self.draft_for(make)), self._after_dialog(make))

    # -- actions ---------------------------------------------------------------------------
    def action_add_field(self) -> None:
        def picked(name: str | None) -> None:
            if name:
                ftype = self.app.session.catalog.fields[name].type
                cond = FieldCond(name, default_op(ftype))
                self._add(lambda draft: ConditionScreen(cond, draft=draft))

        self.app.push_screen(FieldPickerScreen(), picked)

    def action_add_event(self) -> None:
        events = self.app.session.catalog.events
        first = next((n for n, e in events.items() if not e.unavailable), next(iter(events)))
        self._add(lambda draft: EventScreen(EventCond(first), draft=draft))

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
            self.app.push_screen(
                ConditionScreen(node, draft=self.draft_for(make)), self._after_dialog(make)
            )
        elif isinstance(node, EventCond):
            self.app.push_screen(
                EventScreen(node, draft=self.draft_for(make)), self._after_dialog(make)
            )
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
        self._cache.pop(self.segment.to_yaml(), None)
        self.request_count(self.root, immediate=True)

    def action_cancel_count(self) -> None:
        stopped = self.cancel_count() or self.look.cancel()
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
