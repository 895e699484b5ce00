"""The segment model: a tree of groups and conditions, loaded from and saved to YAML."""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from queries.core.i18n import _
from queries.core.yamlio import Flow, dump_yaml, write_atomic


@dataclass(frozen=True)
class Group:
    """`all: [...]` or `any: [...]` of child nodes; an empty `all` matches everyone."""

    kind: str  # all | any
    children: tuple[Node, ...] = ()
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Not:
    """`not: node`: the complement of its child (NULL counts as not matching)."""

    child: Node
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FieldCond:
    """`{field, op, value}` on one customer field (or an event field inside an event's where)."""

    field: str
    op: str
    value: Any = None
    # `dataclasses.` spelled out: in this class body `field` names the attribute above
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class Compare:
    """A comparison such as `{op: ">=", value: 2}` used by count and aggregate."""

    op: str
    value: Any


@dataclass(frozen=True)
class Aggregate:
    """`{fn, field, op, value}` over an event condition's matching rows."""

    fn: str  # sum | avg | min | max | count_distinct
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class EventCond:
    """`{event, where?, count?, within?, aggregate?}`: how often or how much someone did a thing."""

    event: str
    where: Node | None = None
    count: Compare | None = None
    within: Any = None  # "30d" | {"from": date, "to": date} | None
    aggregate: Aggregate | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def effective_count(self) -> Compare | None:
        """With neither count nor aggregate, the condition means `count >= 1`."""
        if self.count is None and self.aggregate is None:
            return Compare(">=", 1)
        return self.count


@dataclass(frozen=True)
class SegmentRef:
    """`{segment: NAME}`: members of another saved segment."""

    segment: str
    line: int | None = field(default=None, compare=False)


Node = Group | Not | FieldCond | EventCond | SegmentRef


@dataclass
class Segment:
    """A named, described segment whose `where` tree selects customers."""

    name: str
    where: Node = field(default_factory=lambda: Group("all"))
    description: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown-but-kept top-level keys

    @property
    def stem(self) -> str:
        return self.path.stem if self.path else slugify(self.name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["where"] = node_to_dict(self.where)
        out.update(self.extra)
        return out

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def save(self, path: Path | None = None) -> Path:
        """Write the segment as YAML (atomically) and remember the path."""
        target = Path(path or self.path or f"{self.stem}.yaml")
        write_atomic(target, self.to_yaml())
        self.path = target
        return target


STEM_MAX = 60  # characters; a Japanese stem of 60 stays far below 255 bytes of UTF-8


def slugify(name: str) -> str:
    """A file stem that keeps a name's meaning: its letters and digits in any script (誕生日 too),
    lower-cased, NFKC-normalised; spaces and path-unsafe characters become single underscores."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", name).strip().lower():
        if ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc"):
            out.append(ch)
        elif out and out[-1] != "_":
            out.append("_")
    stem = "".join(out).strip("_")[:STEM_MAX].strip("_")
    return stem or "segment"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _is_simple(d: dict[str, Any]) -> bool:
    return all(not isinstance(v, (dict, list)) or _flat_list(v) for v in d.values())


def _flat_list(v: Any) -> bool:
    return isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)


def node_to_dict(node: Node) -> dict[str, Any]:
    """Turn a node back into its YAML shape (docs/segments.md; flow style for one-liners)."""
    if isinstance(node, Group):
        return {node.kind: [node_to_dict(c) for c in node.children]}
    if isinstance(node, Not):
        return {"not": node_to_dict(node.child)}
    if isinstance(node, FieldCond):
        d: dict[str, Any] = {"field": node.field, "op": node.op}
        if node.value is not None:
            d["value"] = _plain(node.value)
        return Flow(d)
    if isinstance(node, SegmentRef):
        return Flow({"segment": node.segment})
    d = {"event": node.event}
    if node.where is not None:
        d["where"] = node_to_dict(node.where)
    if node.count is not None:
        d["count"] = Flow({"op": node.count.op, "value": _plain(node.count.value)})
    if node.within is not None:
        w = node.within
        d["within"] = Flow(_plain(w)) if isinstance(w, dict) else w
    if node.aggregate is not None:
        a = node.aggregate
        d["aggregate"] = Flow({"fn": a.fn, "field": a.field, "op": a.op, "value": _plain(a.value)})
    return Flow(d) if _is_simple(d) else d


def walk(node: Node):
    """Yield every node of a tree, parents before children (event wheres excluded)."""
    yield node
    if isinstance(node, Group):
        for c in node.children:
            yield from walk(c)
    elif isinstance(node, Not):
        yield from walk(node.child)


def top_level(node: Node) -> list[Node]:
    """The conditions a waterfall steps through: the children of a root `all`, else the root."""
    if isinstance(node, Group) and node.kind == "all":
        return list(node.children)
    return [node]


def as_date(value: Any) -> date:
    """Accept a date or an ISO date/timestamp text, all of it; raise ValueError otherwise.

    The whole text must be a date (`2026-01-01`) or a timestamp (`2026-01-01T10:00:00+09:00`):
    `2026-01-01' OR '1'='1` is refused, never cut down to its first ten characters."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            if len(text) > 10 and text[10] in "T ":
                return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise ValueError(_("`{value}` is not a date (write YYYY-MM-DD)").format(value=value))
