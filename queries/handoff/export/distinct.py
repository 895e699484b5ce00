"""Render a template's pieces once per distinct input into DuckDB lookup tables.

Shared by the export's COPY path (queries.handoff.export.lookup) and approval's SQL preflight
(queries.handoff.preflight_sql): the recipients' variables go into one table M, each piece's
distinct inputs are fetched once, rendered by python-liquid through the batch renderer's own
code and, where a row needs its text, loaded back as a lookup table that DuckDB joins. A
variable is matched by its text form (`CAST … AS VARCHAR`, exact for scalar types, so 0.0 and
-0.0 stay apart), NULL-safe. Anything that cannot be shown to equal the Python path raises
`Unsure`, and the caller goes the Python way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.audience import CampaignQuery
from queries.campaigns.columns import column_sql
from queries.campaigns.coupons import coupon_sql
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import MessageTemplate
from queries.campaigns.presets import OutColumn
from queries.campaigns.render_batch import Budget, Piece, render_piece_sites
from queries.core.errors import QueryCancelled
from queries.engines.jobs import Job
from queries.query.condcache import MEM_DB
from queries.query.session import Session

# types whose VARCHAR cast tells apart every two values that render differently
SCALAR = re.compile(
    r"(VARCHAR|BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DATE|TIME|"
    r"TIMESTAMP|TIMESTAMP WITH TIME ZONE|UUID|DECIMAL\(\d+,\d+\))"
)
CHUNK = 50_000  # lookup rows sent to DuckDB per statement
CONTROL_RE = r"[\r\n\t\x00]"  # preflight_values.CONTROL, for RE2
PLAIN_CODE = re.compile(r"[0-9A-Za-z]*")  # a coupon prefix written as it is, even in HTML


class Unsure(Exception):
    """The SQL path cannot show it equals the Python path: the caller goes the Python way."""


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str = "m") -> exp.Column:
    return exp.column(name, table, quoted=True)


@dataclass
class Build:
    """One export's temp tables, lookups and joins."""

    session: Session
    c: Campaign
    q: CampaignQuery
    job: Job
    prefix: str
    tables: list[exp.Table] = field(default_factory=list)
    joins: list[tuple[exp.Expr, exp.Expr]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)  # template field → M column type
    reps: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    fetched: dict[str, Future[Any]] = field(default_factory=dict)  # `prefetch`ed reads

    def prefetch(self, reads: Sequence[exp.Expr]) -> None:
        """Run these reads in order on a thread of their own: DuckDB fetches the next piece's
        inputs while Python renders this one's; `run` of the same SQL waits for its result.
        (Only reads of tables that no longer change: M after its coupons are settled.)"""
        todo: list[tuple[str, Future[Any]]] = []
        for sql in reads:
            text = sql.sql("duckdb")
            if text not in self.fetched:
                self.fetched[text] = Future()
                todo.append((text, self.fetched[text]))

        def work() -> None:
            for text, done in todo:
                try:
                    if self.job.cancelled:
                        raise QueryCancelled("cancelled")
                    with Job().claim(self.session.snapshot.cursor) as cur:
                        cur.execute(text)
                        done.set_result((cur.fetchall(), cur.description))
                except BaseException as exc:  # (raised where `run` asks for it)
                    done.set_exception(exc)

        threading.Thread(target=work, name="kizuna-prefetch", daemon=True).start()

    def table(self, name: str) -> exp.Table:
        t = exp.Table(this=ident(f"{self.prefix}_{name}"), db=ident(MEM_DB))
        self.tables.append(t)
        return t

    def run(self, sql: exp.Expr | str, params: list[Any] | None = None) -> Any:
        text = sql if isinstance(sql, str) else sql.sql("duckdb")
        if params is None and text in self.fetched:
            return self.fetched[text].result()
        with self.job.claim(self.session.snapshot.cursor) as cur:
            cur.execute(text, params) if params is not None else cur.execute(text)
            return cur.fetchall(), cur.description

    # -- variables -------------------------------------------------------------------------
    def value(self, name: str) -> exp.Expr:
        """A template variable's value column in M."""
        return col("kz_coupon") if name == "coupon" else col(f"v_{name}")

    def key(self, name: str) -> exp.Expr:
        """The variable's join key: its text form (VARCHAR values as they are)."""
        v = self.value(name)
        if name == "coupon" or self.types[name] == "VARCHAR":
            return v
        return exp.cast(v, exp.DataType.build("VARCHAR"))

    def raw(self, name: str) -> bool:
        """Whether the variable's raw value is fetched beside its text key (not a text)."""
        return name != "coupon" and self.types[name] != "VARCHAR"

    def arm_is(self, variant: str, table: str = "m") -> exp.Expr:
        return exp.EQ(this=col("kz_arm", table), expression=exp.Literal.string(variant))

    def representatives(self, variant: str, name: str, m: exp.Table) -> list[Any]:
        """Values of a field among a variant's recipients that decide the preflight's value
        checks: every distinct blank or control-character value, and one other."""
        if (variant, name) not in self.reps:
            self.prefetch_representatives(m, [variant], [name])
        return self.reps[(variant, name)]

    def prefetch_representatives(self, m: exp.Table, variants: list[str], names: list[str]) -> None:
        """`representatives` of every variant and field, in one scan of M."""
        rows, _ = self.run(self.representatives_select(m, variants, names))
        for variant in variants:
            for name in names:
                self.reps[(variant, name)] = []
        for variant, *got in rows:
            for j, name in enumerate(names):
                odd_values, other_value = got[2 * j], got[2 * j + 1]
                others = [] if other_value is None else [other_value]
                self.reps[(variant, name)] = list(odd_values or []) + others

    def representatives_select(
        self, m: exp.Table, variants: list[str], names: list[str]
    ) -> exp.Select:
        """The scan `prefetch_representatives` runs: per arm, each field's odd values and one
        other."""
        aggs: list[exp.Expr] = []
        for j, name in enumerate(names):
            v = self.value(name)
            blank: exp.Expr = exp.Is(this=v.copy(), expression=exp.Null())
            if self.types[name] == "VARCHAR":
                ctrl = exp.func("regexp_matches", v.copy(), exp.Literal.string(CONTROL_RE))
                blank = exp.or_(
                    blank, exp.EQ(this=v.copy(), expression=exp.Literal.string("")), ctrl
                )
            odd = exp.ArrayAgg(this=exp.Distinct(expressions=[v.copy()]))
            aggs.append(exp.alias_(exp.Filter(this=odd, expression=exp.Where(this=blank)), f"b{j}"))
            other = exp.Filter(
                this=exp.AnyValue(this=v.copy()), expression=exp.Where(this=exp.not_(blank.copy()))
            )
            aggs.append(exp.alias_(other, f"o{j}"))  # (never NULL when there is one)
        arm = col("kz_arm")
        return (
            exp.select(arm.copy(), *aggs)
            .from_(alias_m(m))
            .where(arm.copy().isin(*map(exp.Literal.string, variants)))
            .group_by(arm.copy())
        )


