"""Approval's preflight in DuckDB: every recipient checked, no recipient's row in Python.

The same lookups as the export's COPY path (queries.handoff.export.distinct): each template
piece renders once per distinct input, with how many recipients have it. A piece's text
sizes add up (UTF-8 bytes, UTF-16 units, characters, GSM septets and whether it is blank),
so each distinct input's sizes go into its lookup and DuckDB adds them per recipient: the
largest size per part, who is over the budget or empty (count and the first ids in id
order), and the distinct texts per part (count(DISTINCT …) over the joined text). Fallbacks
count each input's sites times its recipients; blank and control-character values are
counted in SQL.

Where it cannot show the Python preflight would report the same (a template rendered whole,
a render error, a nested-type variable, a coupon pool, an SMS whose segments need packing, a
text near the output limit), it raises `Unsure` and `policy_preflight` streams the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from queries.campaigns.channels import _EXT, is_gsm7, utf16_units
from queries.campaigns.columns import column_sql
from queries.campaigns.findings import Finding, PreflightReport
from queries.campaigns.formula import formula_findings, may_start_a_formula, spreadsheet_columns
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import MessageTemplate
from queries.campaigns.preflight import RENDER_BUDGET_S, _Checker
from queries.campaigns.preflight_values import CONTROL, LINE_PARTS
from queries.campaigns.presets import OutColumn
from queries.campaigns.render_batch import Budget
from queries.engines.jobs import Job
from queries.handoff.export.distinct import (
    CONTROL_RE,
    PLAIN_CODE,
    Build,
    Unsure,
    alias_m,
    col,
    drop_tables,
    join_lookup,
    materialise,
    render_distinct,
)
from queries.handoff.export.fast import redraw_coupons
from queries.query.address_book import addresses, lookup
from queries.query.session import Session

BATCH = 50_000  # policy_preflight's batch size: decides the order findings are first met
SHOW = 10
CONTROL_RES = (r"\r", r"\n", r"\x00", r"\t")  # preflight_values.CONTROL, for RE2, in order
STATS = ("c", "u", "b", "s", "e", "w")  # chars, UTF-16 units, bytes, septets, GSM ext, blank
STAT_TYPES = {"c": "BIGINT", "u": "BIGINT", "b": "BIGINT", "s": "BIGINT", "e": "BIGINT"}
STAT_TYPES["w"] = "BOOLEAN"


def usable(session: Session, c: Campaign, values_checked: bool) -> bool:
    """Whether the SQL preflight may try (it still raises Unsure where it must)."""
    return (
        session.engine.local
        and c.encoding == "utf-8"
        and not values_checked
        and not (c.coupon and c.coupon.pool_file)
        and not any(t.plan.whole for t in c.templates.values())
    )


def _stats(text: str) -> tuple[int, int, int, int | None, int, bool]:
    """A text's sizes: characters, UTF-16 units, UTF-8 bytes, GSM septets (None when not
    GSM-7), GSM extension characters, and whether it is empty or whitespace."""
    gsm = is_gsm7(text)
    ext = len(_EXT.findall(text)) if gsm else 0
    return (
        len(text),
        utf16_units(text),
        len(text.encode("utf-8")),
        len(text) + ext if gsm else None,
        ext,
        not text or text.isspace(),
    )


@dataclass
class _Text:
    """One variant's part as SQL: text slots and per-stat addends (constants and columns)."""

    slots: dict[int, exp.Expr] = field(default_factory=dict)
    const: list[Any] = field(default_factory=lambda: [0, 0, 0, 0, 0, True])
    cols: list[str] = field(default_factory=list)  # lookup aliases carrying stats
    fired: dict[int, int] = field(default_factory=dict)

    def add_const(self, st: tuple) -> None:
        k = self.const
        k[0], k[1], k[2], k[4] = k[0] + st[0], k[1] + st[1], k[2] + st[2], k[4] + st[4]
        k[3] = None if k[3] is None or st[3] is None else k[3] + st[3]
        k[5] = k[5] and st[5]

    def text(self, size: int) -> exp.Expr:
        parts = [self.slots[i] for i in range(size)]
        return exp.func("concat", *parts) if len(parts) > 1 else parts[0]

    def stat(self, i: int) -> exp.Expr:
        """The row's stat `STATS[i]`: the constant plus each lookup's column."""
        name = STATS[i]
        if name == "w":
            out: exp.Expr = exp.true() if self.const[5] else exp.false()
            for a in self.cols:
                out = exp.and_(out, exp.column("w", a, quoted=True))
            return out
        if self.const[i] is None:
            return exp.cast(exp.Null(), exp.DataType.build("BIGINT"))
        total: exp.Expr = exp.Literal.number(self.const[i])
        for a in self.cols:
            total = exp.Add(this=total, expression=exp.column(name, a, quoted=True))
        return total


