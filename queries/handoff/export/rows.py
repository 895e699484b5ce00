"""Rows of an export: the final recipients in customer_id order with a preset's columns.

Coupons are handed out and messages rendered exactly as the preflight does (same allocators,
same renderer and checks), for each recipient's own variant only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.audience import CampaignQuery
from queries.campaigns.columns import column_sql
from queries.campaigns.coupons import CodeAllocator, PoolAllocator, load_pool
from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.preflight import RENDER_BUDGET_S, _Checker
from queries.campaigns.presets import OutColumn, Preset
from queries.campaigns.render_batch import Budget
from queries.core.cells import neutralise
from queries.core.mask import mask_value
from queries.engines.jobs import Job
from queries.handoff.export.formats import fmt, too_long, unusable_id
from queries.handoff.refusals import PreflightFailed
from queries.query.address_book import ADDRESS_FIELDS
from queries.query.session import Session


def fast_select(q: CampaignQuery, cols: list[OutColumn]) -> exp.Select:
    """The whole audience file as one SELECT (no messages, derived coupons), for COPY."""
    exprs = [exp.alias_(column_sql(q, c), c.header, quoted=True) for c in cols]
    return q.comp.base_from(exp.select(*exprs)).where(q.recipients()).order_by(q.cid.copy())


def holdout_select(q: CampaignQuery) -> exp.Select:
    """The control group's ids in customer_id order."""
    held = exp.and_(
        q.member.copy(), exp.EQ(this=q.arm.copy(), expression=exp.Literal.string(HOLDOUT))
    )
    return (
        q.comp.base_from(exp.select(exp.alias_(q.cid.copy(), "customer_id", quoted=True)))
        .where(held)
        .order_by(q.cid.copy())
    )


def _templated(q: CampaignQuery, col: OutColumn) -> bool:
    """A field column whose value the templates already read (addresses excepted: the file
    carries the normalised address, the templates the snapshot's value)."""
    return col.kind == "field" and col.name in q.fields and col.name not in ADDRESS_FIELDS


