"""Render one template for many recipients: python-liquid itself, once per distinct input.

A template's top-level nodes split into pieces: text; a *pure* node (an output, or
if/unless/case holding only outputs and text) that reads only the recipient's variables;
and one *stateful* group holding every node that assigns, loops, counts or reads a local.
python-liquid renders each piece (the node's own `render` in a `RenderContext` of the bound
template) once per distinct combination of the variables the piece reads, keyed by exact
value identity: type and repr wherever equality would merge values that render differently
(0.0 and -0.0; 1, 1.0 and True; Decimal scales; time zones; lists). A row's text is its
pieces joined in node order, which is what `BoundTemplate.render` writes node by node.

Where that cannot be shown to equal python-liquid's own render, the row is rendered whole by
python-liquid instead: any piece that failed (so the error reported is the one python-liquid
raises first) and any text near the output limit (so the limit is python-liquid's own).
Templates with `capture` or `ifchanged` (whose buffers depend on everything written before)
are rendered whole, once per distinct combination of all their variables.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Any

from liquid.ast import BlockNode, ConditionalBlockNode, Node
from liquid.builtin.content import ContentNode
from liquid.builtin.expressions import FilteredExpression
from liquid.builtin.expressions import Path as PathExpr
from liquid.builtin.output import OutputNode
from liquid.builtin.tags.case_tag import CaseNode, MultiExpressionBlockNode
from liquid.builtin.tags.comment_tag import CommentNode
from liquid.builtin.tags.if_tag import IfNode
from liquid.builtin.tags.unless_tag import UnlessNode
from liquid.context import RenderContext
from liquid.exceptions import LiquidError, UndefinedError
from liquid.template import BoundTemplate

from queries.campaigns.fallbacks import FIRED
from queries.core.errors import KizunaError, QueryCancelled

# nodes whose rendering reads variables and writes text, and changes nothing in the context
_PURE = (
    ContentNode,
    OutputNode,  # (and EchoNode)
    IfNode,
    UnlessNode,
    CaseNode,
    MultiExpressionBlockNode,
    BlockNode,
    ConditionalBlockNode,
    CommentNode,
)
_WHOLE_TAGS = {"capture", "ifchanged"}  # buffers sized by what was written before them
_SAFE = frozenset({type(None), str, int, bool, date})  # equality is identity among these
_FAILED = object()
_ESCAPES = re.compile("[&<>\"']")  # what markupsafe.escape changes


class RenderBudgetExceeded(KizunaError):
    """Rendering the messages took longer than the preflight's total budget."""


@dataclass
class Budget:
    """A total time budget and a cancel token, checked between renders."""

    seconds: float | None = None
    job: Any = None
    start: float = field(default_factory=time.monotonic)
    ticks: int = 0

    def check(self) -> None:
        """Raise when cancelled or out of time (cheap: looks at the clock every 64 calls)."""
        self.ticks += 1
        if self.ticks & 63:
            return
        if self.job is not None and getattr(self.job, "cancelled", False):
            raise QueryCancelled("cancelled")
        if self.seconds is not None and time.monotonic() - self.start > self.seconds:
            raise RenderBudgetExceeded(
                f"rendering the messages took over {self.seconds:g} s, the preflight's budget; "
                "simplify the templates (loops, long ranges) or raise the budget"
            )


@dataclass(frozen=True)
class Piece:
    """Top-level nodes rendered together, and the variables they read."""

    nodes: tuple[int, ...]
    fields: tuple[str, ...]
    bare: bool = False  # `{{ name }}`: no filters, one variable


def _bare(node: Node) -> bool:
    """`{{ name }}`: python-liquid writes a text value as it is (escaped in HTML)."""
    if type(node) is not OutputNode or type(node.expression) is not FilteredExpression:
        return False
    expr = node.expression
    left = expr.left
    return (
        not expr.filters
        and type(left) is PathExpr
        and len(left.path) == 1
        and isinstance(left.path[0], str)
    )


