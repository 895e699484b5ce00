"""Compile a segment tree into one sqlglot expression, portable across engines (docs/engines.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlglot import exp

from queries.core.catalog import CUSTOMER_ALIAS, FEATURE_ALIAS, Catalog, EventSource, Field
from queries.core.errors import Location, SegmentError
from queries.core.timewin import Window, anniversary_month_days
from queries.segments.model import (
    Aggregate,
    Compare,
    EventCond,
    FieldCond,
    Group,
    Node,
    Not,
    SegmentRef,
    as_date,
    walk,
)
from queries.segments.ops import NEGATIVE, check_value

LIKE_ESCAPE = "!"
MAX_NESTING = 48  # beyond this, printing the SQL (sqlglot recurses) could exhaust the stack
DEFAULT_FEATURES = exp.Table(this=exp.to_identifier("features", quoted=True))


def date_type() -> exp.DataType:
    """DATE as a sqlglot type, built directly (DataType.build("DATE") parses text each call)."""
    return exp.DataType(this=exp.DataType.Type.DATE)


def to_date(expr: exp.Expr) -> exp.Cast:
    """CAST(expr AS DATE), taking `expr` as is (no copy)."""
    return exp.Cast(this=expr, to=date_type())


def lit(value: Any) -> exp.Expr:
    """A user value as a SQL literal, always through sqlglot (never pasted into SQL text)."""
    if isinstance(value, date):
        return to_date(exp.Literal.string(value.isoformat()))
    return exp.convert(value)


def complement(positive: exp.Expr) -> exp.Expr:
    """NOT of a condition where NULL counts as not matching: `!=` includes people with no value."""
    return exp.not_(exp.func("COALESCE", exp.paren(positive, copy=False), exp.false()), copy=False)


def like_pattern(text: str, prefix: bool, suffix: bool) -> str:
    """Escape %, _ and the escape char in user text, then add wildcards."""
    esc = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return ("%" if prefix else "") + esc + ("%" if suffix else "")


def like(expr: exp.Expr, pattern: str) -> exp.Expr:
    """LIKE with an explicit ESCAPE, case-insensitive through LOWER on both sides."""
    return exp.Escape(
        this=exp.Like(this=exp.Lower(this=expr), expression=exp.Literal.string(pattern)),
        expression=exp.Literal.string(LIKE_ESCAPE),
    )


def as_day(expr: exp.Expr, type_: str) -> exp.Expr:
    """Compare by calendar day: timestamps are cast to DATE first."""
    return to_date(expr) if type_ == "timestamp" else expr


def compare(expr: exp.Expr, op: str, value: Any) -> exp.Expr:
    """expr <op> value for the comparison operators, with `between` inclusive."""
    if op == "between":
        return exp.Between(this=expr, low=lit(value[0]), high=lit(value[1]))
    ops = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
    return ops[op](this=expr, expression=lit(value))


def holds(op: str, left: Any, value: Any) -> bool:
    """Evaluate a comparison in Python (for zero-event customers); None never holds."""
    if left is None:
        return False
    if op == "between":
        return value[0] <= left <= value[1]
    return {
        "=": left == value,
        "!=": left != value,
        "<": left < value,
        "<=": left <= value,
        ">": left > value,
        ">=": left >= value,
    }[op]


@dataclass
class Compiler:
    """Turns nodes into boolean sqlglot expressions over customers `c` (and features `f`)."""

    catalog: Catalog
    as_of: date
    resolver: Any = None  # SegmentResolver for {segment: NAME}
    file: str | None = None
    features_table: exp.Expr = field(default_factory=lambda: DEFAULT_FEATURES.copy())
    needs_features: bool = False
    # swaps an event condition for a lookup in a cached member table (see condcache.py)
    substitute: Callable[[EventCond, bool], exp.Expr | None] | None = None
    depth: int = 0  # how deep `node` is now (groups, `not`, references)

    # -- the audience query ----------------------------------------------------------------
    def base_from(self, select: exp.Select) -> exp.Select:
        """FROM customers c (who existed on a backtest's as-of day), joined to the features
        cache only when a feature is used."""
        select = select.from_(self.catalog.customers.copy())
        base = self.catalog.base_condition()
        if base is not None:
            select = select.where(base)
        if self.needs_features:
            ftable = self.features_table.copy()
            ftable.set("alias", exp.TableAlias(this=exp.to_identifier(FEATURE_ALIAS)))
            select = select.join(
                ftable,
                on=exp.EQ(
                    this=exp.column("customer_id", FEATURE_ALIAS, quoted=True),
                    expression=self.catalog.customer_id(),
                ),
                join_type="left",
            )
        return select

    def field_expr(self, f: Field) -> exp.Expr:
        if f.table == "features":
            self.needs_features = True
            return f.expr(FEATURE_ALIAS, self.as_of)
        return f.expr(CUSTOMER_ALIAS, self.as_of)

    # -- nodes -----------------------------------------------------------------------------
    def node(self, node: Node, event: EventSource | None = None) -> exp.Expr:
        """A node's condition; nesting (references followed) is capped so SQL can be printed."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise SegmentError(
                    f"conditions nest more than {MAX_NESTING} levels deep "
                    "(counting the segments they refer to); flatten some groups",
                    Location(self.file, getattr(node, "line", None)),
                )
            return self._node(node, event)
        finally:
            self.depth -= 1

    def _node(self, node: Node, event: EventSource | None = None) -> exp.Expr:
        if isinstance(node, Group):
            if not node.children:
                return exp.true() if node.kind == "all" else exp.false()
            parts = [self.node(c, event) for c in node.children]
            if len(parts) == 1:
                return parts[0]
            if node.kind == "all":
                return exp.and_(*parts, copy=False)
            return exp.or_(*parts, copy=False)
        if isinstance(node, Not):
            if isinstance(node.child, EventCond) and event is None:
                cached = self.substitute(node.child, True) if self.substitute else None
                return cached if cached is not None else self.event_cond(node.child, negate=True)
            return complement(self.node(node.child, event))
        if isinstance(node, FieldCond):
            if event is not None:
                return self.field_cond(event.fields[node.field], event.col(node.field), node)
            f = self.catalog.fields[node.field]
            return self.field_cond(f, self.field_expr(f), node)
        if isinstance(node, EventCond):
            cached = self.substitute(node, False) if self.substitute else None
            return cached if cached is not None else self.event_cond(node)
        if isinstance(node, SegmentRef):
            if self.resolver is None:
                raise SegmentError(
                    f"segment reference `{node.segment}` needs a workspace",
                    Location(self.file, node.line, "segment"),
                )
            seg = self.resolver.enter(node, self.file)
            saved = self.file
            self.file = str(seg.path) if seg.path else saved
            try:
                return exp.paren(self.node(seg.where), copy=False)
            finally:
                self.file = saved
                self.resolver.leave()
        raise TypeError(f"not a segment node: {node!r}")

    def field_cond(self, f: Field, x: exp.Expr, node: FieldCond) -> exp.Expr:
        op = node.op
        if op in NEGATIVE:
            positive = FieldCond(node.field, NEGATIVE[op], node.value)
            return complement(self.field_cond(f, x, positive))
        value = check_value(f.type, op, node.value)
        if op == "is_null":
            return exp.Is(this=x, expression=exp.Null())
        if op == "is_not_null":
            return exp.not_(exp.Is(this=x, expression=exp.Null()), copy=False)
        if op == "is_true":
            return exp.EQ(this=x, expression=exp.true())
        if op == "is_false":
            return exp.EQ(this=x, expression=exp.false())
        if op == "in":
            return exp.In(this=x, expressions=[lit(v) for v in value])
        if op == "contains":
            return like(x, like_pattern(value, True, True))
        if op == "starts_with":
            return like(x, like_pattern(value, False, True))
        if op == "ends_with":
            return like(x, like_pattern(value, True, False))
        if f.type in ("date", "timestamp"):
            return self.date_cond(as_day(x, f.type), op, value)
        return compare(x, op, value)

    def date_cond(self, d: exp.Expr, op: str, value: Any) -> exp.Expr:
        if op == "before":
            return exp.LT(this=d, expression=lit(value))
        if op == "after":
            return exp.GT(this=d, expression=lit(value))
        if op == "on":
            return exp.EQ(this=d, expression=lit(value))
        if op == "between":
            return exp.Between(this=d, low=lit(value[0]), high=lit(value[1]))
        if op == "in_last":
            w = Window.parse(value)
            return exp.Between(this=d, low=lit(w.start(self.as_of)), high=lit(self.as_of))
        if op == "more_than_ago":
            return exp.LTE(this=d, expression=lit(Window.parse(value).cutoff(self.as_of)))
        if op == "anniversary_within":
            codes = anniversary_month_days(self.as_of, Window.parse(value).days(self.as_of))
            mmdd = exp.Add(
                this=exp.Mul(this=exp.Month(this=d.copy()), expression=exp.Literal.number(100)),
                expression=exp.Day(this=d.copy()),
            )
            return exp.In(this=exp.paren(mmdd, copy=False), expressions=[lit(c) for c in codes])
        if op == "month_in":
            return exp.In(this=exp.Month(this=d), expressions=[lit(m) for m in value])
        raise AssertionError(op)

    # -- events ----------------------------------------------------------------------------
    def time_filter(self, src: EventSource, within: Any) -> exp.Expr:
        """Events on days inside the window; never after the as-of day."""
        day = to_date(src.col(src.time_field))
        if within is None:
            return exp.LTE(this=day, expression=lit(self.as_of))
        if isinstance(within, dict):
            lo, hi = as_date(within["from"]), min(as_date(within["to"]), self.as_of)
            return exp.Between(this=day, low=lit(lo), high=lit(hi))
        start = Window.parse(within).start(self.as_of)
        return exp.Between(this=day, low=lit(start), high=lit(self.as_of))

    def event_filters(self, node: EventCond) -> tuple[EventSource, exp.Expr, set[str]]:
        """The source, the row filter (window + where) and the event columns it uses."""
        src = self.catalog.events[node.event]
        filters = [self.time_filter(src, node.within)]
        used: set[str] = set()
        if node.where is not None:
            filters.append(self.node(node.where, src))
            used |= {n.field for n in walk(node.where) if isinstance(n, FieldCond)}
        if node.aggregate is not None:
            used.add(node.aggregate.field)
        return src, exp.and_(*filters, copy=False), used

    def agg_expr(self, src: EventSource, agg: Aggregate) -> exp.Expr:
        col = src.col(agg.field)
        if agg.fn == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[col]))
        if agg.fn == "sum":
            return exp.func("COALESCE", exp.Sum(this=col), exp.Literal.number(0))
        return {"avg": exp.Avg, "min": exp.Min, "max": exp.Max}[agg.fn](this=col)

    def having(
        self,
        src: EventSource,
        node: EventCond,
        count_x: exp.Expr | None = None,
        agg_x: exp.Expr | None = None,
    ) -> tuple[exp.Expr, bool]:
        """The HAVING predicate over matching events, and whether zero events satisfy it.

        `count_x`/`agg_x` stand for the count and the aggregate when they come precomputed
        (a cached per-customer table); by default they are the aggregate functions."""
        preds: list[exp.Expr] = []
        zero_ok = True
        cnt = node.effective_count
        if cnt is not None:
            x = count_x.copy() if count_x is not None else exp.Count(this=exp.Star())
            preds.append(compare(x, cnt.op, cnt.value))
            zero_ok = zero_ok and holds(cnt.op, 0, cnt.value)
        if node.aggregate is not None:
            a = node.aggregate
            x = agg_x.copy() if agg_x is not None else self.agg_expr(src, a)
            preds.append(compare(x, a.op, a.value))
            zero_val = 0 if a.fn in ("sum", "count_distinct") else None
            zero_ok = zero_ok and holds(a.op, zero_val, a.value)
        return exp.and_(*preds, copy=False), zero_ok

    def membership(
        self,
        src: EventSource,
        node: EventCond,
        negate: bool,
        count_x: exp.Expr | None = None,
        agg_x: exp.Expr | None = None,
    ) -> tuple[bool, exp.Expr | None]:
        """Members are IN the set of customers whose event groups pass the predicate (True), or
        NOT in the set of those whose groups fail it (False: zero events qualify); None: any."""
        having, zero_ok = self.having(src, node, count_x, agg_x)
        simple_any = node.aggregate is None and node.effective_count == Compare(">=", 1)
        simple_none = node.aggregate is None and node.effective_count in (
            Compare("<", 1),
            Compare("=", 0),
            Compare("<=", 0),
        )
        pred: exp.Expr | None
        if simple_any or simple_none:
            # S = customers with at least one matching event
            inside, pred = simple_any, None
        elif not zero_ok:
            inside, pred = True, having
        else:
            # zero events qualify, so members are those NOT having a failing group
            inside, pred = False, complement(having)
        return inside != negate, pred

    def event_cond(self, node: EventCond, negate: bool = False) -> exp.Expr:
        """Membership in (or, negated, absence from) the set of customers whose events qualify."""
        src, filters, used = self.event_filters(node)
        inside, having_q = self.membership(src, node, negate)
        if inside:
            return self._in_set(src, filters, used, having_q)
        return self._not_in_set(src, filters, used, having_q)

    # -- events through the per-condition cache (condcache.py) ----------------------------
    def event_table(self, node: EventCond) -> exp.Select:
        """Per customer with matching events: their count `n` (and aggregate `a`), to cache.

        The count threshold and the aggregate's comparison are not in it, so editing them
        reuses the table."""
        src, filters, used = self.event_filters(node)
        e_id = src.col("customer_id")
        cols = [
            exp.alias_(e_id, "customer_id", quoted=True),
            exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True),
        ]
        if node.aggregate is not None:
            cols.append(exp.alias_(self.agg_expr(src, node.aggregate), "a", quoted=True))
        sub = src.from_(exp.select(*cols), used).where(filters, copy=False)
        return sub.group_by(src.col("customer_id"), copy=False)

    def event_lookup(self, node: EventCond, negate: bool, table: exp.Table) -> exp.Expr:
        """The event condition answered from its cached per-customer table (event_table)."""
        src = self.catalog.events[node.event]
        col = lambda name: exp.column(name, "m", quoted=True)  # noqa: E731
        inside, pred = self.membership(src, node, negate, col("n"), col("a"))
        t = table.copy()
        t.set("alias", exp.TableAlias(this=exp.to_identifier("m")))
        if inside:
            sub = exp.select(col("customer_id")).from_(t, copy=False)
            if pred is not None:
                sub = sub.where(pred, copy=False)
            return exp.In(this=self.catalog.customer_id(), query=exp.Subquery(this=sub))
        corr: exp.Expr = exp.EQ(this=col("customer_id"), expression=self.catalog.customer_id())
        if pred is not None:
            corr = exp.and_(corr, pred, copy=False)
        sub = exp.select(exp.Literal.number(1)).from_(t, copy=False).where(corr, copy=False)
        return exp.not_(exp.Exists(this=sub), copy=False)

    def _in_set(
        self,
        src: EventSource,
        filters: exp.Expr,
        used: set[str],
        having: exp.Expr | None,
    ) -> exp.Expr:
        """c.customer_id IN (customers with matching events [grouped, HAVING])."""
        e_id = src.col("customer_id")
        sub = src.from_(exp.select(e_id.copy()), used).where(filters, copy=False)
        if having is not None:
            sub = sub.group_by(e_id.copy(), copy=False).having(having, copy=False)
        return exp.In(this=self.catalog.customer_id(), query=exp.Subquery(this=sub))

    def _not_in_set(
        self,
        src: EventSource,
        filters: exp.Expr,
        used: set[str],
        having: exp.Expr | None,
    ) -> exp.Expr:
        """NOT EXISTS (matching events of this customer [grouped, HAVING]), never NOT IN."""
        e_id = src.col("customer_id")
        corr = exp.and_(
            exp.EQ(this=e_id.copy(), expression=self.catalog.customer_id()), filters, copy=False
        )
        sub = src.from_(exp.select(exp.Literal.number(1)), used).where(corr, copy=False)
        if having is not None:
            sub = sub.group_by(e_id.copy(), copy=False).having(having, copy=False)
        return exp.not_(exp.Exists(this=sub), copy=False)

    def event_value(self, node: EventCond) -> exp.Expr:
        """A scalar subquery: the count (or aggregate) of matching events for customer `c`."""
        src, filters, used = self.event_filters(node)
        value = (
            self.agg_expr(src, node.aggregate)
            if node.aggregate is not None
            else exp.Count(this=exp.Star())
        )
        corr = exp.EQ(this=src.col("customer_id"), expression=self.catalog.customer_id())
        return exp.Subquery(this=src.from_(exp.select(value), used).where(exp.and_(corr, filters)))
