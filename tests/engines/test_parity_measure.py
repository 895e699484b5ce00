"""Measure on every engine: the same per-arm figures and effects on DuckDB, Spark and Postgres.

An export is stood in for by a record of 5,000 demo customers in three arms (md5 assignment,
a 20 % holdout), sent on 2026-10-15 with the demo's November coupon for the treated, so the
window (2026-10-15 … 2026-11-13) and the pre-period lie inside the demo snapshot.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.assignment import HOLDOUT, Plan
from queries.measure.effect import measure_export
from queries.measure.exported import ExportRecord, Member
from tests.parity_env import DEMO

pytestmark = pytest.mark.parity

SEND = date(2026, 10, 15)
COUPON = "NOVSALE26"  # seasonal code in the demo's orders of 1–11 November 2026


def record() -> ExportRecord:
    con = duckdb.connect(str(DEMO), read_only=True)
    try:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 5000 OFFSET 3000"
            ).fetchall()
        ]
    finally:
        con.close()
    plan = Plan.build("parity-measure", 20, [("A", 1), ("B", 1)])
    members = [
        Member(cid, arm, None if arm == HOLDOUT else COUPON)
        for cid, arm in ((cid, plan.arm(cid)) for cid in ids)
    ]
    return ExportRecord(
        campaign="parity",
        export_id="20261015T000000Z",
        folder=Path("."),
        send_day=SEND,
        as_of=date(2026, 10, 14),
        shares=plan.shares(),
        variants=["A", "B"],
        coupon_value=300.0,
        members=members,
    )


def figures(s) -> tuple:
    r = measure_export(s, record())
    arms = [
        (
            a.arm,
            a.people,
            a.converters,
            a.orders,
            a.revenue,
            a.redemptions,
            a.pre_converters,
            a.pre_revenue,
        )
        for a in r.arms
    ]
    return arms, r.effect, r.cuped, r.checks


def test_measure_gives_the_same_figures_on_every_engine(duck, spark, pg):
    want_arms, want_effect, want_cuped, want_checks = figures(duck)
    assert all(a[1] > 0 for a in want_arms)
    assert any(a[5] > 0 for a in want_arms), "no redemptions: the comparison would prove little"
    assert any(a[2] > 0 for a in want_arms if a[0] == HOLDOUT)
    for s in (spark, pg):
        arms, effect, cuped, checks = figures(s)
        assert arms == want_arms, s.engine.kind
        assert effect == pytest.approx(want_effect), s.engine.kind
        assert cuped == pytest.approx(want_cuped), s.engine.kind
        assert checks == want_checks, s.engine.kind


def test_the_approval_mde_is_the_same_on_every_engine(duck, spark, pg):
    from queries.campaigns.funnel import FunnelSQL, count_funnel
    from queries.campaigns.model import find_campaign
    from queries.campaigns.parse import load_campaign
    from queries.measure.measurability import measurability

    def mde(s):
        c = load_campaign(
            find_campaign("dormant_winback", s.ws.campaigns_dir), s.catalog, s.ws.root, s.store
        )
        fs = FunnelSQL(s, c)
        status = fs.status().subquery("kz_f")
        return measurability(s, count_funnel(s, c, fs, status, None).arms, status)

    want = mde(duck)
    assert want is not None and want.rate > 0
    for s in (spark, pg):
        got = mde(s)
        assert got is not None, s.engine.kind
        assert (got.treated, got.holdout) == (want.treated, want.holdout), s.engine.kind
        assert got.rate == pytest.approx(want.rate) and got.mde == pytest.approx(want.mde)
