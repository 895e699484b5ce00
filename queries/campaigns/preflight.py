"""Preflight: render every recipient's message and report what would go wrong, naming customers.

Rows stream from DuckDB in customer_id order. A template made only of text and
`{{ field | filters }}` renders column by column (each filter once per distinct value, with the
same python-liquid filter functions and stringification); any other template renders per
recipient with python-liquid. Both paths give identical text (tested).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.channels import budget, unencodable
from queries.campaigns.coupons import CodeAllocator, PoolAllocator, load_pool
from queries.campaigns.findings import FallbackUse, Finding, PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import MessageTemplate, describe_error
from queries.campaigns.preflight_values import ValueChecks
from queries.campaigns.render_batch import Budget, error_kind, render_batch
from queries.engines.jobs import Job
from queries.query.session import Session

Progress = Callable[[int, int], None]
RENDER_BUDGET_S = 900.0  # a campaign's whole preflight renders within this (cancellable too)


class _Checker:
    """Accumulates findings, fallback counts, sizes and distinct texts across batches."""

    def __init__(self, c: Campaign, report: PreflightReport, limit: Budget | None = None):
        self.c, self.report = c, report
        self.budget = limit or Budget()
        self.values = ValueChecks()
        self.findings: dict[tuple, Finding] = {}
        self.fired: dict[tuple[str, str], dict[int, int]] = {}
        self.hashes: dict[str, set[int]] = {p: set() for p in c.parts}
        self.budgets = {p: budget(c.how.channel, p, c.how.max_segments or 1) for p in c.parts}
        self.largest: dict[str, int] = {p: 0 for p in c.parts}

    def finding(self, kind: str, detail: str, variant: str | None, part: str | None) -> Finding:
        key = (kind, detail, variant, part)
        f = self.findings.get(key)
        if f is None:
            f = self.findings[key] = Finding(kind, detail, variant, part)
        return f

    def render(
        self, tpl: MessageTemplate, variant: str, ids: Sequence, cols: dict[str, Sequence]
    ) -> Sequence:
        """Texts for these recipients (None where rendering failed, reported per customer)."""
        fired = self.fired.setdefault((variant, tpl.part), {})
        self.values.batch(self, variant, tpl, ids, cols)
        batch = render_batch(tpl, cols, len(ids), self.budget)
        for s, k in batch.fired.items():
            fired[s] = fired.get(s, 0) + k
        for i, err in sorted(batch.errors.items()):
            self.finding(error_kind(err), describe_error(tpl, err), variant, tpl.part).hit(ids[i])
        self.report.fast[f"{variant}.{tpl.part}"] = not tpl.plan.whole
        return batch.texts

    def check(self, variant: str, part: str, ids: Sequence, texts: Sequence) -> None:
        """Empty, over-budget and unencodable messages; sizes and distinct texts (batched)."""
        if None in texts:
            kept = [(i, t) for i, t in zip(ids, texts) if t is not None]
            ids, texts = [i for i, _ in kept], [t for _, t in kept]
        if not texts:
            return
        b = self.budgets[part]
        self.hashes[part].update(map(hash, texts))
        if "" in texts or any(map(str.isspace, texts)):
            for cid, t in zip(ids, texts):
                if not t or t.isspace():
                    self.finding("empty", f"empty {part}", variant, part).hit(cid)
        sizes = b.sizes(texts)
        top = max(sizes)
        self.largest[part] = max(self.largest[part], top)
        if top > b.limit:
            detail = f"{part} over {b.limit:,} {b.unit}"
            for cid, n in zip(ids, sizes):
                if n > b.limit:
                    self.finding("over_budget", detail, variant, part).hit(cid)
        enc = self.report.encoding
        if enc != "utf-8":
            try:
                "".join(texts).encode(enc)
            except UnicodeEncodeError:
                for cid, t in zip(ids, texts):
                    for ch in unencodable(t, enc):
                        detail = f"{ch!r} (U+{ord(ch):04X})"
                        self.finding("unencodable", detail, variant, part).hit(cid)

    def finish(self) -> None:
        r = self.report
        r.warnings += self.values.finish(self)
        r.findings = sorted(
            self.findings.values(), key=lambda f: (f.kind, f.variant or "", f.part or "")
        )
        for (variant, part), counts in self.fired.items():
            tpl = self.c.templates[(variant, part)]
            for site, fb in tpl.sites.items():
                r.fallbacks.append(
                    FallbackUse(variant, part, fb.label, fb.line, fb.column, counts.get(site, 0))
                )
        r.distinct = {p: len(h) for p, h in self.hashes.items()}
        r.largest = {
            p: (n, self.budgets[p].unit, self.budgets[p].limit) for p, n in self.largest.items()
        }


def _picker(idx: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Select these positions from a column (a tuple, at C speed)."""
    if len(idx) == 1:
        return lambda col: (col[idx[0]],)
    return itemgetter(*idx)


