"""Answer "how many, who, why" for a segment on one read-only snapshot connection."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from queries.core.catalog import Catalog
from queries.core.errors import UnknownField, suggest
from queries.core.mask import mask_value
from queries.engines.base import Engine
from queries.engines.dialects import render
from queries.engines.jobs import Job
from queries.query.condcache import MEM_DB, event_key
from queries.query.explain import CustomerExplainer, Verdict
from queries.query.opened import OpenSnapshot
from queries.query.store import SegmentStore
from queries.segments.compile import Compiler, like, like_pattern
from queries.segments.describe import describe
from queries.segments.model import EventCond, FieldCond, Segment, top_level, walk

SAMPLE_COLUMNS = [
    "customer_id",
    "family_name",
    "given_name",
    "email",
    "phone",
    "prefecture",
    "loyalty_tier",
    "lifecycle_stage",
    "total_spend",
]


BREAKDOWN_FIELDS = (
    "loyalty_tier",
    "lifecycle_stage",
    "rfm_segment",
    "prefecture",
    "gender",
    "signup_channel",
    "preferred_channel",
    "nps_category",
    "favorite_category",
)


def breakdown_candidates(catalog: Any) -> list[str]:
    """Fields worth a breakdown, the usual ones first: available, not PII, not the id."""
    usable = [
        n
        for n, f in catalog.fields.items()
        if not f.unavailable and not f.pii and n != "customer_id"
    ]
    return [n for n in BREAKDOWN_FIELDS if n in usable] + [
        n for n in usable if n not in BREAKDOWN_FIELDS
    ]


def lead_with_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reorder each row's columns: the id, then columns with a value in some row, then empty."""
    if not rows:
        return rows
    keys = list(rows[0])
    full = [k for k in keys[1:] if any(r[k] is not None and r[k] != "" for r in rows)]
    order = keys[:1] + full + [k for k in keys[1:] if k not in full]
    return [{k: r[k] for k in order} for r in rows]


@dataclass(frozen=True)
class WaterfallStep:
    """One row of the waterfall: the audience after this condition, and who it removed."""

    label: str
    count: int
    removed: int


def audience_of(base: int, steps: list[WaterfallStep]) -> int:
    """The audience a waterfall ends with: its last step, or the whole base when it has none."""
    return steps[-1].count if steps else base


@dataclass(frozen=True)
class BreakdownRow:
    """A value (or bucket) of a field: people with it in the audience and in the whole base."""

    value: Any
    audience: int
    base: int


