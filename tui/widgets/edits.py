"""Pure edits of an immutable segment tree, addressed by paths of child indices.

Every function returns a new tree (frozen dataclasses, `dataclasses.replace`), so the
builder's undo/redo is a stack of trees. A path is a tuple of child indices from the root;
a `Not` has one child, at index 0. No Textual here: these are unit-tested on their own.
"""

from __future__ import annotations

from dataclasses import replace

from queries.segments.model import Group, Node, Not, Segment, SegmentRef

Path = tuple[int, ...]


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Group):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    return ()


def get(root: Node, path: Path) -> Node:
    node = root
    for i in path:
        node = children(node)[i]
    return node


def _with_children(node: Node, kids: list[Node]) -> Node:
    if isinstance(node, Group):
        return replace(node, children=tuple(kids))
    if isinstance(node, Not):
        return replace(node, child=kids[0])
    raise ValueError("only groups and `not` have children")


def replace_at(root: Node, path: Path, new: Node) -> Node:
    """The tree with the node at `path` replaced by `new`."""
    if not path:
        return new
    parent = get(root, path[:-1])
    kids = list(children(parent))
    kids[path[-1]] = new
    return replace_at(root, path[:-1], _with_children(parent, kids))


def insertion_point(root: Node, path: Path) -> tuple[Path, int]:
    """Where "add" puts a new node: inside a selected group, else after the selection."""
    node = get(root, path)
    if isinstance(node, Group):
        return path, len(node.children)
    while path:
        parent_path = path[:-1]
        if isinstance(get(root, parent_path), Group):
            return parent_path, path[-1] + 1
        path = parent_path
    return (), len(children(root))


def insert(root: Node, parent: Path, index: int, node: Node) -> tuple[Node, Path]:
    """Insert `node` as child `index` of the group at `parent`; return tree and its path."""
    group = get(root, parent)
    if not isinstance(group, Group):
        raise ValueError("conditions can only be added to a group")
    kids = list(group.children)
    kids.insert(index, node)
    return replace_at(root, parent, _with_children(group, kids)), (*parent, index)


def remove(root: Node, path: Path) -> tuple[Node, Path]:
    """Delete the node at `path` (a `not` left empty goes too); return tree and next path."""
    if not path:
        raise ValueError("the root group cannot be deleted")
    parent = get(root, path[:-1])
    if isinstance(parent, Not):
        return remove(root, path[:-1])
    kids = list(children(parent))
    del kids[path[-1]]
    new = replace_at(root, path[:-1], _with_children(parent, kids))
    if kids:
        return new, (*path[:-1], min(path[-1], len(kids) - 1))
    return new, path[:-1]


def move(root: Node, path: Path, delta: int) -> tuple[Node, Path] | None:
    """Swap a node with its previous (-1) or next (+1) sibling; None at the edge."""
    if not path:
        return None
    parent = get(root, path[:-1])
    if not isinstance(parent, Group):
        return None
    i, j = path[-1], path[-1] + delta
    if not 0 <= j < len(parent.children):
        return None
    kids = list(parent.children)
    kids[i], kids[j] = kids[j], kids[i]
    return replace_at(root, path[:-1], _with_children(parent, kids)), (*path[:-1], j)


def wrap(root: Node, path: Path, kind: str = "any") -> tuple[Node, Path]:
    """Put the node at `path` inside a new group (`all`/`any`) or a `not`."""
    node = get(root, path)
    new: Node = Not(node) if kind == "not" else Group(kind, (node,))
    return replace_at(root, path, new), path


def toggle_not(root: Node, path: Path) -> tuple[Node, Path]:
    """Negate a node, or remove the `not` around it."""
    node = get(root, path)
    if isinstance(node, Not):
        return replace_at(root, path, node.child), path
    if path and isinstance(get(root, path[:-1]), Not):
        return replace_at(root, path[:-1], node), path[:-1]
    if not path:
        raise ValueError("the root group cannot be negated; add a `not` inside it")
    return wrap(root, path, "not")


def toggle_kind(root: Node, path: Path) -> tuple[Node, Path]:
    """Switch a group between `all` and `any`."""
    node = get(root, path)
    if not isinstance(node, Group):
        raise ValueError("only a group can switch between all and any")
    kind = "any" if node.kind == "all" else "all"
    return replace_at(root, path, replace(node, kind=kind)), path


def normalize_root(node: Node) -> Group:
    """The builder edits a root group; a bare condition becomes `all: [it]`."""
    return node if isinstance(node, Group) else Group("all", (node,))


def referenced(seg: Segment) -> set[str]:
    """Segment names this tree refers to directly."""
    out: set[str] = set()
    todo: list[Node] = [seg.where]
    while todo:
        node = todo.pop()
        if isinstance(node, SegmentRef):
            out.add(node.segment)
        todo.extend(children(node))
    return out