def preflight(
    session: Session,
    c: Campaign,
    job: Job | None = None,
    progress: Progress | None = None,
    batch_size: int = 50_000,
    encoding: str | None = None,
) -> PreflightReport:
    """Render the message for every recipient and report problems (cancellable via `job`).

    `encoding` checks another export encoding than the campaign's (utf-8 or cp932).
    """
    start = time.perf_counter()
    job = job or Job()
    from queries.campaigns.funnel import policy_query

    q = policy_query(session, c)  # the policy funnel's final audience, as the export sends
    arms = q.arm_counts(job)
    enc = encoding or c.encoding
    report = PreflightReport(c.name, enc, holdout=arms.pop(HOLDOUT, 0), by_variant=arms)
    report.recipients = total = sum(arms.values())
    checker = _Checker(c, report, Budget(RENDER_BUDGET_S, job))
    if c.coupon and c.coupon.pool_file:
        pool = load_pool(session.ws.root / c.coupon.pool_file, c.coupon.pool_file)
        coupons: Any = PoolAllocator(pool, c.coupon.pool_file)
        short = f"no code left: {c.coupon.pool_file} has {len(pool):,} for {total:,} recipients"
    elif c.coupon:
        coupons = CodeAllocator(c.salt, c.coupon.prefix, c.coupon.length)
    else:
        coupons = None
    send_date = c.send_date(session.snapshot.as_of)
    query = q.select(q.recipients()).order_by(q.cid.copy())
    done = 0
    if progress:
        progress(0, total)
    for rows in session.runner.stream(query, job, batch_size):
        n = len(rows)
        ids, arm_col, coupon_col, *field_cols = zip(*rows)
        if isinstance(coupons, PoolAllocator):
            coupon_col = tuple(coupons.at(done + i) for i in range(n))
            if coupon_col[-1] is None:
                for cid, code in zip(ids, coupon_col):
                    if code is None:
                        checker.finding("coupon", short, None, None).hit(cid)
        elif coupons is not None:
            coupon_col = coupons.accept(ids, coupon_col)
        base: dict[str, Sequence[Any]] = dict(zip(q.fields, field_cols))
        base |= {
            "coupon": coupon_col,
            "send_date": (send_date,) * n,
            "campaign_name": (c.name,) * n,
        }
        for v in c.variants:
            if len(c.variants) == 1:
                v_ids, cols = ids, base
            else:
                idx = [i for i, a in enumerate(arm_col) if a == v.name]
                if not idx:
                    continue
                pick = _picker(idx)
                v_ids = pick(ids)
                cols = {k: pick(col) for k, col in base.items()}
            cols["variant"] = (v.name,) * len(v_ids)
            for part in c.parts:
                tpl = c.templates[(v.name, part)]
                used = {k: cols[k] for k in tpl.fields}
                texts = checker.render(tpl, v.name, v_ids, used)
                checker.check(v.name, part, v_ids, texts)
        done += n
        if progress:
            progress(done, total)
    if isinstance(coupons, CodeAllocator):
        report.coupon_collisions = coupons.collisions
    checker.finish()
    from queries.campaigns.formula import scan

    report.warnings += scan(session, c, q, job)
    report.elapsed = time.perf_counter() - start
    return report
