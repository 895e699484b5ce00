"""The COPY fast path: a plain CSV/TSV or Parquet audience file written by DuckDB's own COPY.

Used when the file needs nothing Python does (no rendered messages, UTF-8 without a BOM, no
masking, formula guard or length limit, no coupon pool). The recipients' arms and coupons are
computed once into a small table; coupon codes that clash are re-drawn exactly as the
preflight's `CodeAllocator` re-draws them (else the caller falls back to the Python writer),
and COPY writes into the `.partial` file, never the final name.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.columns import column_sql
from queries.campaigns.coupons import candidate, coupon_sql
from queries.campaigns.model import Campaign
from queries.campaigns.presets import Preset
from queries.engines.jobs import Job
from queries.handoff.export.plan import AudiencePlan
from queries.query.condcache import MEM_DB
from queries.query.session import Session


def usable(session: Session, c: Campaign, preset: Preset, messages: bool, partial: Path) -> bool:
    """Whether DuckDB can write this file exactly as the Python writer would."""
    return (
        session.engine.local  # COPY runs beside the snapshot
        and not messages
        and preset.format in ("csv", "tsv", "parquet")
        and c.encoding == "utf-8"
        and not (preset.bom or preset.mask_pii or preset.formula_guard or preset.max_field_bytes)
        and not (c.coupon and c.coupon.pool_file)
        and partial.resolve().is_relative_to(session.ws.root.resolve())  # allowed_directories
    )


def _col(name: str, table: str = "r") -> exp.Column:
    return exp.column(name, table, quoted=True)


def recipients_table(session: Session, c: Campaign, status: exp.Expr, job: Job) -> exp.Table:
    """customer_id, arm and first-candidate coupon of every recipient, in a table."""
    table = exp.Table(
        this=exp.to_identifier(f"{status.alias_or_name}_r", quoted=True),
        db=exp.to_identifier(MEM_DB, quoted=True),
    )
    cid = exp.column("customer_id", quoted=True)
    cols: list[exp.Expr] = [cid.copy(), exp.column("kz_arm", quoted=True)]
    if c.coupon is not None:
        code = coupon_sql(cid.copy(), c.salt, c.coupon.prefix, c.coupon.length)
        cols.append(exp.alias_(code, "kz_coupon", quoted=True))
    sel = (
        exp.select(*cols)
        .from_(status.copy())
        .where(
            exp.and_(
                exp.Is(this=exp.column("kz_step", quoted=True), expression=exp.Null()),
                exp.NEQ(
                    this=exp.column("kz_arm", quoted=True), expression=exp.Literal.string(HOLDOUT)
                ),
            )
        )
    )
    job.run(
        session.snapshot.cursor,
        f"CREATE OR REPLACE TABLE {table.sql('duckdb')} AS {sel.sql('duckdb')}",
    )
    return table


def redraw_coupons(
    session: Session, c: Campaign, table: exp.Table, job: Job, id_column: str = "customer_id"
) -> bool:
    """Re-draw clashing coupon codes like CodeAllocator; False when that needs the Python path."""
    assert c.coupon is not None
    code, cid = exp.column("kz_coupon", quoted=True), exp.column(id_column, quoted=True)
    # every holder of a code held twice, but its first (in customer_id order): one pass
    clashing = (
        exp.select(code.copy())
        .from_(table.copy())
        .group_by(code.copy())
        .having(exp.GT(this=exp.func("count", exp.Star()), expression=exp.Literal.number(1)))
    )
    rank = exp.Window(
        this=exp.RowNumber(), partition_by=[code.copy()], order=exp.Order(expressions=[cid.copy()])
    )
    ranked = (
        exp.select(cid.copy(), exp.alias_(rank, "n"))
        .from_(table.copy())
        .where(exp.In(this=code.copy(), query=clashing.subquery()))
    )
    later = (
        exp.select(cid.copy())
        .from_(ranked.subquery("x"))
        .where(exp.GT(this=exp.column("n"), expression=exp.Literal.number(1)))
        .order_by(cid.copy())
    )
    ids = [r[0] for r in job.run(session.snapshot.cursor, later.sql("duckdb"))]
    if not ids:
        return True
    cp, new, taken = c.coupon, {}, set()
    for i in ids:  # in customer_id order, as CodeAllocator hands codes out
        attempt = 1
        value = cp.prefix + candidate(c.salt, i, cp.length, attempt)
        while value in taken:
            attempt += 1
            value = cp.prefix + candidate(c.salt, i, cp.length, attempt)
        taken.add(value)
        new[i] = value
    codes = [exp.Literal.string(v) for v in new.values()]
    hit = (
        exp.select(exp.func("count", exp.Star()))
        .from_(table.copy())
        .where(code.copy().isin(*codes))
    )
    if job.run(session.snapshot.cursor, hit.sql("duckdb"))[0][0]:
        return False  # a re-drawn code equals someone's first candidate: let Python decide
    values = exp.values(
        [(exp.convert(k), exp.Literal.string(v)) for k, v in new.items()], "v", ["id", "code"]
    )
    target = exp.column(id_column, table.name, quoted=True)
    update = exp.Update(
        this=table.copy(),
        expressions=[exp.EQ(this=exp.column("kz_coupon"), expression=exp.column("code", "v"))],
        from_=exp.From(this=values),
        where=exp.Where(this=exp.EQ(this=target, expression=exp.column("id", "v"))),
    )
    job.run(session.snapshot.cursor, update.sql("duckdb"))
    return True


def copy_options(preset: Preset) -> str:
    """COPY options that write the preset's file as the Python writer does."""
    if preset.format == "parquet":
        return "FORMAT parquet"  # typed columns straight from the query, as _types reads them
    nl = "\\r\\n" if preset.newline == "\r\n" else "\\n"
    delim = exp.Literal.string(preset.delimiter).sql("duckdb")
    return f"FORMAT csv, HEADER true, DELIMITER {delim}, QUOTE '\"', ESCAPE '\"', NEW_LINE '{nl}'"


def copy_audience(session: Session, c: Campaign, plan: AudiencePlan, path: Path, job: Job) -> bool:
    """Write the audience file with COPY; False (nothing written) when Python must do it."""
    q, cols, preset, status = plan.q, plan.cols, plan.preset, plan.status
    rec = recipients_table(session, c, status, job)
    try:
        if c.coupon is not None and not redraw_coupons(session, c, rec, job):
            return False
        exprs = []
        for col in cols:
            if col.kind == "variant":
                value: exp.Expr = _col("kz_arm")
            elif col.kind == "coupon":
                value = _col("kz_coupon")
            else:
                value = column_sql(q, col)
            exprs.append(exp.alias_(value, col.header, quoted=True))
        r = rec.copy()
        r.set("alias", exp.TableAlias(this=exp.to_identifier("r")))
        on = exp.EQ(this=_col("customer_id"), expression=q.cid.copy())
        sel = q.comp.base_from(exp.select(*exprs)).join(r, on=on).order_by(q.cid.copy())
        opts = copy_options(preset)
        target = exp.Literal.string(str(path)).sql("duckdb")
        job.run(session.snapshot.cursor, f"COPY ({sel.sql('duckdb')}) TO {target} ({opts})")
        os.chmod(path, 0o600)
        return True
    finally:
        job.run(session.snapshot.cursor, f"DROP TABLE IF EXISTS {rec.sql('duckdb')}")
