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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.campaigns.channels import budget, utf16_units
from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import MessageTemplate
from queries.campaigns.preflight import RENDER_BUDGET_S, _Checker
from queries.campaigns.presets import Preset
from queries.campaigns.render_batch import Budget, Piece
from queries.engines.jobs import Job
from queries.handoff.export.distinct import (
    PLAIN_CODE,
    Build,
    Unsure,
    alias_m,
    distinct_select,
    file_value,
    join_lookup,
    materialise,
    render_distinct,
)
from queries.handoff.export.distinct import col as _col
from queries.handoff.export.fast import copy_options, redraw_coupons
from queries.handoff.export.plan import AudiencePlan
from queries.query.session import Session


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


def _piece_slots(
    b: Build,
    m: exp.Table,
    variant: str,
    tpl: MessageTemplate,
    idx: int,
    piece: Piece,
    consts: dict[str, Any],
) -> tuple[dict[int, exp.Expr], _Size]:
    """SQL for each node of a piece (a lookup column, the coupon, or a constant text)."""
    c = b.c
    if (
        piece.bare
        and piece.fields == ("coupon",)
        and c.coupon is not None
        and PLAIN_CODE.fullmatch(c.coupon.prefix)
    ):  # derived codes: letters and digits, written as they are
        n = len(c.coupon.prefix) + c.coupon.length
        return {piece.nodes[0]: _col("kz_coupon")}, _Size(n, n, n, n == 0)
    d = render_distinct(b, m, variant, tpl, piece, consts)
    if not d.keyed:  # reads only constants: one render
        out = d.texts[0] if len(piece.nodes) > 1 else (d.texts[0],)
        size = _size(["".join(out)])
        return {i: exp.Literal.string(t) for i, t in zip(piece.nodes, out)}, size
    per_node = list(zip(*d.texts)) if len(piece.nodes) > 1 else [d.texts]
    size = _size(list(map("".join, zip(*per_node))) if per_node else [])
    data = {f"k{j}": [k[j] for k in d.keys] for j in range(len(d.keyed))}
    data |= {f"t{i}": list(col) for i, col in zip(piece.nodes, per_node)}
    alias = join_lookup(b, variant, d.keyed, data)
    return {i: exp.column(f"t{i}", alias, quoted=True) for i in piece.nodes}, size


def _text(
    b: Build, m: exp.Table, variant: str, tpl: MessageTemplate, consts: dict[str, Any]
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


def _value_checks(b: Build, m: exp.Table, consts: dict[str, dict[str, Any]]) -> None:
    """The preflight's value checks (blank for everyone, control characters) on the values
    that decide them; any blocking finding sends the export to the Python writer."""
    c = b.c
    checker = _Checker(c, PreflightReport(c.name, c.encoding))
    read = sorted({f for tpl in c.templates.values() for f in tpl.fields} & set(b.types))
    b.prefetch_representatives(m, [v.name for v in c.variants], read)
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


def _reads(b: Build, m: exp.Table, consts: dict[str, dict[str, Any]]) -> list[exp.Expr]:
    """What the value checks and the pieces will read from M, in the order they read it."""
    c = b.c
    read = sorted({f for tpl in c.templates.values() for f in tpl.fields} & set(b.types))
    out: list[exp.Expr] = [b.representatives_select(m, [v.name for v in c.variants], read)]
    for v in c.variants:
        for part in c.parts:
            for piece in c.templates[(v.name, part)].plan.pieces:
                keyed = set(piece.fields) - set(consts[v.name])
                if keyed and keyed <= set(b.types):
                    out.append(distinct_select(b, m, v.name, piece, consts[v.name], False))
    return out


def copy_with_messages(
    session: Session, c: Campaign, plan: AudiencePlan, path: Path, job: Job
) -> bool:
    """Write the audience file with its messages by COPY; False (nothing written) when the
    Python writer must do it."""
    q, cols, preset, status, total = plan.q, plan.cols, plan.preset, plan.status, plan.total
    b = Build(session, c, q, job, f"{status.alias_or_name}_x", budget=Budget(RENDER_BUDGET_S, job))
    try:
        m = materialise(b, cols, status)
        if c.coupon is not None and not redraw_coupons(session, c, m, job, "kz_cid"):
            return False
        send_date = c.send_date(session.snapshot.as_of)
        consts: dict[str, dict[str, Any]] = {
            v.name: {"variant": v.name, "send_date": send_date, "campaign_name": c.name}
            | ({} if c.coupon else {"coupon": None})  # no coupon: NULL for everyone
            for v in c.variants
        }
        arm = _col("kz_arm")
        per_arm = exp.select(arm, exp.func("count", exp.Star())).from_(alias_m(m)).group_by(arm)
        b.prefetch([per_arm, *_reads(b, m, consts)])  # M is settled: read ahead of the renders
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
                value = file_value(col, i)
            exprs.append(exp.alias_(value, col.header, quoted=True))
        sel = exp.select(*exprs).from_(alias_m(m))
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
        for t in b.tables:
            job.run(session.snapshot.cursor, f"DROP TABLE IF EXISTS {t.sql('duckdb')}")
