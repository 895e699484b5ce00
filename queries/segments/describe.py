"""Say a segment node in words, for the waterfall, the why view and the TUI tree."""

from __future__ import annotations

from typing import Any

from queries.segments.model import EventCond, FieldCond, Group, Node, Not, SegmentRef
from queries.segments.ops import OP_LABELS


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def describe(node: Node) -> str:
    """One line for a node: `loyalty_tier is one of [gold, platinum]`."""
    if isinstance(node, Group):
        if not node.children:
            return "everyone" if node.kind == "all" else "no one"
        word = "all of" if node.kind == "all" else "any of"
        return f"{word} ({len(node.children)})"
    if isinstance(node, Not):
        return f"not: {describe(node.child)}"
    if isinstance(node, FieldCond):
        label = OP_LABELS.get(node.op, node.op)
        if node.op == "between" and isinstance(node.value, list) and len(node.value) == 2:
            return f"{node.field} between {node.value[0]} and {node.value[1]}"
        if node.value is None:
            return f"{node.field} {label}"
        if node.op == "more_than_ago":
            return f"{node.field} more than {node.value} ago"
        return f"{node.field} {label} {_value(node.value)}"
    if isinstance(node, SegmentRef):
        return f"in segment {node.segment}"
    return describe_event(node)


def describe_event(node: EventCond) -> str:
    parts = [node.event]
    if node.where is not None:
        parts.append(f"where {_inline(node.where)}")
    cnt = node.effective_count
    if cnt is not None:
        if cnt.op == "between":
            parts.append(f"count between {cnt.value[0]} and {cnt.value[1]}")
        else:
            parts.append(f"count {OP_LABELS.get(cnt.op, cnt.op)} {cnt.value}")
    if node.aggregate is not None:
        a = node.aggregate
        parts.append(f"{a.fn}({a.field}) {OP_LABELS.get(a.op, a.op)} {_value(a.value)}")
    if node.within is not None:
        w = node.within
        parts.append(f"from {w['from']} to {w['to']}" if isinstance(w, dict) else f"in last {w}")
    return " ".join(parts)


def _inline(node: Node) -> str:
    if isinstance(node, Group):
        joiner = " and " if node.kind == "all" else " or "
        inner = joiner.join(_inline(c) for c in node.children)
        return f"({inner})" if len(node.children) > 1 else inner
    return describe(node)