def _part(
    b: Build,
    m: exp.Table,
    variant: str,
    tpl: MessageTemplate,
    consts: dict[str, Any],
    total: int,
) -> _Text:
    """Render one variant's part piece by piece into lookups; its text and stats as SQL."""
    c, plan, out = b.c, tpl.plan, _Text()
    for i, text in plan.static.items():
        out.slots[i] = exp.Literal.string(text)
        out.add_const(_stats(text))
    for piece in plan.pieces:
        if (
            piece.bare
            and piece.fields == ("coupon",)
            and c.coupon is not None
            and PLAIN_CODE.fullmatch(c.coupon.prefix)
        ):  # derived codes: letters and digits of one length, written as they are
            n = len(c.coupon.prefix) + c.coupon.length
            out.slots[piece.nodes[0]] = col("kz_coupon")
            out.add_const((n, n, n, n, 0, n == 0))
            continue
        d = render_distinct(b, m, variant, tpl, piece, consts, count=True, total=total)
        for sites, k in zip(d.fired, d.counts):
            for s in sites:
                out.fired[s] = out.fired.get(s, 0) + k
        joined = [t if type(t) is str else "".join(t) for t in d.texts]
        if not d.keyed:
            texts = d.texts[0] if len(piece.nodes) > 1 else (d.texts[0],)
            out.slots.update({i: exp.Literal.string(t) for i, t in zip(piece.nodes, texts)})
            out.add_const(_stats(joined[0]))
            continue
        per_node = list(zip(*d.texts)) if len(piece.nodes) > 1 else [d.texts]
        data = {f"k{j}": [k[j] for k in d.keys] for j in range(len(d.keyed))}
        data |= {f"t{i}": list(x) for i, x in zip(piece.nodes, per_node)}
        stats: list[Any] = list(zip(*map(_stats, joined))) if joined else [()] * len(STATS)
        data |= {name: list(xs) for name, xs in zip(STATS, stats)}
        alias = join_lookup(b, variant, d.keyed, data, STAT_TYPES)
        out.slots.update({i: exp.column(f"t{i}", alias, quoted=True) for i in piece.nodes})
        out.cols.append(alias)
    return out


def _size(unit: str, t: _Text) -> exp.Expr:
    """The row's size in the budget's unit (NULL where only Python can count SMS segments)."""
    chars, units, nbytes, septets, ext = (t.stat(i) for i in range(5))
    if unit == "bytes":
        return nbytes
    if unit == "characters":
        return units

    def lit(n: int) -> exp.Expr:
        return exp.Literal.number(n)

    def ceil_div(x: exp.Expr, d: int) -> exp.Expr:
        plus = exp.paren(exp.Add(this=x.copy(), expression=lit(d - 1)), copy=False)
        return exp.IntDiv(this=plus, expression=lit(d))

    null = exp.cast(exp.Null(), exp.DataType.build("BIGINT"))
    gsm = exp.Case(
        ifs=[
            exp.If(this=exp.LTE(this=septets.copy(), expression=lit(160)), true=lit(1)),
            exp.If(this=exp.EQ(this=ext, expression=lit(0)), true=ceil_div(septets, 153)),
        ],
        default=null.copy(),  # extension characters never split: packing (Python)
    )
    ucs = exp.Case(
        ifs=[
            exp.If(this=exp.LTE(this=units.copy(), expression=lit(70)), true=lit(1)),
            exp.If(
                this=exp.EQ(this=units.copy(), expression=chars.copy()),
                true=ceil_div(units, 67),
            ),
        ],
        default=null.copy(),  # astral characters never split: packing (Python)
    )
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=chars, expression=lit(0)), true=lit(0)),
            exp.If(this=exp.not_(exp.Is(this=septets.copy(), expression=exp.Null())), true=gsm),
        ],
        default=ucs,
    )


