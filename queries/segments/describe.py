"""Say a segment node in words, for the waterfall, the why view and the TUI tree."""

from __future__ import annotations

from typing import Any

from queries.core.i18n import N_, _
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, SegmentRef
from queries.segments.ops import op_label

# a whole sentence per operator, so each language orders the words its own way
SENTENCES = {
    "=": N_("{field} is {value}"),
    "!=": N_("{field} is not {value}"),
    "in": N_("{field} is one of {value}"),
    "not_in": N_("{field} is none of {value}"),
    "contains": N_("{field} contains {value}"),
    "not_contains": N_("{field} does not contain {value}"),
    "starts_with": N_("{field} starts with {value}"),
    "ends_with": N_("{field} ends with {value}"),
    "<": N_("{field} < {value}"),
    "<=": N_("{field} ≤ {value}"),
    ">": N_("{field} > {value}"),
    ">=": N_("{field} ≥ {value}"),
    "before": N_("{field} before {value}"),
    "after": N_("{field} after {value}"),
    "on": N_("{field} on {value}"),
    "in_last": N_("{field} in the last {value}"),
    "more_than_ago": N_("{field} more than {value} ago"),
    "anniversary_within": N_("{field} anniversary within {value}"),
    "month_in": N_("{field} month is one of {value}"),
    "is_true": N_("{field} is true"),
    "is_false": N_("{field} is false"),
    "is_null": N_("{field} is empty"),
    "is_not_null": N_("{field} is not empty"),
}


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def compare(subject: str, op: str, value: Any) -> str:
    """`subject op value` as a sentence in the active language."""
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return _("{field} between {low} and {high}").format(
            field=subject, low=value[0], high=value[1]
        )
    if op in SENTENCES and (value is not None or "{value}" not in SENTENCES[op]):
        return _(SENTENCES[op]).format(field=subject, value=_value(value))
    label = op_label(op)
    return f"{subject} {label}" if value is None else f"{subject} {label} {_value(value)}"


def describe(node: Node) -> str:
    """One line for a node: `loyalty_tier is one of [gold, platinum]`."""
    if isinstance(node, Group):
        if not node.children:
            return _("everyone") if node.kind == "all" else _("no one")
        if node.kind == "all":
            return _("all of ({n})").format(n=len(node.children))
        return _("any of ({n})").format(n=len(node.children))
    if isinstance(node, Not):
        return _("not: {condition}").format(condition=describe(node.child))
    if isinstance(node, FieldCond):
        return compare(node.field, node.op, node.value)
    if isinstance(node, SegmentRef):
        return _("in segment {name}").format(name=node.segment)
    return describe_event(node)


def describe_event(node: EventCond) -> str:
    parts = [node.event]
    if node.where is not None:
        parts.append(_("where {condition}").format(condition=_inline(node.where)))
    cnt = node.effective_count
    if cnt is not None:
        parts.append(compare(_("count"), cnt.op, cnt.value))
    if node.aggregate is not None:
        a = node.aggregate
        parts.append(compare(f"{a.fn}({a.field})", a.op, a.value))
    if node.within is not None:
        w = node.within
        if isinstance(w, dict):
            parts.append(_("from {start} to {end}").format(start=w["from"], end=w["to"]))
        else:
            parts.append(_("in last {window}").format(window=w))
    return " ".join(parts)


def _inline(node: Node) -> str:
    if isinstance(node, Group):
        joiner = _(" and ") if node.kind == "all" else _(" or ")
        inner = joiner.join(_inline(c) for c in node.children)
        return f"({inner})" if len(node.children) > 1 else inner
    return describe(node)
