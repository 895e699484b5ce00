"""Turn loaded YAML into a validated segment tree, with errors that say file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from queries.core.catalog import Catalog, Field
from queries.core.errors import SegmentError, UnknownField, suggest
from queries.core.i18n import _
from queries.core.timewin import Window
from queries.core.yamlio import Lines, load_yaml, load_yaml_file
from queries.segments.model import (
    Aggregate,
    Compare,
    EventCond,
    FieldCond,
    Group,
    Node,
    Not,
    Segment,
    SegmentRef,
    as_date,
)
from queries.segments.ops import AGG_FNS, ALL_OPS, COMPARE_OPS, OPS, check_value, value_kind

NODE_KEYS = ("all", "any", "not", "field", "event", "segment")
SEGMENT_KEYS = ("name", "description", "where")


class _Parser:
    def __init__(self, catalog: Catalog, lines: Lines):
        self.catalog = catalog
        self.lines = lines

    def fail(
        self, msg: str, path: tuple, hint: str | None = None, cls: type[SegmentError] = SegmentError
    ) -> NoReturn:
        raise cls(msg, self.lines.loc(path), hint)

    def node(self, data: Any, path: tuple, event: str | None = None) -> Node:
        line = self.lines.line(path)
        if not isinstance(data, dict):
            self.fail(
                _(
                    "expected a condition (a mapping with field/event/segment) or a group "
                    "(all/any/not)"
                ),
                path,
            )
        kinds = [k for k in NODE_KEYS if k in data]
        if not kinds:
            keys = ", ".join(f"`{k}`" for k in data) or "nothing"
            hint = next(
                (suggest(k, list(NODE_KEYS)) for k in data if suggest(k, list(NODE_KEYS))), None
            )
            self.fail(
                _("a node needs one of all/any/not/field/event/segment, found {keys}").format(
                    keys=keys
                ),
                path,
                hint,
            )
        if len(kinds) > 1:
            self.fail(
                _("a node has exactly one of {kinds}; split it into two").format(
                    kinds=", ".join(kinds)
                ),
                path,
            )
        kind = kinds[0]
        if kind in ("all", "any"):
            self._only(data, {kind}, path)
            items = data[kind]
            if items is None:
                items = []
            if not isinstance(items, list):
                self.fail(_("`{kind}` takes a list of conditions").format(kind=kind), (*path, kind))
            children = tuple(self.node(c, (*path, kind, i), event) for i, c in enumerate(items))
            return Group(kind, children, line)
        if kind == "not":
            self._only(data, {"not"}, path)
            return Not(self.node(data["not"], (*path, "not"), event), line)
        if kind == "field":
            return self.field_cond(data, path, event)
        if event is not None:
            self.fail(
                _("`{kind}` cannot appear inside an event's where; use fields of `{event}`").format(
                    kind=kind, event=event
                ),
                path,
            )
        if kind == "event":
            return self.event_cond(data, path)
        self._only(data, {"segment"}, path)
        name = data["segment"]
        if not isinstance(name, str) or not name.strip():
            self.fail(_("`segment` needs the name of a saved segment"), (*path, "segment"))
        return SegmentRef(name.strip(), line)

    def _only(self, data: dict, allowed: set[str], path: tuple) -> None:
        for key in data:
            if key not in allowed:
                hint = suggest(key, sorted(allowed))
                self.fail(_("unexpected key `{key}`").format(key=key), (*path, key), hint)

    def _field(self, name: Any, path: tuple, event: str | None) -> Field:
        fields = self.catalog.events[event].fields if event else self.catalog.fields
        if not isinstance(name, str) or name not in fields:
            where = _("event `{event}`").format(event=event) if event else _("the catalog")
            self.fail(
                _("unknown field `{name}` in {where}").format(name=name, where=where),
                path,
                suggest(str(name), list(fields)) or _("run `kizuna fields` to list them"),
                UnknownField,
            )
        f = fields[name]
        if f.unavailable:
            self.fail(
                _("field `{name}` is unavailable in this snapshot: {why}").format(
                    name=name, why=f.unavailable
                ),
                path,
                _("map it in kizuna.toml, or run `kizuna check` to see what the snapshot has"),
                UnknownField,
            )
        return f

    def field_cond(self, data: dict, path: tuple, event: str | None) -> FieldCond:
        self._only(data, {"field", "op", "value"}, path)
        f = self._field(data["field"], (*path, "field"), event)
        if "op" not in data:
            self.fail(
                _("condition on `{name}` has no `op`").format(name=f.name),
                path,
                _("one of {options}").format(options=", ".join(OPS[f.type])),
            )
        op = data["op"]
        if op not in ALL_OPS:
            self.fail(
                _("unknown operator `{op}`").format(op=op),
                (*path, "op"),
                suggest(str(op), OPS[f.type]),
            )
        if op not in OPS[f.type]:
            self.fail(
                _("operator `{op}` does not apply to {type} field `{name}`").format(
                    op=op, type=f.type, name=f.name
                ),
                (*path, "op"),
                f"use one of {', '.join(OPS[f.type])}",
            )
        value = data.get("value")
        try:
            checked = check_value(f.type, op, value)
        except ValueError as exc:
            self.fail(f"`{f.name}` {op}: {exc}", (*path, "value") if "value" in data else path)
        if f.type in ("date", "timestamp") and value_kind(f.type, op) in ("scalar", "pair"):
            value = checked  # dates are read as text; the model holds dates
        return FieldCond(f.name, op, value, self.lines.line(path))

    def compare(self, data: Any, path: tuple) -> Compare:
        if not isinstance(data, dict):
            self.fail(_('expected {op: ">=", value: 2}'), path)
        self._only(data, {"op", "value"}, path)
        op = data.get("op")
        if op not in COMPARE_OPS:
            self.fail(
                _("unknown comparison `{op}`").format(op=op),
                (*path, "op"),
                f"use one of {', '.join(COMPARE_OPS)}",
            )
        try:
            value = check_value("number", op, data.get("value"))
        except ValueError as exc:
            self.fail(str(exc), (*path, "value"))
        return Compare(op, data.get("value") if value is not None else None)

    def event_cond(self, data: dict, path: tuple) -> EventCond:
        self._only(data, {"event", "where", "count", "within", "aggregate"}, path)
        name = data["event"]
        if name not in self.catalog.events:
            self.fail(
                _("unknown event source `{name}`").format(name=name),
                (*path, "event"),
                suggest(str(name), list(self.catalog.events))
                or f"one of {', '.join(self.catalog.events)}",
            )
        gone = self.catalog.events[name].unavailable
        if gone:
            self.fail(
                _("event source `{name}` is unavailable in this snapshot: {gone}").format(
                    name=name, gone=gone
                ),
                (*path, "event"),
                "map it in kizuna.toml, or run `kizuna check` to see what the snapshot has",
            )
        where = None
        if data.get("where") is not None:
            where = self.node(data["where"], (*path, "where"), name)
        count = self.compare(data["count"], (*path, "count")) if "count" in data else None
        if count is not None:
            vals = count.value if isinstance(count.value, list) else [count.value]
            if any(not isinstance(v, int) or v < 0 for v in vals):
                self.fail(_("a count compares with whole numbers ≥ 0"), (*path, "count", "value"))
        within = data.get("within")
        if within is not None:
            within = self.within(within, (*path, "within"))
        agg = None
        if "aggregate" in data:
            agg = self.aggregate(data["aggregate"], (*path, "aggregate"), name)
        return EventCond(name, where, count, within, agg, self.lines.line(path))

    def within(self, value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            self._only(value, {"from", "to"}, path)
            if "from" not in value or "to" not in value:
                self.fail(_("a date range needs both `from` and `to`"), path)
            try:
                lo, hi = as_date(value["from"]), as_date(value["to"])
            except ValueError as exc:
                self.fail(str(exc), path)
            if lo > hi:
                self.fail(_("`from` {lo} is after `to` {hi}").format(lo=lo, hi=hi), path)
            return {"from": lo, "to": hi}
        try:
            Window.parse(value)
        except ValueError as exc:
            self.fail(str(exc), path)
        return value

    def aggregate(self, data: Any, path: tuple, event: str) -> Aggregate:
        if not isinstance(data, dict):
            self.fail(_("expected {fn: sum, field: total, op: '>=', value: 10000}"), path)
        self._only(data, {"fn", "field", "op", "value"}, path)
        fn = data.get("fn")
        if fn not in AGG_FNS:
            self.fail(
                _("unknown aggregate `{fn}`").format(fn=fn),
                (*path, "fn"),
                suggest(str(fn), AGG_FNS) or f"one of {', '.join(AGG_FNS)}",
            )
        f = self._field(data.get("field"), (*path, "field"), event)
        if fn in ("sum", "avg") and f.type != "number":
            self.fail(
                _("`{fn}` needs a number field; `{name}` is {type}").format(
                    fn=fn, name=f.name, type=f.type
                ),
                (*path, "field"),
            )
        cmp = self.compare({"op": data.get("op"), "value": data.get("value")}, path)
        return Aggregate(fn, f.name, cmp.op, cmp.value)


def parse_node(data: Any, catalog: Catalog, lines: Lines | None = None, path: tuple = ()) -> Node:
    """Validate one node (e.g. a campaign's exclude entry) against the catalog."""
    return _Parser(catalog, lines or Lines(None)).node(data, path)


def parse_segment(data: Any, catalog: Catalog, lines: Lines, path: Path | None = None) -> Segment:
    """Validate a loaded segment document and build its model."""
    p = _Parser(catalog, lines)
    if data is None:
        p.fail(_("the file is empty; a segment needs at least `name` and `where`"), ())
    if not isinstance(data, dict):
        p.fail(_("a segment file is a mapping with `name`, `description` and `where`"), ())
    for key in data:
        if key not in SEGMENT_KEYS:
            p.fail(
                _("unexpected key `{key}`").format(key=key),
                (key,),
                suggest(str(key), list(SEGMENT_KEYS)),
            )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        p.fail(_("a segment needs a `name`"), ("name",) if "name" in data else ())
    desc = data.get("description") or ""
    if not isinstance(desc, str):
        p.fail(_("`description` must be text"), ("description",))
    if "where" not in data:
        p.fail(_("a segment needs a `where` (use `where: {all: []}` for everyone)"), ())
    where = p.node(data["where"], ("where",))
    return Segment(name.strip(), where, desc, path)


def load_segment(path: Path, catalog: Catalog) -> Segment:
    """Read, parse and validate one segment file."""
    data, lines = load_yaml_file(path)
    return parse_segment(data, catalog, lines, path)


def segment_from_text(text: str, catalog: Catalog, file: str | None = None) -> Segment:
    data, lines = load_yaml(text, file)
    return parse_segment(data, catalog, lines, Path(file) if file else None)
