"""Segment nodes in words for people: catalog labels rather than column names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.text import Text
from textual.content import Content

from queries.core.catalog import Catalog
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, SegmentRef
from queries.segments.ops import OP_LABELS

Part = str | tuple[str, str]


def value_text(v: Any) -> str:
    """A value as a marketer reads it: 5,000 · gold, platinum · 2026-03-01."""
    if isinstance(v, (list, tuple)):
        return ", ".join(value_text(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if v is None:
        return "—"
    return str(v)


def field_label(catalog: Catalog, name: str, event: str | None = None) -> str:
    fields = catalog.events[event].fields if event and event in catalog.events else catalog.fields
    f = fields.get(name)
    return f.label if f is not None else name


def field_parts(cond: FieldCond, catalog: Catalog, event: str | None = None) -> list[Part]:
    label = field_label(catalog, cond.field, event)
    op = OP_LABELS.get(cond.op, cond.op)
    parts: list[Part] = [(label, "bold"), " "]
    if cond.op == "between" and isinstance(cond.value, list) and len(cond.value) == 2:
        parts += ["between ", (value_text(cond.value[0]), "$text-accent"), " and "]
        parts.append((value_text(cond.value[1]), "$text-accent"))
    elif cond.op == "more_than_ago":
        parts += ["more than ", (value_text(cond.value), "$text-accent"), " ago"]
    elif cond.op == "month_in":
        parts += [op, " ", (value_text(cond.value), "$text-accent")]
    elif cond.value is None:
        parts.append(op)
    else:
        parts += [op, " ", (value_text(cond.value), "$text-accent")]
    return parts


def _compare(op: str, value: Any) -> str:
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return f"between {value_text(value[0])} and {value_text(value[1])}"
    return f"{OP_LABELS.get(op, op)} {value_text(value)}"


def event_parts(node: EventCond, catalog: Catalog) -> list[Part]:
    src = catalog.events.get(node.event)
    parts: list[Part] = [(src.label if src else node.event, "bold")]
    if node.where is not None:
        parts += [" where ", *inline_parts(node.where, catalog, node.event)]
    cnt = node.effective_count
    if cnt is not None:
        if node.count is None and node.aggregate is None:
            parts.append(" at least once")
        else:
            parts += [" count ", (_compare(cnt.op, cnt.value), "$text-accent")]
    if node.aggregate is not None:
        a = node.aggregate
        what = f"{a.fn}({field_label(catalog, a.field, node.event)})"
        parts += [f" {what} ", (_compare(a.op, a.value), "$text-accent")]
    w = node.within
    if isinstance(w, dict):
        parts += [" from ", (f"{w.get('from')} to {w.get('to')}", "$text-accent")]
    elif w is not None:
        parts += [" in the last ", (str(w), "$text-accent")]
    return parts


def inline_parts(node: Node, catalog: Catalog, event: str | None = None) -> list[Part]:
    if isinstance(node, Group):
        joiner = " and " if node.kind == "all" else " or "
        out: list[Part] = []
        for i, c in enumerate(node.children):
            if i:
                out.append(joiner)
            out += inline_parts(c, catalog, event)
        return out
    if isinstance(node, Not):
        return ["not ", *inline_parts(node.child, catalog, event)]
    if isinstance(node, FieldCond):
        return field_parts(node, catalog, event)
    return node_parts(node, catalog)


def node_parts(node: Node, catalog: Catalog) -> list[Part]:
    if isinstance(node, Group):
        if node.kind == "all":
            return [("ALL", "bold"), " of these" if node.children else " — everyone"]
        if node.children:
            return [("ANY", "bold"), " of these"]
        return [("ANY", "bold"), (" — empty: ignored until it has a condition", "italic")]
    if isinstance(node, Not):
        return [("NOT", "bold")]
    if isinstance(node, FieldCond):
        return field_parts(node, catalog)
    if isinstance(node, SegmentRef):
        return ["in segment ", (node.segment, "bold")]
    return event_parts(node, catalog)


def node_label(node: Node, catalog: Catalog) -> Content:
    return Content.assemble(*node_parts(node, catalog))


def rich_text(parts: list[Part], variables: dict[str, str]) -> Text:
    """Parts as Rich Text (for Tree and DataTable), `$variables` resolved from the theme."""
    out = Text()
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        text, style = part
        words = []
        for word in style.split():
            if word.startswith("$"):
                word = variables.get(word[1:], "")
            if word:
                words.append(word)
        out.append(text, style=" ".join(words) or None)
    return out