@dataclass
class Plan:
    """How to render a template by pieces (`whole`: render it in one go)."""

    static: dict[int, str]
    pieces: list[Piece]
    size: int
    whole: bool = False
    fields: tuple[str, ...] = ()


@dataclass
class Batch:
    """Rendered texts (None where rendering failed), each failure, and fallbacks used."""

    texts: list[str | None]
    errors: dict[int, BaseException] = field(default_factory=dict)
    fired: dict[int, int] = field(default_factory=dict)


def _pure(node: Node, ctx: RenderContext) -> bool:
    if not isinstance(node, _PURE):
        return False
    return all(_pure(ch, ctx) for ch in node.children(ctx, include_partials=False))


def _names(bound: BoundTemplate, nodes: list[Node]) -> tuple[set[str], set[str], set[str]]:
    """Variables read (all roots), globals and locals of some nodes analysed together."""
    a = BoundTemplate(bound.env, nodes, name=bound.name).analyze(include_partials=False)
    return set(a.variables), set(a.globals), set(a.locals)


def make_plan(bound: BoundTemplate, fields: Sequence[str]) -> Plan:
    """Split a compiled template into pieces (see the module docstring)."""
    everything = bound.analyze(include_partials=False)
    nodes = bound.nodes
    if _WHOLE_TAGS & set(everything.tags):
        return Plan({}, [], len(nodes), whole=True, fields=tuple(sorted(fields)))
    assigned = set(everything.locals)
    ctx = RenderContext(bound)
    static: dict[int, str] = {}
    pieces: list[Piece] = []
    group: list[int] = []
    for i, node in enumerate(nodes):
        if type(node) is ContentNode:  # as python-liquid's buffer keeps it (it maps CR to LF)
            buf = bound._get_buffer()
            buf.write(node.text)
            static[i] = buf.getvalue()
            continue
        read, glob, local = _names(bound, [node])
        if _pure(node, ctx) and not local and not (read & assigned):
            pieces.append(Piece((i,), tuple(sorted(glob)), _bare(node) and len(glob) == 1))
        else:
            group.append(i)
    if group:
        _, glob, _ = _names(bound, [nodes[i] for i in group])
        pieces.append(Piece(tuple(group), tuple(sorted(glob))))
    return Plan(static, pieces, len(nodes), fields=tuple(sorted(fields)))


def identity_keys(col: Sequence[Any]) -> Sequence[Any]:
    """Keys equal only for values that render alike: the values, or (type, repr) pairs."""
    types = set(map(type, col))
    if types <= _SAFE and not (int in types and bool in types):
        return col
    return list(zip(map(type, col), map(repr, col)))


def _as_is(col: Sequence[Any], autoescape: bool) -> bool:
    """Every value is text that `{{ name }}` writes unchanged (no CR, nothing to escape)."""
    if set(map(type, col)) != {str}:
        return False
    joined = "".join(col)
    if "\r" in joined:  # python-liquid's buffer writes CR as LF
        return False
    return not (autoescape and _ESCAPES.search(joined))