def alias_m(m: exp.Table) -> exp.Table:
    t = m.copy()
    t.set("alias", exp.TableAlias(this=exp.to_identifier("m")))
    return t


def materialise(b: Build, cols: list[OutColumn], status: exp.Expr) -> exp.Table:
    """M, in one pass over the funnel's `status`: each recipient's snapshot-valued file
    columns (`c_<i>`), template variables (`v_<name>`), arm, first coupon candidate and id."""
    q = b.q
    r = status.copy()
    r.set("alias", exp.TableAlias(this=exp.to_identifier("r")))
    exprs: list[exp.Expr] = [
        exp.alias_(column_sql(q, oc), f"c_{i}", quoted=True)
        for i, oc in enumerate(cols)
        if oc.kind not in ("part", "variant", "coupon")  # (M's kz_arm and kz_coupon)
    ]
    for f in q.fields:
        exprs.append(exp.alias_(q.comp.field_expr(q.catalog.fields[f]), f"v_{f}", quoted=True))
    exprs.append(exp.alias_(exp.column("kz_arm", "r", quoted=True), "kz_arm", quoted=True))
    cp = b.c.coupon
    if cp is not None:
        code = coupon_sql(q.cid.copy(), b.c.salt, cp.prefix, cp.length)
        exprs.append(exp.alias_(code, "kz_coupon", quoted=True))
    exprs.append(exp.alias_(q.cid.copy(), "kz_cid", quoted=True))
    on = exp.EQ(this=exp.column("customer_id", "r", quoted=True), expression=q.cid.copy())
    sent = exp.and_(
        exp.Is(this=exp.column("kz_step", "r", quoted=True), expression=exp.Null()),
        exp.NEQ(
            this=exp.column("kz_arm", "r", quoted=True), expression=exp.Literal.string(HOLDOUT)
        ),
    )
    sel = q.comp.base_from(exp.select(*exprs)).join(r, on=on).where(sent)
    m = b.table("m")
    b.run(f"CREATE OR REPLACE TABLE {m.sql('duckdb')} AS {sel.sql('duckdb')}")
    _, desc = b.run(exp.select(exp.Star()).from_(m.copy()).limit(0))
    for name, type_, *_ in desc:
        if name.startswith("v_"):
            b.types[name[2:]] = str(type_)
    if any(not SCALAR.fullmatch(t) for t in b.types.values()):
        raise Unsure("a template variable of a nested type")
    return m


def file_value(oc: OutColumn, i: int) -> exp.Expr:
    """A file column's value in M (the arm and coupon are M's own columns)."""
    return col({"variant": "kz_arm", "coupon": "kz_coupon"}.get(oc.kind, f"c_{i}"))


