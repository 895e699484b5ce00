"""The COPY path for audience files that carry rendered messages: one render per distinct input.

A template splits into pieces (see queries.campaigns.render_batch). For every variant, part
and piece, the distinct values of the variables the piece reads, among that variant's
recipients, are fetched once, rendered by python-liquid through `render_piece` (the batch
renderer's own code) and loaded back as a small lookup table. DuckDB joins the lookups to the
recipients, joins each row's text in node order and writes the file with COPY: Python never
touches a row. A variable is matched by its text form (`CAST … AS VARCHAR`, exact for scalar
types, so 0.0 and -0.0 stay apart), NULL-safe.

It goes ahead only when it can show the Python writer would write the same file and find
nothing to refuse: otherwise (a template rendered whole, a render error, a blank or control
character finding, a text that may be empty, over its budget or near the output limit, a
variable of a nested type) it returns False, and the Python writer writes or refuses the
export exactly as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.campaigns.audience import CampaignQuery
from queries.campaigns.channels import budget, utf16_units
from queries.campaigns.columns import column_sql
from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import MessageTemplate
from queries.campaigns.preflight import RENDER_BUDGET_S, _Checker
from queries.campaigns.presets import OutColumn, Preset
from queries.campaigns.render_batch import Budget, Piece, render_piece
from queries.engines.jobs import Job
from queries.handoff.export.fast import copy_options, recipients_table, redraw_coupons
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


def usable(session: Session, c: Campaign, preset: Preset, partial: Path) -> bool:
    """Whether COPY can write this file (with messages) exactly as the Python writer would."""
    return (
        session.engine.local  # COPY runs beside the snapshot
        and preset.format in ("csv", "tsv")
        and c.encoding == "utf-8"
        and not (preset.bom or preset.mask_pii or preset.formula_guard or preset.max_field_bytes)
        and not (c.coupon and c.coupon.pool_file)
        and not any(t.plan.whole for t in c.templates.values())
        and partial.resolve().is_relative_to(session.ws.root.resolve())  # allowed_directories
    )


class Unsure(Exception):
    """This file needs the Python writer (it decides, and refuses where it must)."""


@dataclass
class _Size:
    """The most a slot (or a whole text) can hold, and whether it can be blank."""

    chars: int = 0
    units: int = 0
    bytes: int = 0
    blank: bool = True

    def add(self, other: _Size) -> None:
        self.chars += other.chars
        self.units += other.units
        self.bytes += other.bytes
        self.blank = self.blank and other.blank


def _size(texts: list[str]) -> _Size:
    """The largest of these texts in every unit, and whether one is empty or whitespace."""
    if not texts:
        return _Size()
    return _Size(
        max(map(len, texts)),
        max(map(utf16_units, texts)),
        max(len(t.encode("utf-8")) for t in texts),
        any(not t or t.isspace() for t in texts),
    )


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str = "m") -> exp.Column:
    return exp.column(name, table, quoted=True)


@dataclass
class _Build:
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

    def table(self, name: str) -> exp.Table:
        t = exp.Table(this=_id(f"{self.prefix}_{name}"), db=_id(MEM_DB))
        self.tables.append(t)
        return t

    def run(self, sql: exp.Expr | str, params: list[Any] | None = None) -> Any:
        text = sql if isinstance(sql, str) else sql.sql("duckdb")
        with self.job.claim(self.session.snapshot.cursor) as cur:
            cur.execute(text, params) if params is not None else cur.execute(text)
            return cur.fetchall(), cur.description

    # -- variables -------------------------------------------------------------------------
    def value(self, name: str) -> exp.Expr:
        """A template variable's value column in M."""
        return _col("kz_coupon") if name == "coupon" else _col(f"v_{name}")

    def key(self, name: str) -> exp.Expr:
        """The variable's join key: its text form (VARCHAR values as they are)."""
        v = self.value(name)
        if name == "coupon" or self.types[name] == "VARCHAR":
            return v
        return exp.cast(v, exp.DataType.build("VARCHAR"))

    def arm_is(self, variant: str, table: str = "m") -> exp.Expr:
        return exp.EQ(this=_col("kz_arm", table), expression=exp.Literal.string(variant))

    def representatives(self, variant: str, name: str, m: exp.Table) -> list[Any]:
        """Values of a field among a variant's recipients that decide the preflight's value
        checks: every distinct blank or control-character value, and one other."""
        got = self.reps.get((variant, name))
        if got is not None:
            return got
        v, mt = self.value(name), _alias_m(m)
        blank: exp.Expr = exp.Is(this=v.copy(), expression=exp.Null())
        if self.types[name] == "VARCHAR":
            ctrl = exp.func("regexp_matches", v.copy(), exp.Literal.string(CONTROL_RE))
            blank = exp.or_(blank, exp.EQ(this=v.copy(), expression=exp.Literal.string("")), ctrl)
        mine = self.arm_is(variant)
        odd = exp.select(v.copy()).distinct().from_(mt.copy()).where(exp.and_(mine, blank))
        other = (
            exp.select(v.copy())
            .from_(mt.copy())
            .where(exp.and_(mine.copy(), exp.not_(blank.copy())))
            .limit(1)
        )
        rows, _ = self.run(exp.union(odd, other.subquery(), distinct=False))
        got = self.reps[(variant, name)] = [r[0] for r in rows]
        return got