class _Renderer:
    """Renders one template's pieces for a batch, collecting failures and fallbacks."""

    def __init__(self, tpl: Any, columns: dict[str, Sequence[Any]], n: int, budget: Budget):
        self.tpl, self.columns, self.n, self.budget = tpl, columns, n, budget
        self.bound: BoundTemplate = tpl.bound
        self.keys: dict[str, Sequence[Any]] = {}
        self.fired: Counter[int] = Counter()
        self.failed: set[int] = set()
        self.row_fired: list[tuple[Sequence[Any], dict[Any, list[int]]]] = []

    def key_column(self, fields: tuple[str, ...]) -> Sequence[Any]:
        """One key per row for these variables."""
        for f in fields:
            if f not in self.keys:
                self.keys[f] = identity_keys(self.columns[f])
        if len(fields) == 1:
            return self.keys[fields[0]]
        return list(zip(*(self.keys[f] for f in fields)))

    def piece(self, p: Piece) -> list[Any]:
        """Each row's output of this piece: a str, a tuple of str per node, or _FAILED."""
        nodes = [self.bound.nodes[i] for i in p.nodes]
        if not p.fields:
            out = self.render_nodes(nodes, {})
            if out is _FAILED:
                self.failed.update(range(self.n))
            elif out[1]:
                for s in out[1]:
                    self.fired[s] += self.n
                self.row_fired.append(((None,) * self.n, {None: out[1]}))
            return [out if out is _FAILED else out[0]] * self.n
        if p.bare:
            col = self.columns[p.fields[0]]
            if _as_is(col, self.bound.env.autoescape):
                return list(col)
        keys = self.key_column(p.fields)
        where = dict(zip(keys, range(self.n)))  # each distinct key → a row that has it
        table: dict[Any, Any] = {}
        sites: dict[Any, list[int]] = {}
        for k, i in where.items():
            self.budget.check()
            values = {f: self.columns[f][i] for f in p.fields}
            out = self.render_nodes(nodes, values)
            if out is _FAILED:
                table[k] = _FAILED
                continue
            table[k] = out[0]
            if out[1]:
                sites[k] = out[1]
        texts = list(map(table.__getitem__, keys))
        if len(table) != len(where) or _FAILED in table.values():
            self.failed.update(i for i, t in enumerate(texts) if t is _FAILED)
        if sites:
            counts = Counter(keys)
            for k, fired in sites.items():
                for s in fired:
                    self.fired[s] += counts[k]
            self.row_fired.append((keys, sites))
        return texts

    def render_nodes(self, nodes: list[Node], values: dict[str, Any]) -> Any:
        """python-liquid renders these nodes in one context: (text or texts, fired) or _FAILED."""
        bound = self.bound
        context = bound.context_class(bound, globals=bound.make_globals(values))
        fired: list[int] = []
        token = FIRED.set(fired)
        try:
            outs = []
            with context.extend(namespace=bound.make_partial_namespace(False, {})):
                for node in nodes:
                    buf = bound._get_buffer()
                    node.render(context, buf)
                    outs.append(buf.getvalue())
        except Exception:
            return _FAILED
        finally:
            FIRED.reset(token)
        return (outs[0] if len(outs) == 1 else tuple(outs)), fired

    def whole(self, values: dict[str, Any]) -> tuple[str | None, list[int], BaseException | None]:
        """python-liquid renders the whole template for one recipient."""
        fired: list[int] = []
        token = FIRED.set(fired)
        try:
            return self.bound.render(**values), fired, None
        except Exception as exc:  # any failure is this recipient's render error
            return None, fired, exc
        finally:
            FIRED.reset(token)


def render_batch(
    tpl: Any, columns: dict[str, Sequence[Any]], n: int, budget: Budget | None = None
) -> Batch:
    """Render `tpl` for `n` recipients given each variable's column; python-liquid's output."""
    plan: Plan = tpl.plan
    r = _Renderer(tpl, columns, n, budget or Budget())
    if plan.whole:
        return _whole_by_key(r, plan.fields)
    slots: list[Any] = [None] * plan.size  # per top-level node: its text, or a column of texts
    for i, text in plan.static.items():
        slots[i] = text
    for p in plan.pieces:
        texts = r.piece(p)
        if r.failed:  # placeholders: these rows are rendered whole below
            blank = ("",) * len(p.nodes) if len(p.nodes) > 1 else ""
            texts = [blank if t is _FAILED else t for t in texts]
        if len(p.nodes) == 1:
            slots[p.nodes[0]] = texts
        else:
            for j, col in zip(p.nodes, zip(*texts)):
                slots[j] = col
    static = all(type(x) is str for x in slots)
    if static:
        out: list[str | None] = ["".join(slots)] * n
    else:  # the row's text: its nodes' texts joined, at C speed
        iters = [repeat(x) if type(x) is str else x for x in _merge_static(slots)]
        out = list(map("".join, zip(*iters)))
    limit = r.bound.env.output_stream_limit
    longest = max((len(t or "") for t in out), default=0)
    if limit is not None and longest * 4 > limit:  # UTF-8: ≤ 4 bytes a char
        r.failed.update(
            i
            for i, t in enumerate(out)
            if t is not None and len(t) * 4 > limit and len(t.encode("utf-8")) > limit
        )
    batch = Batch(out)
    if r.failed:
        _redo(r, batch, plan.fields)
    batch.fired = dict(r.fired)
    return batch


