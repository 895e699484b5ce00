"""The segment being edited, as a Tree of groups and conditions, with the waterfall beside it."""

from __future__ import annotations

from collections.abc import Iterator

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from queries.core.catalog import Catalog
from queries.query.runner import WaterfallStep
from queries.segments.model import FieldCond, Group, Node
from queries.segments.window_dates import covered_days
from tui.keymap import bind
from tui.widgets.edits import Path, children, get
from tui.widgets.labels import node_parts, rich_text


class SegmentTree(Tree[Path]):
    """Groups (all / any / not) and conditions; node data is the node's path in the tree.

    Clicking a highlighted node (or pressing Enter) selects it, which the builder takes as
    "edit"; a first click only moves the cursor.
    """

    BINDINGS = [bind("enter", "select_cursor", "Edit", id="builder.edit", show=False)]

    DEFAULT_CSS = """
    SegmentTree {
        padding: 0 1;
    }
    """

    def __init__(self, catalog: Catalog, **kwargs) -> None:
        super().__init__("segment", data=(), **kwargs)
        self.catalog = catalog
        self.auto_expand = False
        self.guide_depth = 3
        self.model: Node = Group("all")
        self.steps: list[WaterfallStep] | None = None
        self.counting = False

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())

    def _theme_changed(self) -> None:
        """Labels carry theme colours: redraw them for the new theme."""
        steps, path = self.steps, self.path
        self.show(self.model, path)
        self.steps = steps
        self._relabel(self.root)

    # -- content ---------------------------------------------------------------------------
    def show(self, root: Node, select: Path | None = None) -> None:
        """Rebuild from `root` and put the cursor on `select` (when it still exists)."""
        self.model = root
        self.steps = None
        self.clear()
        self.root.data = ()
        self.root.set_label(self._label(root, ()))
        self._add_nodes(self.root, root, ())
        self.root.expand_all()
        if select is not None:
            self.call_after_refresh(self.select_path, select)

    def _add_nodes(self, parent: TreeNode[Path], node: Node, path: Path) -> None:
        for i, child in enumerate(children(node)):
            cpath = (*path, i)
            kids = children(child)
            tnode = parent.add(self._label(child, cpath), data=cpath, allow_expand=bool(kids))
            if kids:
                self._add_nodes(tnode, child, cpath)

    def _label(self, node: Node, path: Path) -> Text:
        text = rich_text(node_parts(node, self.catalog), self.app.theme_variables)
        days = self._covered(node)
        if days:
            text.append(f"  ({days})", style="dim")
        if path == () and self.steps:
            text.append(f"  → {self.steps[-1].count:,}", style="dim")
        return text

    def _covered(self, node: Node) -> str | None:
        """The days a relative date condition covers as of the snapshot (11-20 … 12-03)."""
        session = getattr(self.app, "session", None)
        if not isinstance(node, FieldCond) or session is None:
            return None
        return covered_days(node.op, node.value, session.snapshot.as_of)

    def render_label(self, node: TreeNode[Path], base_style: Style, style: Style) -> Text:
        """The label, cut with … by display width only where the pane is too narrow for it."""
        label = self._full_label(node, base_style, style)
        room = self.scrollable_content_region.width - len(node.data or ()) * self.guide_depth
        if self.size.width and label.cell_len > room:
            label.truncate(max(room, 4), overflow="ellipsis")
        return label

    def _full_label(self, node: TreeNode[Path], base_style: Style, style: Style) -> Text:
        """Top-level conditions start with a waterfall column: `−removed → left`."""
        label = super().render_label(node, base_style, style)
        path = node.data or ()
        if len(path) != 1 or not self.steps:
            return label
        removed_w = max(len(removed_text(s.removed)) for s in self.steps)
        count_w = max(len(f"{s.count:,}") for s in self.steps)
        if path[0] >= len(self.steps):
            return Text.assemble(" " * (removed_w + count_w + 5), label)
        step = self.steps[path[0]]
        column = f"{removed_text(step.removed):>{removed_w}} → {step.count:>{count_w},}  "
        return Text.assemble((column, "dim"), label)

    def natural_width(self) -> int:
        """The cells every line needs uncut (guides and labels), plus padding and a scrollbar."""
        widest = 0
        for tnode in _shown(self.root):
            full = self._full_label(tnode, Style(), Style()).cell_len
            widest = max(widest, full + len(tnode.data or ()) * self.guide_depth)
        return widest + 3

    def on_resize(self) -> None:
        self._invalidate()  # labels are cut to the new width

    def show_waterfall(self, steps: list[WaterfallStep] | None) -> None:
        """Put "−removed → left" before each top-level condition (None clears it)."""
        self.steps = steps if self._root_is_all() else None
        self._relabel(self.root)
        self._invalidate()

    def _root_is_all(self) -> bool:
        return isinstance(self.model, Group) and self.model.kind == "all"

    def _relabel(self, tnode: TreeNode[Path]) -> None:
        path = tnode.data or ()
        try:
            node = get(self.model, path)
        except IndexError:
            return
        tnode.set_label(self._label(node, path))
        if len(path) < 1:
            for child in tnode.children:
                self._relabel(child)

    # -- cursor ----------------------------------------------------------------------------
    def find(self, path: Path) -> TreeNode[Path] | None:
        node: TreeNode[Path] = self.root
        for i in path:
            if i >= len(node.children):
                return None
            node = node.children[i]
        return node

    def select_path(self, path: Path) -> None:
        node = self.find(path)
        while node is None and path:
            path = path[:-1]
            node = self.find(path)
        if node is not None:
            self.move_cursor(node)

    @property
    def path(self) -> Path:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else ()

    async def _on_click(self, event: events.Click) -> None:
        # first click highlights; the Tree's own handler (selecting) runs only on a second
        meta = event.style.meta
        if "line" in meta and not meta.get("toggle", False) and meta["line"] != self.cursor_line:
            event.prevent_default()
            self.cursor_line = meta["line"]


def _shown(tnode: TreeNode[Path]) -> Iterator[TreeNode[Path]]:
    """A node and its descendants that are on screen (their parents expanded)."""
    yield tnode
    if tnode.is_expanded:
        for child in tnode.children:
            yield from _shown(child)


def removed_text(n: int) -> str:
    return f"−{n:,}" if n else "0"
