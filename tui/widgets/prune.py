"""Leave out groups still empty while building: a fresh ANY group must not select nobody."""

from __future__ import annotations

from queries.segments.model import Group, Node, Not


def without_empty_groups(node: Node) -> Node:
    """The tree with empty groups (and NOT around one) left out; an empty root is everyone."""
    pruned = _prune(node)
    return pruned if pruned is not None else Group("all")


def _prune(node: Node) -> Node | None:
    if isinstance(node, Group):
        kids = tuple(k for k in (_prune(c) for c in node.children) if k is not None)
        return Group(node.kind, kids) if kids else None
    if isinstance(node, Not):
        child = _prune(node.child)
        return Not(child) if child is not None else None
    return node


def has_empty_group(node: Node) -> bool:
    """Whether the tree holds a group with no conditions yet (shown as incomplete)."""
    if isinstance(node, Group):
        return not node.children or any(has_empty_group(c) for c in node.children)
    if isinstance(node, Not):
        return has_empty_group(node.child)
    return False