def _value(b: Build, name: str, consts: dict[str, Any]) -> exp.Expr | None:
    """A variable's value in M (None for a constant)."""
    if name in consts:
        return None
    if name == "coupon" or name in b.types:
        return b.value(name)
    raise Unsure("a variable the preflight does not select")


def _ids(xs: Any) -> list[str]:
    return [str(x) for x in (xs or [])][:SHOW]


def _first_ids(b: Build, m: exp.Table, where: exp.Expr) -> tuple[int, list[str]]:
    q = exp.select(
        exp.func("count", exp.Star()), exp.func("min", col("kz_cid"), exp.Literal.number(SHOW))
    ).from_(alias_m(m))
    ((n, ids),), _ = b.run(q.where(where))
    return int(n), _ids(ids)


def _blank_values(
    b: Build, m: exp.Table, ck: _Checker, order: list[str], counts: dict[str, int], consts: Any
) -> None:
    """ValueChecks' blank counts, per variant and variable, on the first part writing it."""
    for v in order:
        for part in ck.c.parts:
            tpl = ck.c.templates[(v, part)]
            _, bare = ck.values._plan(tpl)
            for name in sorted(bare):
                key = (v, name)
                if key in ck.values.blank:
                    continue
                val = _value(b, name, consts[v])
                if val is None:
                    x = consts[v][name]
                    blank: exp.Expr = exp.true() if x is None or x == "" else exp.false()
                else:
                    blank = exp.Is(this=val.copy(), expression=exp.Null())
                    if name == "coupon" or b.types[name] == "VARCHAR":
                        empty = exp.EQ(this=val.copy(), expression=exp.Literal.string(""))
                        blank = exp.or_(blank, empty)
                n, ids = _first_ids(b, m, exp.and_(b.arm_is(v), exp.paren(blank)))
                ck.values.blank[key] = [n, counts[v], ids, part]


def _rank(b: Build, m: exp.Table, cid: Any) -> int:
    """A recipient's position in customer_id order."""
    lt = exp.LT(this=col("kz_cid"), expression=exp.convert(cid))
    ((n,),), _ = b.run(exp.select(exp.func("count", exp.Star())).from_(alias_m(m)).where(lt))
    return int(n)


def _controls(
    b: Build, m: exp.Table, ck: _Checker, order: list[str], consts: dict[str, dict[str, Any]]
) -> None:
    """Control characters in values written into one-line parts, as findings in the order
    the Python preflight first meets them (batch, then variable name, then customer)."""
    for v in order:
        for part in ck.c.parts:
            if part not in LINE_PARTS:
                continue
            tpl = ck.c.templates[(v, part)]
            shown, _ = ck.values._plan(tpl)
            found = []
            for name in sorted(shown):
                val = _value(b, name, consts[v])
                if val is None:
                    x = consts[v][name]
                    if type(x) is str and any(ch in x for ch in CONTROL):
                        raise Unsure("a control character in a campaign constant")
                    continue
                if name != "coupon" and b.types[name] != "VARCHAR":
                    continue  # no text: nothing to find
                flags = [
                    exp.func("regexp_matches", val.copy(), exp.Literal.string(r))
                    for r in CONTROL_RES
                ]
                any_ = exp.func("regexp_matches", val.copy(), exp.Literal.string(CONTROL_RE))
                sel = (
                    exp.select(
                        *flags,
                        exp.func("count", exp.Star()),
                        exp.func("min", col("kz_cid"), exp.Literal.number(SHOW)),
                    )
                    .from_(alias_m(m))
                    .where(exp.and_(b.arm_is(v), exp.paren(any_)))
                    .group_by(*[exp.Literal.number(i + 1) for i in range(len(flags))])
                )
                rows, _ = b.run(sel)
                for *has, n, ids in rows:
                    chars = ", ".join(repr(ch) for ch, h in zip(CONTROL, has) if h)
                    found.append([0, name, ids[0], chars, int(n), _ids(ids)])
            if len(found) > 1:
                for f in found:
                    f[0] = _rank(b, m, f[2]) // BATCH
            for _, name, _, chars, n, ids in sorted(found, key=lambda f: f[:3]):
                detail = (
                    f"`{name}` holds a control character ({chars}): it must not reach a "
                    f"{part} (header injection at the sending system); clean the value"
                )
                fd = ck.finding("control_character", detail, v, part)
                fd.count, fd.customers = n, ids


