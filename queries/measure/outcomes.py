"""The outcome queries of measure and backtest, as sqlglot trees that run on every engine.

Per person: orders, revenue and coupon redemptions in the outcome window, and the same over
the pre-period; per arm: the sums of those. The people (export members, or a segment's
members) are a relation the caller provides; orders come from the catalog's `orders` events.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.core.private_fs import make_private, private_dir
from queries.engines.errors import EngineError
from queries.engines.jobs import Job
from queries.measure.exported import MeasureError, Member
from queries.query.session import Session
from queries.segments.compile import lit

MEMBERS_TABLE = "kizuna_measure_members"
MEMBER_COLUMNS = [("customer_id", "VARCHAR"), ("arm", "VARCHAR"), ("coupon", "VARCHAR")]


@dataclass(frozen=True)
class Windows:
    """The outcome window [start, end] (end cut at the snapshot's as-of) and the pre-period."""

    start: date
    end: date
    pre_start: date
    pre_end: date


@contextmanager
def members_relation(session: Session, members: list[Member]) -> Iterator[exp.Expr]:
    """The export's people as a relation `m` on the session's engine (a Parquet file in the
    workspace, read in place by DuckDB and loaded as a table elsewhere); removed afterwards."""
    import duckdb

    folder = private_dir(session.ws.cache_dir, anchor=session.ws.root)  # ids: private
    path = folder / f"measure-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
    con = duckdb.connect(":memory:")
    try:
        con.execute("CREATE TABLE m(customer_id VARCHAR, arm VARCHAR, coupon VARCHAR)")
        con.executemany(
            "INSERT INTO m VALUES (?, ?, ?)", [(x.customer_id, x.arm, x.coupon) for x in members]
        )
        target = exp.Literal.string(str(path)).sql("duckdb")
        con.execute(f"COPY m TO {target} (FORMAT parquet)")
        make_private(path)
    finally:
        con.close()
    try:
        engine = session.engine
        if engine.dialect == "duckdb":
            files = exp.Array(expressions=[exp.Literal.string(str(path))])
            this: exp.Expr = exp.Anonymous(this="read_parquet", expressions=[files])
        else:
            engine.register_parquet(MEMBERS_TABLE, [str(path)], MEMBER_COLUMNS)
            this = exp.to_identifier(MEMBERS_TABLE)
        yield exp.Table(this=this, alias=exp.TableAlias(this=exp.to_identifier("m")))
    finally:
        Path(path).unlink(missing_ok=True)


def orders_relation(session: Session, low: date, high: date) -> exp.Expr:
    """Orders on days low..high: customer id as text, day, total and coupon code."""
    src = session.catalog.events.get("orders")
    if src is None or src.unavailable:
        why = f" ({src.unavailable})" if src is not None else ""
        raise MeasureError(f"the snapshot has no orders{why}; nothing to measure")

    def col(name: str, typ: str) -> exp.Expr:  # an absent column reads as NULL
        if src.fields[name].unavailable:
            return exp.cast(exp.Null(), exp.DataType.build(typ))
        return src.col(name)

    day = exp.cast(src.col(src.time_field), exp.DataType.build("DATE"))
    cols = [
        exp.alias_(exp.cast(src.col("customer_id"), exp.DataType.build("VARCHAR")), "cid"),
        exp.alias_(day.copy(), "day"),
        exp.alias_(col("total", "DOUBLE"), "total"),
        exp.alias_(col("coupon_code", "VARCHAR"), "coupon_code"),
    ]
    used = {n for n in ("total", "coupon_code") if not src.fields[n].unavailable}
    sel = src.from_(exp.select(*cols), used).where(
        exp.Between(this=day, low=lit(low), high=lit(high))
    )
    return exp.paren(sel, copy=False).as_("o")


def _between(lo: date, hi: date) -> exp.Expr:
    return exp.Between(this=exp.column("day", "o"), low=lit(lo), high=lit(hi))


def _sum_if(cond: exp.Expr, value: exp.Expr | None = None) -> exp.Expr:
    then = value if value is not None else exp.Literal.number(1)
    case = exp.Case().when(cond, then).else_(exp.Literal.number(0))
    return exp.func("COALESCE", exp.Sum(this=case), exp.Literal.number(0))


def person_query(
    session: Session, people: exp.Expr, w: Windows, coupons: bool = True
) -> exp.Select:
    """One row per person of `people` (columns customer_id, arm[, coupon] as `m`)."""
    o_total = exp.column("total", "o")
    in_win = _between(w.start, w.end)
    pre = _between(w.pre_start, w.pre_end)
    redeemed: exp.Expr = exp.Literal.number(0)
    if coupons:
        redeemed = _sum_if(
            exp.and_(
                in_win.copy(),
                exp.EQ(this=exp.column("coupon_code", "o"), expression=exp.column("coupon", "m")),
            )
        )
    cid, arm = exp.column("customer_id", "m"), exp.column("arm", "m")
    low, high = min(w.pre_start, w.start), max(w.end, w.pre_end)
    return (
        exp.select(
            exp.alias_(cid.copy(), "customer_id"),
            exp.alias_(arm.copy(), "arm"),
            exp.alias_(_sum_if(in_win), "orders"),
            exp.alias_(_sum_if(in_win.copy(), o_total.copy()), "revenue"),
            exp.alias_(redeemed, "redemptions"),
            exp.alias_(_sum_if(pre), "pre_orders"),
            exp.alias_(_sum_if(pre.copy(), o_total.copy()), "pre_revenue"),
        )
        .from_(people)
        .join(
            orders_relation(session, low, high),
            on=exp.EQ(this=exp.column("cid", "o"), expression=cid.copy()),
            join_type="left",
        )
        .group_by(cid.copy(), arm.copy())
    )


def arm_query(person: exp.Select) -> exp.Select:
    """Per arm: people, converters, orders, revenue, redemptions, pre-period converters."""
    p = lambda name: exp.column(name, "p")  # noqa: E731

    def positive(name: str) -> exp.Expr:
        return exp.Sum(
            this=exp.Case()
            .when(exp.GT(this=p(name), expression=exp.Literal.number(0)), exp.Literal.number(1))
            .else_(exp.Literal.number(0))
        )

    return (
        exp.select(
            exp.alias_(p("arm"), "arm"),
            exp.alias_(exp.func("count", exp.Star()), "people"),
            exp.alias_(positive("orders"), "converters"),
            exp.alias_(exp.Sum(this=p("orders")), "orders"),
            exp.alias_(exp.Sum(this=p("revenue")), "revenue"),
            exp.alias_(exp.Sum(this=p("redemptions")), "redemptions"),
            exp.alias_(positive("pre_orders"), "pre_converters"),
            exp.alias_(exp.Sum(this=p("pre_revenue")), "pre_revenue"),
        )
        .from_(exp.paren(person, copy=False).as_("p"))
        .group_by(p("arm"))
        .order_by(p("arm"))
    )


def number(v: Any) -> int | float:
    """An engine's SUM (int, Decimal or float) as an int when whole, else a float."""
    if v is None:
        return 0
    f = float(v)
    return int(f) if f.is_integer() else f


def run_arms(session: Session, person: exp.Select, job: Job | None) -> list[tuple]:
    """The per-arm rows (small) of a person query."""
    rows = session.runner.fetch(arm_query(person), job)
    return [tuple([str(r[0]), *(number(v) for v in r[1:])]) for r in rows]


def run_people(session: Session, person: exp.Select, job: Job | None) -> list[tuple]:
    """Every person's row, streamed (the statistics need them one by one)."""
    query = person.order_by(exp.column("customer_id", "m"))
    try:
        return [
            (str(r[0]), str(r[1]), *(number(v) for v in r[2:]))
            for batch in session.runner.stream(query, job)
            for r in batch
        ]
    except EngineError:
        return [
            (str(r[0]), str(r[1]), *(number(v) for v in r[2:]))
            for r in session.runner.fetch(query, job)
        ]