class Runner:
    """Compiles segments and runs the queries behind count, waterfall, sample, why, ..."""

    def __init__(self, snapshot: OpenSnapshot, store: SegmentStore | None = None):
        self.snapshot = snapshot
        self.engine: Engine = snapshot.engine
        self.catalog: Catalog = snapshot.catalog
        self.store = store or SegmentStore(snapshot.ws.segments_dir, snapshot.catalog)
        self.explainer = CustomerExplainer(self)

    @property
    def as_of(self) -> date:
        return self.snapshot.as_of

    def compiler(self, seg: Segment | None = None, features: exp.Expr | None = None) -> Compiler:
        return Compiler(
            self.catalog,
            self.as_of,
            self.store.resolver(seg),
            str(seg.path) if seg and seg.path else None,
            features.copy() if features is not None else self.engine.features_table,
        )

    def _run(self, sql: str, job: Job | None) -> list[Any]:
        """Run SQL already rendered for this engine's dialect."""
        return self.engine.run(sql, job)

    def fetch(self, query: exp.Expr, job: Job | None = None) -> list[Any]:
        """Render a query tree for the session's engine (checking it is portable there), run it.

        Every query of the runner and the campaign code (funnel, preview, export) goes through
        here. Only small results come back on a distributed engine; stream audiences."""
        return self.engine.run(self.engine.render(query), job)

    def stream(
        self, query: exp.Expr, job: Job | None = None, size: int = 10_000
    ) -> Iterator[list[Any]]:
        """Rows in batches on engines that can stream them (DuckDB, the DB-API warehouses)."""
        return self.engine.stream(self.engine.render(query), job, size)

    # -- one customer (queries/query/explain.py) --------------------------------------------
    def why(
        self, seg: Segment, customer_id: str, job: Job | None = None
    ) -> tuple[bool, list[Verdict]]:
        """Each condition's verdict for one customer, and the value that decided it."""
        return self.explainer.why(seg, customer_id, job)

    def resolve_customer(self, customer_id: str, job: Job | None = None) -> str:
        """The snapshot's id for what was typed: exact, else the one id equal ignoring case."""
        return self.explainer.resolve_customer(customer_id, job)

    def recent_events(
        self, customer_id: str, source: str, n: int = 5, job: Job | None = None
    ) -> list[dict[str, Any]]:
        """The customer's latest `n` rows of an event source up to the as-of day, newest first."""
        return self.explainer.recent_events(customer_id, source, n, job)

    # -- queries ---------------------------------------------------------------------------
    def audience_query(
        self,
        seg: Segment,
        columns: list[exp.Expr] | None = None,
        features: exp.Expr | None = None,
    ) -> exp.Select:
        """SELECT the segment's members (customer_id, or the given columns)."""
        comp = self.compiler(seg, features)
        where = comp.node(seg.where)
        cols = columns or [exp.alias_(self.catalog.customer_id(), "customer_id", quoted=True)]
        return comp.base_from(exp.select(*cols)).where(where)

    def sql(self, seg: Segment, dialect: str | None = None, pretty: bool = True) -> str:
        """The audience query, ordered by customer id.

        Without `dialect` (or with this engine's own): exactly what runs on this session's
        engine. With another dialect: printed for that engine with the features read from a
        plain `features` table, checked against that dialect's allow-list.
        """
        if dialect is None or dialect == self.engine.dialect:
            query = self.audience_query(seg).order_by(self.catalog.customer_id())
            return self.engine.render(query, pretty=pretty)
        feats = exp.Table(this=exp.to_identifier("features", quoted=True))
        query = self.audience_query(seg, features=feats).order_by(self.catalog.customer_id())
        return render(query, dialect, pretty=pretty)

    def members(self, seg: Segment, job: Job | None = None) -> list[Any]:
        """The audience's customer ids, sorted (small audiences: the engine caps what returns)."""
        return [row[0] for row in self._run(self.sql(seg, pretty=False), job)]

    def count(self, seg: Segment, job: Job | None = None, cached: bool = False) -> int:
        """The audience size; `cached` reads the event conditions already materialised (for
        live edits) and compiles the others as usual: filling the cache is the waterfall's
        (`waterfall(cached=True)`, which the builder runs right after), so a first count
        costs no more than an uncached one."""
        comp = self._cached_compiler(seg, job, fill=False) if cached else self.compiler(seg)
        where = comp.node(seg.where)
        query = comp.base_from(exp.select(exp.func("count", exp.Star()))).where(where)
        return int(self.fetch(query, job)[0][0])

    def counts(self, segs: list[Segment], job: Job | None = None) -> list[int]:
        """Several audience sizes in one scan of the customers (the segment list's column)."""
        if not segs:
            return []
        comp = self.compiler()
        preds = []
        for seg in segs:
            c = self.compiler(seg)
            preds.append(c.node(seg.where))
            comp.needs_features = comp.needs_features or c.needs_features
        one, zero = exp.Literal.number(1), exp.Literal.number(0)
        cols = [exp.Sum(this=exp.If(this=p, true=one.copy(), false=zero.copy())) for p in preds]
        row = self.fetch(comp.base_from(exp.select(*cols)), job)[0]
        return [int(v or 0) for v in row]

    # -- per-condition cache ---------------------------------------------------------------
    def _cached_compiler(self, seg: Segment, job: Job | None, fill: bool = True) -> Compiler:
        """A compiler whose event conditions read cached per-customer tables, filled on a miss
        (with `fill`; else a missing one compiles as usual).

        Each table holds, per customer with matching events, their count (and aggregate): a
        condition whose threshold was edited, or which appears again, costs a lookup only."""
        comp = self.compiler(seg)
        if not self.engine.cond_cache:
            return comp  # only DuckDB keeps member tables beside the snapshot
        cache = self.snapshot.cond_cache

        def lookup(node: EventCond, negate: bool) -> exp.Expr | None:
            key = event_key(node)
            if cache.get(key) is None:
                if not fill:
                    return None
                self._materialise(key, node, seg, job)
            return comp.event_lookup(node, negate, cache.table_for(key))

        comp.substitute = lookup
        return comp

    def _materialise(self, key: str, node: EventCond, seg: Segment, job: Job | None) -> None:
        cache = self.snapshot.cond_cache
        select = self.compiler(seg).event_table(node)
        table = cache.table_for(key).sql("duckdb")
        self._run(f"CREATE OR REPLACE TABLE {table} AS {select.sql('duckdb')}", job)
        for old in cache.put(key, 0):
            self._run(f'DROP TABLE IF EXISTS "{MEM_DB}"."{old}"', None)

    def waterfall(
        self, seg: Segment, job: Job | None = None, cached: bool = False
    ) -> tuple[int, list[WaterfallStep]]:
        """Base size and the audience after each top-level condition, in one scan."""
        comp = self._cached_compiler(seg, job) if cached else self.compiler(seg)
        conds = top_level(seg.where)
        preds = [comp.node(c) for c in conds]
        cols: list[exp.Expr] = [exp.func("count", exp.Star())]
        running: list[exp.Expr] = []
        for p in preds:
            running.append(p)
            cols.append(
                exp.Sum(
                    this=exp.If(
                        this=exp.and_(*[r.copy() for r in running]),
                        true=exp.Literal.number(1),
                        false=exp.Literal.number(0),
                    )
                )
            )
        row = self.fetch(comp.base_from(exp.select(*cols)), job)[0]
        base = int(row[0])
        steps, prev = [], base
        for cond, value in zip(conds, row[1:]):
            n = int(value or 0)
            steps.append(WaterfallStep(describe(cond), n, prev - n))
            prev = n
        return base, steps

    def sample(
        self,
        seg: Segment,
        n: int = 20,
        unmask: bool = False,
        job: Job | None = None,
        columns: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """A stable sample: members ordered by md5 of their id, PII masked unless asked."""
        names = [c for c in columns or SAMPLE_COLUMNS if not self.catalog.fields[c].unavailable]
        for node in walk(seg.where):
            if isinstance(node, FieldCond) and node.field not in names:
                names.append(node.field)
        comp = self.compiler(seg)
        where = comp.node(seg.where)
        cols = [exp.alias_(comp.field_expr(self.catalog.fields[c]), c, quoted=True) for c in names]
        order = exp.func("md5", exp.cast(self.catalog.customer_id(), "VARCHAR"))
        query = (
            comp.base_from(exp.select(*cols))
            .where(where)
            .order_by(order, self.catalog.customer_id())
            .limit(n)
        )
        rows = self.fetch(query, job)
        out = []
        for row in rows:
            rec = dict(zip(names, row))
            if not unmask:
                for k, v in rec.items():
                    if self.catalog.fields[k].pii and k != "customer_id":
                        rec[k] = mask_value(k, v)
            out.append(rec)
        return lead_with_values(out) if columns is None else out  # asked-for order is kept

    def _field(self, name: str):
        if name not in self.catalog.fields:
            raise UnknownField(
                f"unknown field `{name}`", hint=suggest(name, list(self.catalog.fields))
            )
        f = self.catalog.fields[name]
        if f.unavailable:
            raise UnknownField(f"field `{name}` is unavailable in this snapshot: {f.unavailable}")
        return f

    def default_breakdown_field(self, job: Job | None = None) -> str | None:
        """The first of the usual breakdown fields that this snapshot has and that has values."""
        names = breakdown_candidates(self.catalog)
        if not names:
            return None
        comp = self.compiler()
        counts = [exp.func("count", comp.field_expr(self.catalog.fields[n])) for n in names]
        row = self.fetch(comp.base_from(exp.select(*counts)), job)[0]
        return next((n for n, k in zip(names, row) if k), names[0])

    def breakdown(
        self, seg: Segment, field: str, top: int = 12, job: Job | None = None
    ) -> list[BreakdownRow]:
        """The audience against the base by a field's values (numbers bucketed, dates by year)."""
        f = self._field(field)
        comp = self.compiler(seg)
        where = comp.node(seg.where)
        x = comp.field_expr(f)
        if f.type in ("date", "timestamp"):
            key: exp.Expr = exp.Year(this=x)
        elif f.type == "number":
            key = self._number_bucket(comp, x)
        else:
            key = x
        in_aud = exp.Sum(
            this=exp.If(this=where, true=exp.Literal.number(1), false=exp.Literal.number(0))
        )
        query = (
            comp.base_from(
                exp.select(exp.alias_(key.copy(), "k"), in_aud, exp.func("count", exp.Star()))
            )
            .group_by(key)  # the expression, not its alias: Trino cannot group by an alias
            .order_by(exp.column("k"))
        )
        rows = self.fetch(query, job)
        result = [BreakdownRow(k, int(a or 0), int(b)) for k, a, b in rows]
        if f.type in ("string", "boolean") and len(result) > top:
            result.sort(key=lambda r: (-r.base, str(r.value)))
            head, rest = result[:top], result[top:]
            head.append(
                BreakdownRow("(other)", sum(r.audience for r in rest), sum(r.base for r in rest))
            )
            return head
        return result

    def _number_bucket(self, comp: Compiler, x: exp.Expr) -> exp.Expr:
        """Buckets of a numeric field: its values when few, else 10 equal-width bands from 0."""
        stats_q = comp.base_from(
            exp.select(
                exp.func("count", exp.Distinct(expressions=[x.copy()])),
                exp.Min(this=x.copy()),
                exp.Max(this=x.copy()),
            )
        )
        distinct, lo, hi = self.fetch(stats_q, None)[0]
        if distinct is None or distinct <= 12 or lo is None:
            return x
        span = float(hi) - min(float(lo), 0.0)
        step = _nice_step(span / 10)
        return exp.Mul(
            this=exp.Floor(this=exp.Div(this=x, expression=exp.Literal.number(step))),
            expression=exp.Literal.number(step),
        )

    def values(
        self,
        field: str,
        limit: int = 20,
        prefix: str | None = None,
        event: str | None = None,
        job: Job | None = None,
    ) -> list[tuple[Any, int]]:
        """Distinct values of a field with how many customers (or events) have each."""
        if event is not None:
            src = self.catalog.events[event]
            if field not in src.fields:
                raise UnknownField(
                    f"unknown field `{field}` in event `{event}`",
                    hint=suggest(field, list(src.fields)),
                )
            x: exp.Expr = exp.column(field, "e", quoted=True)
            base = exp.select(exp.alias_(x, "v"), exp.func("count", exp.Star())).from_(
                exp.paren(
                    src.relation.where(self.compiler().time_filter(src, None)), copy=False
                ).as_("e")
            )
        else:
            f = self._field(field)
            comp = self.compiler()
            x = comp.field_expr(f)
            base = comp.base_from(exp.select(exp.alias_(x, "v"), exp.func("count", exp.Star())))
        query = base.where(exp.not_(exp.Is(this=x.copy(), expression=exp.Null())))
        if prefix:
            query = query.where(
                like(exp.cast(x.copy(), "VARCHAR"), like_pattern(prefix, False, True))
            )
        query = (
            query.group_by(x.copy())
            .order_by(exp.Ordered(this=exp.func("count", exp.Star()), desc=True), exp.column("v"))
            .limit(limit)
        )
        return [(v, int(n)) for v, n in self.fetch(query, job)]

    def overlap(self, a: Segment, b: Segment, job: Job | None = None) -> tuple[int, int, int]:
        """How many are in A, in B, and in both."""
        comp = self.compiler(a)
        pa = comp.node(a.where)
        comp_b = self.compiler(b)
        pb = comp_b.node(b.where)
        comp.needs_features = comp.needs_features or comp_b.needs_features

        def n(p: exp.Expr) -> exp.Expr:
            return exp.Sum(
                this=exp.If(this=p, true=exp.Literal.number(1), false=exp.Literal.number(0))
            )

        q = comp.base_from(exp.select(n(pa), n(pb), n(exp.and_(pa.copy(), pb.copy()))))
        ra, rb, both = self.fetch(q, job)[0]
        return int(ra or 0), int(rb or 0), int(both or 0)


def _nice_step(raw: float) -> float:
    """Round a bucket width up to 1, 2 or 5 times a power of ten."""
    if raw <= 0:
        return 1
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return int(m * mag) if m * mag >= 1 else m * mag
    return 10 * mag