def sql_preflight(
    session: Session, c: Campaign, q: Any, status: exp.Expr, job: Job, total: int
) -> PreflightReport:
    """The preflight report of `Rows`/`_Checker` over every recipient, computed in DuckDB;
    raises Unsure when the Python path must compute it."""
    st = status.copy()
    st.set("alias", exp.TableAlias(this=exp.to_identifier("kz_pf")))
    b = Build(session, c, q, job, "kz_pf_x", budget=Budget(RENDER_BUDGET_S, job))
    try:
        sheet = spreadsheet_columns(c, q.fields)  # for the formula scan
        copied = [oc for oc in sheet if not _looked_up(q, oc) and _in_m(q, oc) is None]
        m = materialise(b, copied, st)
        if c.coupon is not None and not redraw_coupons(session, c, m, job, "kz_cid"):
            raise Unsure("coupon codes that clash")
        report = PreflightReport(c.name, c.encoding)
        ck = _Checker(c, report, b.budget)
        send_date = c.send_date(session.snapshot.as_of)
        consts: dict[str, dict[str, Any]] = {
            v.name: {"variant": v.name, "send_date": send_date, "campaign_name": c.name}
            | ({} if c.coupon else {"coupon": None})
            for v in c.variants
        }
        arms = _arms(b, m)
        if sum(n for n, _ in arms.values()) != total:
            raise Unsure("the recipients differ from the funnel's")
        index = {v.name: i for i, v in enumerate(c.variants)}
        if set(arms) - set(index):
            raise Unsure("an arm that is not a variant")
        order = sorted(arms, key=lambda a: (arms[a][1] // BATCH, index[a]))
        counts = {a: arms[a][0] for a in order}
        _blank_values(b, m, ck, order, counts, consts)
        _controls(b, m, ck, order, consts)
        texts: dict[str, list[tuple[str, _Text]]] = {p: [] for p in c.parts}
        for v in order:
            for part in c.parts:
                tpl = c.templates[(v, part)]
                t = _part(b, m, v, tpl, consts[v], counts[v])
                texts[part].append((v, t))
                ck.fired[(v, part)] = t.fired
                report.fast[f"{v}.{part}"] = True
        distinct = _aggregate(b, m, ck, texts, counts) if order else {}
        ck.finish()
        report.distinct |= distinct
        report.warnings += _formulas(b, m, sheet)
        return report
    finally:
        drop_tables(session, b.tables)


def _looked_up(q: Any, oc: OutColumn) -> bool:
    """A file column read per row from the address book (not copied into M: `_formulas`
    looks it up only for the rows it fetches)."""
    return isinstance(column_sql(q, oc), exp.Subquery)


def _in_m(q: Any, oc: OutColumn) -> exp.Expr | None:
    """M's column already holding file column `oc` (the id or a template variable), if any."""
    value = column_sql(q, oc)
    if value == q.cid:
        return col("kz_cid")
    for f in q.fields:
        if value == q.comp.field_expr(q.catalog.fields[f]):
            return col(f"v_{f}")
    return None


def _arms(b: Build, m: exp.Table) -> dict[str, tuple[int, int]]:
    """Per arm: its recipients and how many recipients come before its first in id order."""
    star = exp.func("count", exp.Star())
    per_arm = (
        exp.select(col("kz_arm"), star.copy(), exp.func("min", col("kz_cid")))
        .from_(alias_m(m))
        .group_by(col("kz_arm"))
    )
    rows, _ = b.run(per_arm)
    if any(first is None for *_, first in rows):
        raise Unsure("a recipient without an id")
    if not rows:
        return {}
    before = [
        exp.Filter(
            this=star.copy(),
            expression=exp.Where(this=exp.LT(this=col("kz_cid"), expression=exp.convert(first))),
        )
        for _, _, first in rows
    ]
    ((*ns,),), _ = b.run(exp.select(*before).from_(alias_m(m)))
    return {a: (int(n), int(k)) for (a, n, _), k in zip(rows, ns)}


def _formulas(b: Build, m: exp.Table, cols: list[OutColumn]) -> list[Finding]:
    """`formula.scan` over M's copy of the file's snapshot columns (no second funnel); an
    address column is looked up for the rows whose address book entry may start a formula."""
    if not cols:
        return []
    values: list[exp.Expr] = []
    hits: list[exp.Expr] = []
    text, in_m = exp.DataType.build("VARCHAR"), 0
    for oc in cols:
        held = _in_m(b.q, oc)
        if held is not None:
            values.append(held)
            hits.append(may_start_a_formula(held))
        elif _looked_up(b.q, oc):
            values.append(lookup(b.session, oc.name, col("kz_cid")))
            ax = exp.column(oc.name, "kz_ax", quoted=True)
            ids = (
                exp.select(exp.column("customer_id", "kz_ax", quoted=True))
                .from_(addresses(b.session, "kz_ax"))
                .where(may_start_a_formula(ax))
            )
            hits.append(exp.cast(col("kz_cid"), text).isin(query=ids))
        else:
            values.append(col(f"c_{in_m}"))
            hits.append(may_start_a_formula(values[-1]))
            in_m += 1
    sel = exp.select(col("kz_cid"), *values).from_(alias_m(m)).where(exp.or_(*hits))
    rows, _ = b.run(sel.order_by(col("kz_cid")))
    return formula_findings(b.c, cols, [rows])


def _aggregate(
    b: Build,
    m: exp.Table,
    ck: _Checker,
    texts: dict[str, list[tuple[str, _Text]]],
    counts: dict[str, int],
) -> dict[str, int]:
    """One pass over the recipients and their lookups: per arm and part the largest size,
    who is over budget or empty, the longest text; then the distinct texts per part."""
    c = b.c
    limit = None
    for tpl in c.templates.values():
        limit = tpl.bound.env.output_stream_limit
    sel_exprs: list[exp.Expr] = [col("kz_arm"), exp.func("count", exp.Star())]
    distinct: list[exp.Expr] = []
    sized: dict[str, tuple[exp.Expr, exp.Expr]] = {}  # part → (size, text) per row
    show = exp.Literal.number(SHOW)
    for part in c.parts:
        bud = ck.budgets[part]
        size_ifs, blank_ifs, char_ifs, text_ifs = [], [], [], []
        for v, t in texts[part]:
            tpl = c.templates[(v, part)]
            cond = b.arm_is(v)
            size_ifs.append(exp.If(this=cond.copy(), true=_size(bud.unit, t)))
            blank_ifs.append(exp.If(this=cond.copy(), true=t.stat(5)))
            char_ifs.append(exp.If(this=cond.copy(), true=t.stat(0)))
            text_ifs.append(exp.If(this=cond.copy(), true=t.text(tpl.plan.size)))
        size, blank = exp.Case(ifs=size_ifs), exp.Case(ifs=blank_ifs)
        sized[part] = (size, exp.Case(ifs=text_ifs))
        over = exp.GT(this=size.copy(), expression=exp.Literal.number(bud.limit))

        def filtered(agg: exp.Expr, where: exp.Expr) -> exp.Expr:
            return exp.Filter(this=agg, expression=exp.Where(this=where))

        star = exp.func("count", exp.Star())
        sel_exprs += [
            exp.func("max", size.copy()),
            filtered(star.copy(), over.copy()),
            filtered(exp.func("min", col("kz_cid"), show.copy()), over.copy()),
            filtered(star.copy(), exp.Is(this=size.copy(), expression=exp.Null())),
            filtered(star.copy(), blank.copy()),
            filtered(exp.func("min", col("kz_cid"), show.copy()), blank.copy()),
            exp.func("max", exp.Case(ifs=char_ifs)),
        ]
        hashed = exp.func("hash", exp.Case(ifs=text_ifs))  # as the Python path's set of hashes
        distinct.append(exp.Count(this=exp.Distinct(expressions=[hashed])))
    sel = exp.select(*sel_exprs).from_(alias_m(m))
    for lk, on in b.joins:
        sel = sel.join(lk, on=on, join_type="left")
    rows, _ = b.run(sel.group_by(col("kz_arm")))
    got = {r[0]: r for r in rows}
    if {v: r[1] for v, r in got.items()} != counts:
        raise Unsure("the lookups changed the recipients")  # a key matched twice
    found: dict[tuple[str, str], list] = {}
    packing = set()
    for v, row in got.items():
        for j, part in enumerate(c.parts):
            top, n_over, over_ids, n_unsure, n_blank, blank_ids, chars = row[2 + 7 * j : 9 + 7 * j]
            if n_unsure:
                packing.add(part)
            if limit is not None and chars is not None and chars * 4 > limit:
                raise Unsure("a text near the output limit")
            found[(v, part)] = [top or 0, n_over, list(over_ids or []), n_blank, blank_ids]
    for part in c.parts:
        if part in packing:
            _pack(b, m, ck, part, *sized[part], found)
    for v, _ in texts[c.parts[0]]:
        for part in c.parts:
            top, n_over, over_ids, n_blank, blank_ids = found[(v, part)]
            bud = ck.budgets[part]
            if n_blank:
                f = ck.finding("empty", f"empty {part}", v, part)
                f.count, f.customers = int(n_blank), _ids(blank_ids)
            ck.largest[part] = max(ck.largest[part], int(top or 0))
            if n_over:
                detail = f"{part} over {bud.limit:,} {bud.unit}"
                f = ck.finding("over_budget", detail, v, part)
                f.count, f.customers = int(n_over), _ids(sorted(over_ids)[:SHOW])
    dsel = exp.select(*distinct).from_(alias_m(m))
    for lk, on in b.joins:
        dsel = dsel.join(lk, on=on, join_type="left")
    (drow,), _ = b.run(dsel)
    return {p: int(n) for p, n in zip(c.parts, drow)}


def _pack(
    b: Build,
    m: exp.Table,
    ck: _Checker,
    part: str,
    size: exp.Expr,
    text: exp.Expr,
    found: dict[tuple[str, str], list],
) -> None:
    """SMS texts whose segments depend on where a two-unit character falls: Python counts
    those (the channel's own `sizes`), fetched alone, and adds them to what SQL counted."""
    bud = ck.budgets[part]
    sel = exp.select(col("kz_arm"), col("kz_cid"), text).from_(alias_m(m))
    for lk, on in b.joins:
        sel = sel.join(lk, on=on, join_type="left")
    rows, _ = b.run(sel.where(exp.Is(this=size.copy(), expression=exp.Null())))
    if any(r[2] is None for r in rows):
        raise Unsure("a recipient whose input no lookup holds")
    rows.sort(key=lambda r: r[1])
    for (arm, cid, _), n in zip(rows, bud.sizes([r[2] for r in rows])):
        got = found[(arm, part)]
        got[0] = max(got[0], n)
        if n > bud.limit:
            got[1] += 1
            if len(got[2]) < 2 * SHOW:
                got[2].append(cid)
