"""At approval: the minimum detectable difference of the holdout, and the too-small warning."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from queries.handoff.approval import review
from queries.measure import stats as effect_stats
from queries.query.session import Session, open_session
from tests.handoff_tools import load, write_campaign
from tests.measure_world import DEMO, write_broad
from tui.cli.main import app
from tui.screens.handoff.campaign_approve import review_content


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


def test_a_tiny_holdout_is_too_small_to_measure(ws: Path, session: Session) -> None:
    rv = review(session, load(session))
    m = rv.measurability
    assert m is not None
    assert (m.holdout, m.treated) == (rv.funnel.holdout, rv.funnel.recipients)
    assert m.too_small and "Too small to measure" in m.sentence()
    assert "Too small to measure" in review_content(rv, None).plain


def test_approve_cli_prints_the_mde_and_json_carries_it(ws: Path) -> None:
    r = CliRunner().invoke(
        app, ["approve", "spring", "--by", "hanako", "-y", "--workspace", str(ws)]
    )
    assert r.exit_code == 0, r.output
    assert "Too small to measure anything useful" in " ".join(r.stdout.split())
    r = CliRunner().invoke(
        app, ["approve", "spring", "--by", "hanako", "--json", "--workspace", str(ws)]
    )
    import json

    data = json.loads(r.stdout)
    assert data["measurability"]["too_small"] is True
    assert data["approval"]["measurability"]["holdout"] == data["funnel"]["arms"]["holdout"]


def test_demo_rate_and_mde_against_independent_sql(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for sub in ("segments", "campaigns", "templates"):
        (ws / sub).mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{DEMO.as_posix()}"\n', "utf-8")
    write_broad(ws)
    s = open_session(ws)
    try:
        c = load(s, "broad")
        rv = review(s, c)
        as_of = s.snapshot.as_of
    finally:
        s.close()
    m = rv.measurability
    assert m is not None and not m.too_small
    # the recipients: email opt-in and an order in the 365 days to D; their orders that year
    con = duckdb.connect(str(DEMO), read_only=True)
    try:
        counts = con.execute(
            """
            SELECT count(*) FROM customers c JOIN orders o ON o.customer_id = c.customer_id
              AND CAST(o.ordered_at AS DATE) BETWEEN CAST(? AS DATE) - 364 AND ?
            WHERE c.email_opt_in AND c.email IS NOT NULL
            GROUP BY c.customer_id
            """,
            [as_of, as_of],
        ).fetchall()
    finally:
        con.close()
    assert m.treated + m.holdout == rv.funnel.recipients + rv.funnel.holdout
    # Poisson at each person's yearly pace: P(an order within 30 days) = 1 − e^(−30·n/365)
    expected = sum(1 - math.exp(-30 * n / 365) for (n,) in counts) / len(counts)
    # the funnel may drop a few unusable addresses or duplicates; the rate barely moves
    assert m.rate == pytest.approx(expected, abs=0.005)
    assert m.mde == pytest.approx(effect_stats.mde(m.rate, m.treated, m.holdout))
    assert 0.01 < m.mde < 0.05
