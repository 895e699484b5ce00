"""Segment nodes in words for people: catalog labels rather than column names."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from rich.text import Text

from queries.core.catalog import Catalog
from queries.core.i18n import _
from queries.segments.describe import SENTENCES
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, SegmentRef
from queries.segments.ops import op_label

Part = str | tuple[str, str]


def value_text(v: Any) -> str:
    """A value as a marketer reads it: 5,000 · gold, platinum · 2026-03-01."""
    if isinstance(v, (list, tuple)):
        return ", ".join(value_text(x) for x in v)
    if isinstance(v, bool):
        return _("yes") if v else _("no")
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


def fill(template: str, **slots: Part) -> list[Part]:
    """A translated sentence with `{slot}`s replaced by styled parts (word order per language)."""
    out: list[Part] = []
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{") and piece[1:-1] in slots:
            out.append(slots[piece[1:-1]])
        elif piece:
            out.append(piece)
    return out


def field_parts(cond: FieldCond, catalog: Catalog, event: str | None = None) -> list[Part]:
    label: Part = (field_label(catalog, cond.field, event), "bold")
    v = cond.value
    if cond.op == "between" and isinstance(v, list) and len(v) == 2:
        low, high = (value_text(v[0]), "$text-accent"), (value_text(v[1]), "$text-accent")
        return fill(_("{field} between {low} and {high}"), field=label, low=low, high=high)
    template = SENTENCES.get(cond.op)
    if template is None or (v is None and "{value}" in template):
        parts: list[Part] = [label, " ", op_label(cond.op)]
        return parts if v is None else [*parts, " ", (value_text(v), "$text-accent")]
    return fill(_(template), field=label, value=(value_text(v), "$text-accent"))


def _compare(op: str, value: Any) -> str:
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return _("between {low} and {high}").format(
            low=value_text(value[0]), high=value_text(value[1])
        )
    return f"{op_label(op)} {value_text(value)}"


def event_parts(node: EventCond, catalog: Catalog) -> list[Part]:
    src = catalog.events.get(node.event)
    parts: list[Part] = [(src.label if src else node.event, "bold")]
    if node.where is not None:
        parts += [" " + _("where") + " ", *inline_parts(node.where, catalog, node.event)]
    cnt = node.effective_count
    if cnt is not None:
        if node.count is None and node.aggregate is None:
            parts.append(" " + _("at least once"))
        else:
            parts += [" " + _("count") + " ", (_compare(cnt.op, cnt.value), "$text-accent")]
    if node.aggregate is not None:
        a = node.aggregate
        what = f"{a.fn}({field_label(catalog, a.field, node.event)})"
        parts += [f" {what} ", (_compare(a.op, a.value), "$text-accent")]
    w = node.within
    if isinstance(w, dict):
        span = _("{start} to {end}").format(start=w.get("from"), end=w.get("to"))
        parts += [" " + _("from") + " ", (span, "$text-accent")]
    elif w is not None:
        parts += [" " + _("in the last") + " ", (str(w), "$text-accent")]
    return parts


def inline_parts(node: Node, catalog: Catalog, event: str | None = None) -> list[Part]:
    if isinstance(node, Group):
        joiner = _(" and ") if node.kind == "all" else _(" or ")
        out: list[Part] = []
        for i, c in enumerate(node.children):
            if i:
                out.append(joiner)
            out += inline_parts(c, catalog, event)
        return out
    if isinstance(node, Not):
        return [_("not") + " ", *inline_parts(node.child, catalog, event)]
    if isinstance(node, FieldCond):
        return field_parts(node, catalog, event)
    return node_parts(node, catalog)


def node_parts(node: Node, catalog: Catalog) -> list[Part]:
    if isinstance(node, Group):
        if node.kind == "all":
            return [(_("ALL"), "bold"), _(" of these") if node.children else _(" — everyone")]
        if node.children:
            return [(_("ANY"), "bold"), _(" of these")]
        return [(_("ANY"), "bold"), (_(" — empty: ignored until it has a condition"), "italic")]
    if isinstance(node, Not):
        return [(_("NOT"), "bold")]
    if isinstance(node, FieldCond):
        return field_parts(node, catalog)
    if isinstance(node, SegmentRef):
        return fill(_("in segment {name}"), name=(node.segment, "bold"))
    return event_parts(node, catalog)


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