def _alias_m(m: exp.Table) -> exp.Table:
    t = m.copy()
    t.set("alias", exp.TableAlias(this=exp.to_identifier("m")))
    return t


def _materialise(b: _Build, cols: list[OutColumn], rec: exp.Table) -> exp.Table:
    """M: each recipient's file columns, arm, coupon and template variables, in one table."""
    q = b.q
    r = rec.copy()
    r.set("alias", exp.TableAlias(this=exp.to_identifier("r")))
    exprs: list[exp.Expr] = []
    for i, col in enumerate(cols):
        if col.kind == "part":
            continue
        if col.kind == "variant":
            value: exp.Expr = exp.column("kz_arm", "r", quoted=True)
        elif col.kind == "coupon":
            value = exp.column("kz_coupon", "r", quoted=True)
        else:
            value = column_sql(q, col)
        exprs.append(exp.alias_(value, f"c_{i}", quoted=True))
    for f in q.fields:
        exprs.append(exp.alias_(q.comp.field_expr(q.catalog.fields[f]), f"v_{f}", quoted=True))
    exprs.append(exp.alias_(exp.column("kz_arm", "r", quoted=True), "kz_arm", quoted=True))
    if b.c.coupon is not None:
        code = exp.column("kz_coupon", "r", quoted=True)
        exprs.append(exp.alias_(code, "kz_coupon", quoted=True))
    exprs.append(exp.alias_(q.cid.copy(), "kz_cid", quoted=True))
    on = exp.EQ(this=exp.column("customer_id", "r", quoted=True), expression=q.cid.copy())
    sel = q.comp.base_from(exp.select(*exprs)).join(r, on=on)
    m = b.table("m")
    b.run(f"CREATE OR REPLACE TABLE {m.sql('duckdb')} AS {sel.sql('duckdb')}")
    _, desc = b.run(exp.select(exp.Star()).from_(m.copy()).limit(0))
    for name, type_, *_ in desc:
        if name.startswith("v_"):
            b.types[name[2:]] = str(type_)
    if any(not SCALAR.fullmatch(t) for t in b.types.values()):
        raise Unsure("a template variable of a nested type")
    return m


def _load(b: _Build, table: exp.Table, columns: dict[str, list[Any]]) -> None:
    """Create a lookup table from Python lists (sent as LIST parameters, in chunks)."""
    names = list(columns)
    n = len(columns[names[0]])
    for start in range(0, max(n, 1), CHUNK):
        unnest = ", ".join(f'unnest(?::VARCHAR[]) AS "{k}"' for k in names)
        head = (
            f"CREATE TABLE {table.sql('duckdb')} AS"
            if start == 0
            else f"INSERT INTO {table.sql('duckdb')}"
        )
        b.run(f"{head} SELECT {unnest}", [columns[k][start : start + CHUNK] for k in names])