def _merge_static(slots: list[Any]) -> list[Any]:
    """Adjacent constant texts joined into one (fewer items per row to join)."""
    out: list[Any] = []
    for x in slots:
        if type(x) is str and out and type(out[-1]) is str:
            out[-1] += x
        elif not (type(x) is str and not x):
            out.append(x)
    return out


def _redo(r: _Renderer, batch: Batch, fields: tuple[str, ...]) -> None:
    """Rows the pieces could not vouch for: python-liquid renders them whole."""
    for i in sorted(r.failed):
        r.budget.check()
        for keys, sites in r.row_fired:  # take back what the pieces counted for this row
            for s in sites.get(keys[i], ()):
                r.fired[s] -= 1
        text, fired, exc = r.whole({f: r.columns[f][i] for f in fields})
        batch.texts[i] = text
        if exc is not None:
            batch.errors[i] = exc
        else:
            for s in fired:
                r.fired[s] += 1
    for s in [s for s, c in r.fired.items() if c == 0]:
        del r.fired[s]


def _whole_by_key(r: _Renderer, fields: tuple[str, ...]) -> Batch:
    """Templates rendered whole: once per distinct combination of all their variables."""
    keys = r.key_column(fields) if fields else [None] * r.n
    where = dict(zip(keys, range(r.n)))
    table: dict[Any, tuple[str | None, list[int], BaseException | None]] = {}
    for k, i in where.items():
        r.budget.check()
        table[k] = r.whole({f: r.columns[f][i] for f in fields})
    batch = Batch([None] * r.n)
    texts = batch.texts
    for i, k in enumerate(keys):
        text, fired, exc = table[k]
        texts[i] = text
        if exc is not None:
            batch.errors[i] = exc
        for s in fired:
            r.fired[s] += 1
    batch.fired = dict(r.fired)
    return batch


def render_piece(
    tpl: Any, piece: Piece, columns: dict[str, Sequence[Any]], n: int, budget: Budget | None = None
) -> list[Any] | None:
    """One piece's output per row (a str, or a tuple of str for a multi-node piece), as
    `render_batch` computes it; None when any row failed (python-liquid must render it whole)."""
    r = _Renderer(tpl, columns, n, budget or Budget())
    texts = r.piece(piece)
    return None if r.failed else texts


def render_piece_sites(
    tpl: Any, piece: Piece, columns: dict[str, Sequence[Any]], n: int, budget: Budget | None = None
) -> tuple[list[Any] | None, list[tuple[int, ...]]]:
    """`render_piece`, with the fallback sites each row used (as `render_batch` counts them)."""
    r = _Renderer(tpl, columns, n, budget or Budget())
    texts = r.piece(piece)
    if r.failed:
        return None, []
    fired: list[tuple[int, ...]] = [()] * n
    for keys, sites in r.row_fired:  # one entry at most: this piece's
        fired = [tuple(sites.get(k, ())) for k in keys]
    return texts, fired


def error_kind(exc: BaseException) -> str:
    """`undefined` for an undefined variable, else `render_error`."""
    return "undefined" if isinstance(exc, UndefinedError) else "render_error"


__all__ = [
    "Batch",
    "Budget",
    "LiquidError",
    "RenderBudgetExceeded",
    "error_kind",
    "render_batch",
    "render_piece",
    "render_piece_sites",
]
