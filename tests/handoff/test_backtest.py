"""`kizuna backtest`: a segment's members on D and their own orders over D+1 … D+W."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from queries.measure.backtest import backtest
from queries.measure.exported import MeasureError
from queries.query.session import open_session
from tests.measure_world import DEMO
from tui.cli.main import app

D = date(2026, 9, 30)
# gold members who ordered in the 90 days up to D
GOLD = """\
name: Recent gold
where:
  all:
    - {field: loyalty_tier, op: "=", value: gold}
    - {event: orders, within: 90d}
"""


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "segments" / "recent_gold.yaml").write_text(GOLD, "utf-8")
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{DEMO.as_posix()}"\n', "utf-8")
    return ws


def independent(d: date, days: int) -> tuple[tuple, tuple]:
    """(people, converters, orders, revenue) of the segment and of everyone who existed on D."""
    end = d + timedelta(days=days)
    con = duckdb.connect(str(DEMO), read_only=True)
    try:
        sql = """
        WITH m AS ({members}),
        o AS (SELECT * FROM orders WHERE CAST(ordered_at AS DATE) BETWEEN $d + 1 AND $e)
        SELECT count(DISTINCT m.customer_id), count(DISTINCT o.customer_id), count(o.order_id),
          coalesce(sum(o.total), 0)
        FROM m LEFT JOIN o ON o.customer_id = m.customer_id
        """
        seg = """SELECT customer_id FROM customers c WHERE loyalty_tier = 'gold'
          AND (signup_at IS NULL OR CAST(signup_at AS DATE) <= $d)
          AND EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.customer_id
            AND CAST(x.ordered_at AS DATE) BETWEEN $d - 89 AND $d)"""
        base = """SELECT customer_id FROM customers
          WHERE signup_at IS NULL OR CAST(signup_at AS DATE) <= $d"""
        args = {"d": d, "e": end}
        a = con.execute(sql.format(members=seg), args).fetchone()
        b = con.execute(sql.format(members=base), args).fetchone()
    finally:
        con.close()
    return tuple(int(v) for v in a), tuple(int(v) for v in b)


def test_backtest_matches_independent_sql(ws: Path) -> None:
    s = open_session(ws, as_of=D)
    try:
        b = backtest(s, s.segment("recent_gold"), "30d")
    finally:
        s.close()
    seg, base = independent(D, 30)
    o = b.segment_outcome
    assert (o.people, o.converters, o.orders, o.revenue) == seg
    # the base: every customer the session counts on D (signed up by then, or unknown)
    got = b.base_outcome
    assert (got.people, got.converters, got.orders, got.revenue) == base
    assert b.window_from == D + timedelta(days=1) and b.window_to == D + timedelta(days=30)
    assert b.complete


def test_backtest_cli_json_and_partial_window(ws: Path) -> None:
    r = CliRunner().invoke(
        app, ["backtest", "recent_gold", "--as-of", "2026-11-10", "--json", "--workspace", str(ws)]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["window"] == {
        "from": "2026-11-11",
        "to": "2026-12-10",
        "complete": False,
        "observed_to": "2026-11-20",
    }
    seg, _ = independent(date(2026, 11, 10), 10)  # only the days the snapshot has
    assert (data["people"], data["converters"], data["orders"]) == seg[:3]
    human = CliRunner().invoke(
        app, ["backtest", "recent_gold", "--as-of", "2026-11-10", "--workspace", str(ws)]
    )
    assert human.exit_code == 0 and "PARTIAL WINDOW" in human.stdout


def test_backtest_on_the_last_day_is_a_clear_error(ws: Path) -> None:
    s = open_session(ws)
    try:
        with pytest.raises(MeasureError, match="nothing after"):
            backtest(s, s.segment("recent_gold"))
    finally:
        s.close()
    r = CliRunner().invoke(
        app, ["backtest", "recent_gold", "--as-of", "2026-11-20", "--workspace", str(ws)]
    )
    assert r.exit_code == 1 and "nothing after" in r.stderr


def test_backtest_from_the_builder(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input, Static

    from tests.tui.test_tui_support import async_test, settle
    from tui.app import KizunaApp
    from tui.screens.builder.builder import BuilderScreen
    from tui.screens.segments.segment_backtest import BacktestScreen

    monkeypatch.setenv("NO_COLOR", "1")

    @async_test
    async def run() -> None:
        app = KizunaApp(workspace=ws)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            s = app.session
            await app.push_screen(BuilderScreen(s.segment("recent_gold")))
            await settle(pilot, 60)
            await pilot.press("B")
            await settle(pilot, 60)
            screen = app.screen
            assert isinstance(screen, BacktestScreen)
            assert screen.query_one("#backtest-asof", Input).value == "2026-10-21"
            screen.query_one("#backtest-asof", Input).value = D.isoformat()
            await pilot.press("ctrl+r")
            await settle(pilot, 60)
            assert screen.result is not None
            assert screen.result.segment_outcome.people == independent(D, 30)[0][0]
            text = str(screen.query_one("#backtest-result", Static).render())
            assert "segment" in text and "all customers" in text and "%" in text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BuilderScreen)

    run()


def test_the_new_keys_can_be_rebound() -> None:
    from tui.app import binding_owners
    from tui.keymap import binding_ids

    ids = set(binding_ids(binding_owners()))
    assert {"campaigns.results", "results.measure", "results.copy", "results.save"} <= ids
    assert {"builder.backtest", "backtest.run", "backtest.back"} <= ids