def _piece_slots(
    b: _Build,
    m: exp.Table,
    variant: str,
    tpl: MessageTemplate,
    idx: int,
    piece: Piece,
    consts: dict[str, Any],
) -> tuple[dict[int, exp.Expr], _Size]:
    """SQL for each node of a piece (a lookup column, the coupon, or a constant text)."""
    c = b.c
    if not set(piece.fields) <= set(b.types) | set(consts) | {"coupon"}:
        raise Unsure("a piece reads a variable the export does not select")
    if (
        piece.bare
        and piece.fields == ("coupon",)
        and c.coupon is not None
        and PLAIN_CODE.fullmatch(c.coupon.prefix)
    ):  # derived codes: letters and digits, written as they are
        n = len(c.coupon.prefix) + c.coupon.length
        return {piece.nodes[0]: _col("kz_coupon")}, _Size(n, n, n, n == 0)
    keyed = [f for f in piece.fields if f not in consts]
    if not keyed:  # reads only constants: one render
        once: dict[str, Sequence[Any]] = {f: [consts[f]] for f in piece.fields}
        texts = render_piece(tpl, piece, once, 1, b.budget)
        if texts is None:
            raise Unsure("render error")
        out = texts[0] if len(piece.nodes) > 1 else (texts[0],)
        size = _size(["".join(out)])
        return {i: exp.Literal.string(t) for i, t in zip(piece.nodes, out)}, size
    keys = [exp.alias_(b.key(f), f"k{j}", quoted=True) for j, f in enumerate(keyed)]
    raw = [
        exp.alias_(b.value(f), f"x{j}", quoted=True)
        for j, f in enumerate(keyed)
        if f != "coupon" and b.types[f] != "VARCHAR"
    ]
    sel = exp.select(*keys, *raw).distinct().from_(_alias_m(m)).where(b.arm_is(variant))
    rows, _ = b.run(sel)
    n = len(rows)
    by_key = list(zip(*rows)) if rows else [()] * (len(keys) + len(raw))
    cols: dict[str, Sequence[Any]] = {}
    x = len(keys)
    for j, f in enumerate(keyed):
        if f != "coupon" and b.types[f] != "VARCHAR":
            cols[f] = by_key[x]
            x += 1
        else:
            cols[f] = by_key[j]
    for f in piece.fields:
        if f in consts:
            cols[f] = (consts[f],) * n
    texts = render_piece(tpl, piece, cols, n, b.budget)
    if texts is None:
        raise Unsure("render error")
    per_node = list(zip(*texts)) if len(piece.nodes) > 1 else [texts]
    size = _size(list(map("".join, zip(*per_node))) if per_node else [])
    lookup = b.table(f"l{len(b.tables)}")
    data = {f"k{j}": list(by_key[j]) for j in range(len(keyed))}
    data |= {f"t{i}": list(col) for i, col in zip(piece.nodes, per_node)}
    _load(b, lookup, data)
    alias = f"l{len(b.joins)}"
    lk = lookup.copy()
    lk.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    on: exp.Expr = b.arm_is(variant)
    for j, f in enumerate(keyed):
        same = exp.NullSafeEQ(this=exp.column(f"k{j}", alias, quoted=True), expression=b.key(f))
        on = exp.and_(on, same)
    b.joins.append((lk, on))
    return {i: exp.column(f"t{i}", alias, quoted=True) for i in piece.nodes}, size