def load(
    b: Build, table: exp.Table, columns: dict[str, list[Any]], types: dict[str, str] | None = None
) -> None:
    """Create a lookup table from Python lists (sent as LIST parameters, in chunks; VARCHAR
    unless `types` names another type)."""
    names = list(columns)
    n = len(columns[names[0]])
    types = types or {}
    for start in range(0, max(n, 1), CHUNK):
        unnest = ", ".join(f'unnest(?::{types.get(k, "VARCHAR")}[]) AS "{k}"' for k in names)
        head = (
            f"CREATE TABLE {table.sql('duckdb')} AS"
            if start == 0
            else f"INSERT INTO {table.sql('duckdb')}"
        )
        b.run(f"{head} SELECT {unnest}", [columns[k][start : start + CHUNK] for k in names])


@dataclass
class Distinct:
    """A piece rendered once per distinct input among a variant's recipients."""

    keyed: list[str]  # the variables that vary per recipient (k0, k1, … in `keys`)
    keys: list[tuple[Any, ...]]  # per input: the join keys (text forms)
    counts: list[int]  # per input: how many recipients have it (with `count`)
    texts: list[Any]  # per input: the piece's text (a tuple of texts for several nodes)
    fired: list[tuple[int, ...]]  # per input: the fallback sites it used


def render_distinct(
    b: Build,
    m: exp.Table,
    variant: str,
    tpl: MessageTemplate,
    piece: Piece,
    consts: dict[str, Any],
    count: bool = False,
    total: int = 0,
) -> Distinct:
    """Fetch the piece's distinct inputs (with how many recipients each, when `count`) and
    render each once; a piece reading only constants renders once for all `total`."""
    if not set(piece.fields) <= set(b.types) | set(consts) | {"coupon"}:
        raise Unsure("a piece reads a variable the export does not select")
    keyed = [f for f in piece.fields if f not in consts]
    if not keyed:  # reads only constants: one render
        once: dict[str, Sequence[Any]] = {f: [consts[f]] for f in piece.fields}
        texts, fired = render_piece_sites(tpl, piece, once, 1, b.budget)
        if texts is None:
            raise Unsure("render error")
        return Distinct([], [()], [total], texts, fired)
    sel = distinct_select(b, m, variant, piece, consts, count)
    rows, _ = b.run(sel)
    n = len(rows)
    width = len(keyed) + sum(map(b.raw, keyed))
    by_key = list(zip(*rows)) if rows else [()] * (width + count)
    key_rows = list(zip(*by_key[: len(keyed)])) if rows else []
    if count and len(set(key_rows)) != n:
        raise Unsure("two values with one text form")
    cols: dict[str, Sequence[Any]] = {}
    x = len(keyed)
    for j, f in enumerate(keyed):
        if b.raw(f):
            cols[f] = by_key[x]
            x += 1
        else:
            cols[f] = by_key[j]
    for f in piece.fields:
        if f in consts:
            cols[f] = (consts[f],) * n
    texts, fired = render_piece_sites(tpl, piece, cols, n, b.budget)
    if texts is None:
        raise Unsure("render error")
    counts = [int(k) for k in by_key[width]] if count and rows else []
    return Distinct(keyed, key_rows, counts, texts, fired)


def distinct_select(
    b: Build, m: exp.Table, variant: str, piece: Piece, consts: dict[str, Any], count: bool
) -> exp.Select:
    """The read `render_distinct` runs for a piece that reads a variable: its distinct inputs
    among the variant's recipients (keys k…, then raw values x… of non-text types; with
    `count`, how many recipients each)."""
    keyed = [f for f in piece.fields if f not in consts]
    keys = [exp.alias_(b.key(f), f"k{j}", quoted=True) for j, f in enumerate(keyed)]
    raw = [exp.alias_(b.value(f), f"x{j}", quoted=True) for j, f in enumerate(keyed) if b.raw(f)]
    sel = exp.select(*keys, *raw).from_(alias_m(m)).where(b.arm_is(variant))
    if count:
        by = [exp.Literal.number(i + 1) for i in range(len(keys) + len(raw))]
        return sel.select(exp.func("count", exp.Star())).group_by(*by)
    return sel.distinct()


def join_lookup(
    b: Build,
    variant: str,
    keyed: list[str],
    data: dict[str, list[Any]],
    types: dict[str, str] | None = None,
) -> str:
    """Load `data` (k0… key columns, then values: the texts of `variant`'s piece) as a lookup
    table joined to M on the keys; its alias."""
    lookup = b.table(f"l{len(b.tables)}")
    load(b, lookup, data, types)
    alias = f"l{len(b.joins)}"
    lk = lookup.copy()
    lk.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    # the keys alone: a lookup's keys are distinct, so a row matches at most once, and a row
    # of another arm that matches is never read (each text is a CASE on the row's arm); a
    # pure equi-join is the cheaper join
    same = [
        exp.NullSafeEQ(this=exp.column(f"k{j}", alias, quoted=True), expression=b.key(f))
        for j, f in enumerate(keyed)
    ]
    b.joins.append((lk, exp.and_(*same)))
    return alias


def drop_tables(session: Session, tables: Sequence[exp.Table]) -> None:
    """Drop scratch tables on a cursor of their own (also after the job was cancelled)."""
    cur = session.snapshot.cursor()
    try:
        for t in tables:
            cur.execute(f"DROP TABLE IF EXISTS {t.sql('duckdb')}")
    finally:
        cur.close()