class Rows:
    """Streams recipients as rows of the output columns, rendering messages on the way."""

    def __init__(self, session: Session, c: Campaign, q: CampaignQuery, cols: list[OutColumn]):
        self.session, self.c, self.q, self.cols = session, c, q, cols
        self.report = PreflightReport(c.name, c.encoding)
        self.checker = _Checker(c, self.report, Budget(RENDER_BUDGET_S))
        extra = [col for col in cols if col.kind in ("field", "consent") and not _templated(q, col)]
        self.extra = list(dict.fromkeys((col.kind, col.name) for col in extra))
        self.sql_cols = [
            exp.alias_(column_sql(q, OutColumn("", k, n)), f"kz_x{i}", quoted=True)
            for i, (k, n) in enumerate(self.extra)
        ]
        self.types: list[str] = []

    def _coupons(self) -> Any:
        cp = self.c.coupon
        if cp is None:
            return None
        if cp.pool_file:
            pool = load_pool(self.session.ws.root / cp.pool_file, cp.pool_file)
            return PoolAllocator(pool, cp.pool_file)
        return CodeAllocator(self.c.salt, cp.prefix, cp.length)

    def batches(
        self, job: Job, size: int, messages: bool, rows_needed: bool = True
    ) -> Iterator[tuple[tuple, list[tuple]]]:
        """(customer ids, rows) per batch, every row in the order of `cols` (no rows, only
        the checks, when `rows_needed` is False)."""
        q, c = self.q, self.c
        self.checker.budget.job = job
        extra_sql = self.sql_cols if rows_needed else []  # the file's other columns
        query = q.select(q.recipients(), extra_sql).order_by(q.cid.copy())
        coupons = self._coupons()
        send_date = c.send_date(self.session.snapshot.as_of)
        nf, done = len(q.fields), 0
        for rows in self.session.runner.stream(query, job, size):
            n = len(rows)
            ids, arms, first, *rest = zip(*rows)
            fields = dict(zip(q.fields, rest[:nf]))
            extra = dict(zip(self.extra, rest[nf:]))
            codes: Any = first
            if isinstance(coupons, PoolAllocator):
                codes = tuple(coupons.at(done + i) for i in range(n))
                for cid, code in zip(ids, codes):
                    if code is None:
                        detail = f"no code left in {coupons.name} ({len(coupons.pool):,} codes)"
                        self.checker.finding("coupon", detail, None, None).hit(cid)
            elif coupons is not None:
                codes = coupons.accept(list(ids), list(first))
            texts = self._render(ids, arms, fields, codes, send_date) if messages else {}
            done += n
            if not rows_needed:
                yield ids, []
                continue
            columns: list[Sequence[Any]] = []
            for col in self.cols:
                k = col.kind
                if k == "customer_id":
                    columns.append(ids)
                elif k == "variant":
                    columns.append(arms)
                elif k == "coupon":
                    columns.append(codes)
                elif k == "part":
                    columns.append(texts[col.name])
                elif k == "field" and _templated(q, col):
                    columns.append(fields[col.name])
                else:
                    columns.append(extra[(k, col.name)])
            yield ids, list(zip(*columns))

    def _render(
        self, ids: tuple, arms: tuple, fields: dict, codes: Any, send_date: Any
    ) -> dict[str, list[str | None]]:
        """Each recipient's message parts, in their own variant; problems become findings."""
        n = len(ids)
        c = self.c
        texts: dict[str, list[str | None]] = {p: [None] * n for p in c.parts}
        base = {**fields, "coupon": tuple(codes), "send_date": (send_date,) * n}
        base["campaign_name"] = (c.name,) * n
        for v in c.variants:
            idx = [i for i, a in enumerate(arms) if a == v.name]
            if not idx:
                continue
            pick = itemgetter(*idx) if len(idx) > 1 else (lambda col, i=idx[0]: (col[i],))
            v_ids = pick(ids)
            cols = {k: pick(col) for k, col in base.items()}
            cols["variant"] = (v.name,) * len(idx)
            for part in c.parts:
                tpl = c.templates[(v.name, part)]
                rendered = self.checker.render(tpl, v.name, v_ids, {k: cols[k] for k in tpl.fields})
                self.checker.check(v.name, part, v_ids, rendered)
                for i, t in zip(idx, rendered):
                    texts[part][i] = t
        return texts

    def checks_values(self, preset: Preset) -> bool:
        """Whether `check_values` has anything to look at (else no rows need building)."""
        lines, enc = preset.format == "lines", self.c.encoding
        return lines or enc != "utf-8" or bool(preset.max_field_bytes)

    def check_values(
        self, ids: tuple, rows: list[tuple], mask: list[str | None], preset: Preset
    ) -> None:
        """Record what the file's writer would refuse: unencodable text, a cell over the
        preset's byte limit, an id list line that is empty or holds a line break."""
        if preset.format == "lines":
            for cid, row in zip(ids, rows):
                text = fmt(row[0])
                if unusable_id(text):
                    why = "no id for the id list" if not text else "a line break in the id"
                    self.checker.finding("no_address", why, None, None).hit(cid)
        enc, limit = self.c.encoding, preset.max_field_bytes
        if enc == "utf-8" and not limit:
            return
        for cid, row in zip(ids, rows):
            for col, m, value in zip(self.cols, mask, row):
                text = fmt(mask_value(m, value) if m and value is not None else value)
                if not text:
                    continue
                if limit:
                    cell = neutralise(text) if preset.formula_guard else text
                    if too_long(cell, limit):
                        detail = f"column `{col.header}` over {preset.name}'s {limit}-byte limit"
                        self.checker.finding("field_too_long", detail, None, None).hit(cid)
                if enc == "utf-8" or col.kind == "part":
                    continue  # rendered messages: the preflight checker reports those
                try:
                    text.encode(enc)
                except UnicodeEncodeError as exc:
                    ch = exc.object[exc.start]
                    detail = f"{ch!r} (U+{ord(ch):04X}) in column `{col.header}`"
                    self.checker.finding("unencodable", detail, None, None).hit(cid)

    def finish(self) -> PreflightReport:
        """Raise PreflightFailed when rendering found anything that blocks the handoff."""
        self.checker.finish()
        r = self.report
        if r.findings:
            lines = []
            for f in r.findings:
                where = ".".join(x for x in (f.variant, f.part) if x)
                who = ", ".join(f.customers) + (" …" if f.count > len(f.customers) else "")
                lines.append(f"{f.kind} {where}: {f.detail} — {f.count:,} recipient(s): {who}")
            raise PreflightFailed(
                "the messages have problems; nothing was exported:\n  " + "\n  ".join(lines),
                {"findings": [{"kind": f.kind, "count": f.count} for f in r.findings]},
            )
        return r