def _text(
    b: _Build, m: exp.Table, variant: str, tpl: MessageTemplate, consts: dict[str, Any]
) -> exp.Expr:
    """One variant's part as SQL: its nodes' texts joined in order, after the checks."""
    plan = tpl.plan
    slots: dict[int, exp.Expr] = {}
    total = _Size()
    for i, text in plan.static.items():
        slots[i] = exp.Literal.string(text)
        total.add(_size([text]))
    for idx, piece in enumerate(plan.pieces):
        got, size = _piece_slots(b, m, variant, tpl, idx, piece, consts)
        slots.update(got)
        total.add(size)
    limit = tpl.bound.env.output_stream_limit
    if limit is not None and total.chars * 4 > limit:
        raise Unsure("a text near the output limit")  # render_batch renders those whole
    if total.blank:
        raise Unsure("a text that may be empty")
    bud = budget(b.c.how.channel, tpl.part, b.c.how.max_segments or 1)
    most = {"bytes": total.bytes, "characters": total.units}.get(bud.unit)
    if most is None:  # SMS segments: at most ceil(units / 66) (see channels.sms_count)
        most = 1 if total.units <= 70 else -(-total.units // 66)
    if most > bud.limit:
        raise Unsure("a text that may be over its budget")
    parts = [slots[i] for i in range(plan.size)]
    return exp.func("concat", *parts) if len(parts) > 1 else parts[0]


def _value_checks(b: _Build, m: exp.Table, consts: dict[str, dict[str, Any]]) -> None:
    """The preflight's value checks (blank for everyone, control characters) on the values
    that decide them; any blocking finding sends the export to the Python writer."""
    c = b.c
    checker = _Checker(c, PreflightReport(c.name, c.encoding))
    for v in c.variants:
        for part in c.parts:
            tpl = c.templates[(v.name, part)]
            cols: dict[str, list[Any]] = {}
            for f in tpl.fields:
                if f in consts[v.name]:
                    cols[f] = [consts[v.name][f]]
                elif f == "coupon":
                    cols[f] = ["X"]  # derived codes are never blank
                elif f in b.types:
                    cols[f] = b.representatives(v.name, f, m)
                else:
                    raise Unsure("a variable the export does not select")
            n = max(map(len, cols.values()), default=0)
            if not n:
                continue
            padded: dict[str, Sequence[Any]] = {
                f: vals + vals[:1] * (n - len(vals)) for f, vals in cols.items() if vals
            }
            if len(padded) != len(cols):
                continue  # a field with no value at all: no recipients in this variant
            checker.values.batch(checker, v.name, tpl, list(range(n)), padded)
    checker.values.finish(checker)
    if checker.findings:
        raise Unsure("the preflight finds something")


def copy_with_messages(
    session: Session,
    c: Campaign,
    q: CampaignQuery,
    cols: list[OutColumn],
    preset: Preset,
    status: exp.Expr,
    path: Path,
    job: Job,
    total: int,
) -> bool:
    """Write the audience file with its messages by COPY; False (nothing written) when the
    Python writer must do it."""
    rec = recipients_table(session, c, status, job)
    b = _Build(session, c, q, job, f"{status.name}_x", budget=Budget(RENDER_BUDGET_S, job))
    try:
        if c.coupon is not None and not redraw_coupons(session, c, rec, job):
            return False
        m = _materialise(b, cols, rec)
        send_date = c.send_date(session.snapshot.as_of)
        consts: dict[str, dict[str, Any]] = {
            v.name: {"variant": v.name, "send_date": send_date, "campaign_name": c.name}
            | ({} if c.coupon else {"coupon": None})  # no coupon: NULL for everyone
            for v in c.variants
        }
        arm = _col("kz_arm")
        per_arm = exp.select(arm, exp.func("count", exp.Star())).from_(_alias_m(m)).group_by(arm)
        counts = dict(b.run(per_arm)[0])
        _value_checks(b, m, consts)
        texts: dict[str, list[tuple[str, exp.Expr]]] = {p: [] for p in c.parts}
        for v in c.variants:
            if not counts.get(v.name):
                continue
            for part in c.parts:
                tpl = c.templates[(v.name, part)]
                texts[part].append((v.name, _text(b, m, v.name, tpl, consts[v.name])))
        exprs = []
        for i, col in enumerate(cols):
            if col.kind == "part" and not texts[col.name]:  # nobody to send to
                value: exp.Expr = exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
            elif col.kind == "part":
                ifs = [exp.If(this=b.arm_is(name), true=sql) for name, sql in texts[col.name]]
                value = exp.Case(ifs=ifs)
            else:
                value = _col(f"c_{i}")
            exprs.append(exp.alias_(value, col.header, quoted=True))
        sel = exp.select(*exprs).from_(_alias_m(m))
        for lk, on in b.joins:
            sel = sel.join(lk, on=on, join_type="left")
        sel = sel.order_by(_col("kz_cid"))
        target = exp.Literal.string(str(path)).sql("duckdb")
        rows, _ = b.run(f"COPY ({sel.sql('duckdb')}) TO {target} ({copy_options(preset)})")
        if rows and rows[0] and rows[0][0] != total:
            path.unlink(missing_ok=True)
            return False
        os.chmod(path, 0o600)
        return True
    except Unsure:
        path.unlink(missing_ok=True)
        return False
    finally:
        for t in [rec, *b.tables]:
            job.run(session.snapshot.cursor, f"DROP TABLE IF EXISTS {t.sql('duckdb')}")
