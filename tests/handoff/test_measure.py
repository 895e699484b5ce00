"""`kizuna measure`: per-arm figures against independent SQL, intervals, checks, errors."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from queries.demo.continuation import continue_demo
from queries.measure.effect import measure
from queries.measure.exported import MeasureError
from queries.query.session import open_session
from tests.measure_world import DEMO, SEND, World, build_world, export_broad, write_broad
from tui.cli.main import app

WINDOW_END = (date.fromisoformat(SEND) + timedelta(days=29)).isoformat()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("measure"))


def kizuna(*args: str):
    result = CliRunner().invoke(app, list(args))
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text, text
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}")
    return result


def measured(world: World, later: str = "effect", **kw):
    s = open_session(world.ws, db=world.later.get(later, later))
    try:
        return measure(s, "broad", **kw)
    finally:
        s.close()


def independent_arms(folder: Path, later: Path, start: str, end: str) -> dict[str, tuple]:
    """Per arm (people, converters, orders, revenue, redemptions) straight from the files."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{later.as_posix()}' AS l (READ_ONLY)")
        rows = con.execute(
            """
            WITH people AS (
              SELECT external_id AS cid, kizuna_variant AS arm, kizuna_coupon AS coupon
              FROM read_csv(?, header = true, all_varchar = true)
              UNION ALL
              SELECT external_id, 'holdout', NULL
              FROM read_csv(?, header = true, all_varchar = true)
            ), o AS (
              SELECT * FROM l.orders WHERE CAST(ordered_at AS DATE) BETWEEN ? AND ?
            )
            SELECT arm, count(DISTINCT cid), count(DISTINCT o.customer_id), count(o.order_id),
              coalesce(sum(o.total), 0), count(o.order_id) FILTER (o.coupon_code = coupon)
            FROM people LEFT JOIN o ON o.customer_id = people.cid
            GROUP BY arm
            """,
            [str(folder / "audience.csv"), str(folder / "holdout.csv"), start, end],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}


def test_arms_match_independent_sql(world: World) -> None:
    r = measured(world)
    expected = independent_arms(world.exports[0], world.later["effect"], SEND, WINDOW_END)
    got = {a.arm: (a.people, a.converters, a.orders, a.revenue, a.redemptions) for a in r.arms}
    for arm, figures in expected.items():
        assert got[arm] == figures, arm
    assert set(got) == {"holdout", "A", "B", "treated"}
    assert got["treated"] == tuple(sum(got[a][i] for a in ("A", "B")) for i in range(5))
    assert got["holdout"][4] == 0  # the holdout got no coupon
    assert r.window_from.isoformat() == SEND and r.window_to.isoformat() == WINDOW_END
    assert r.complete and not r.notes


def test_interval_contains_the_simulated_effect(world: World) -> None:
    e = measured(world).to_dict()["treated_vs_holdout"]
    assert e["ci_low"] <= 0.05 <= e["ci_high"]
    assert e["ci_low"] > 0  # the +5 pp is found, not just allowed
    assert e["cuped"]["ci_low"] <= 0.05 <= e["cuped"]["ci_high"]
    assert e["incremental_revenue"] == pytest.approx(
        e["revenue_per_person_diff"] * measured(world).arm("treated").people, rel=1e-3
    )
    null = measured(world, "null").to_dict()["treated_vs_holdout"]
    assert null["ci_low"] <= 0 <= null["ci_high"]
    assert null["cuped"]["ci_low"] <= 0 <= null["cuped"]["ci_high"]


def test_json_shape_from_the_cli(world: World) -> None:
    r = kizuna(
        "measure",
        "broad",
        "--db",
        str(world.later["effect"]),
        "--json",
        "--workspace",
        str(world.ws),
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["campaign"] == "broad" and data["export"] == world.exports[0].name
    assert data["window"] | {} == data["window"] and data["window"]["complete"] is True
    assert set(data["arms"][0]) == {
        "arm",
        "people",
        "converters",
        "conversion_rate",
        "orders",
        "revenue",
        "revenue_per_person",
        "redemptions",
    }
    for key in (
        "conversion_diff",
        "ci_low",
        "ci_high",
        "p_value",
        "relative_lift",
        "revenue_per_person_diff",
        "rpp_ci_low",
        "rpp_ci_high",
        "incremental_revenue",
    ):
        assert key in data["treated_vs_holdout"]
    for key in ("srm_p_value", "pre_period_conversion_diff", "pre_period_p_value", "partial"):
        assert key in data["checks"]
    human = kizuna(
        "measure", "broad", "--db", str(world.later["effect"]), "--workspace", str(world.ws)
    )
    assert human.exit_code == 0 and "holdout" in human.stdout and "CUPED" in human.stdout


def test_coupon_value_gives_cost_and_net(world: World) -> None:
    r = measured(world, coupon_value=500)
    e = r.effect
    assert e["coupon_cost"] == 500 * r.arm("treated").redemptions
    assert e["net"] == pytest.approx(e["incremental_revenue"] - e["coupon_cost"], abs=1)
    assert "coupon_cost" not in measured(world).effect


def test_srm_fires_on_a_skewed_holdout(world: World, tmp_path: Path) -> None:
    assert measured(world).checks["srm_p_value"] > 0.001
    skewed = tmp_path / world.exports[0].name
    shutil.copytree(world.exports[0], skewed)
    lines = (skewed / "holdout.csv").read_text("utf-8").splitlines(keepends=True)
    (skewed / "holdout.csv").write_text("".join(lines[: len(lines) // 2]), "utf-8")
    r = measured(world, export_dir=skewed)
    assert r.checks["srm_p_value"] < 0.001
    assert any("SAMPLE RATIO MISMATCH" in n for n in r.notes)


def test_pre_period_check_fires_when_arms_differ_before_the_send(
    world: World, tmp_path: Path
) -> None:
    assert measured(world).checks["pre_period_p_value"] > 0.05
    doctored = tmp_path / "doctored.duckdb"
    shutil.copy(world.later["effect"], doctored)
    holdout = [
        row["external_id"]
        for row in csv.DictReader(
            (world.exports[0] / "holdout.csv").open(encoding="utf-8", newline="")
        )
    ]
    con = duckdb.connect(str(doctored))
    try:  # every other holdout person bought 10 days before the send
        con.executemany(
            "INSERT INTO orders VALUES (?, ?, CAST(? AS TIMESTAMP), 'web', 3000, NULL)",
            [
                (f"PRE{i}", cid, f"{date.fromisoformat(SEND) - timedelta(days=10)} 12:00:00")
                for i, cid in enumerate(holdout[::2])
            ],
        )
    finally:
        con.close()
    r = measured(world, str(doctored))
    assert r.checks["pre_period_p_value"] < 0.05
    assert r.checks["pre_period_conversion_diff"] < 0
    assert any("BEFORE THE SEND" in n for n in r.notes)


def test_partial_window_is_said_loudly(world: World, tmp_path: Path) -> None:
    early = tmp_path / "early.duckdb"
    continue_demo(DEMO, early, days=10, effect=0.05, exports=world.ws / "exports")
    r = measured(world, str(early))
    assert r.checks["partial"] is True and not r.complete
    assert r.observed_to == date(2026, 11, 30) and r.window_days == 6
    expected = independent_arms(world.exports[0], early, SEND, "2026-11-30")
    assert r.arm("holdout").converters == expected["holdout"][1]
    out = kizuna("measure", "broad", "--db", str(early), "--workspace", str(world.ws))
    assert out.exit_code == 0 and "PARTIAL WINDOW" in out.stdout
    data = json.loads(
        kizuna(
            "measure", "broad", "--db", str(early), "--json", "--workspace", str(world.ws)
        ).stdout
    )
    assert data["window"]["complete"] is False and data["checks"]["partial"] is True


def test_a_campaign_never_exported_is_a_clear_error(world: World) -> None:
    (world.ws / "campaigns" / "never.yaml").write_text(
        (world.ws / "campaigns" / "broad.yaml").read_text("utf-8"), "utf-8"
    )
    r = kizuna("measure", "never", "--db", str(world.later["effect"]), "--workspace", str(world.ws))
    assert r.exit_code == 1
    assert "never been exported" in r.stderr and "kizuna export never" in r.stderr


def test_a_snapshot_before_the_send_is_a_clear_error(world: World) -> None:
    s = open_session(world.ws)
    try:
        with pytest.raises(MeasureError, match="before `broad` was sent"):
            measure(s, "broad")
    finally:
        s.close()


def test_export_of_an_older_export(world: World, tmp_path: Path) -> None:
    ws = tmp_path / "ws2"
    shutil.copytree(world.ws, ws, ignore=shutil.ignore_patterns(".kizuna"))
    first = ws / "exports" / "broad" / world.exports[0].name
    write_broad(ws, percent=50)
    second = export_broad(ws)
    assert second != first
    later = str(world.later["null"])
    s = open_session(ws, db=Path(later))
    try:
        latest, old = measure(s, "broad"), measure(s, "broad", export_dir=first)
    finally:
        s.close()
    assert latest.export_id == second.name and old.export_id == first.name
    assert old.arm("holdout").people == measured(world, "null").arm("holdout").people
    assert latest.arm("holdout").people > old.arm("holdout").people  # 50 % vs 30 %
    r = kizuna(
        "measure", "broad", "--db", later, "--export", str(first), "--json", "--workspace", str(ws)
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["export"] == first.name
    bad = kizuna(
        "measure", "broad", "--db", later, "--export", str(tmp_path), "--workspace", str(ws)
    )
    assert bad.exit_code == 1 and "not an export folder" in bad.stderr


# -- the TUI results screen ------------------------------------------------------------------
def test_default_later_is_the_newest_other_snapshot_after_the_export(tmp_path: Path) -> None:
    import os

    from tui.screens.handoff.campaign_results import default_later

    current = tmp_path / "demo.duckdb"
    exports = tmp_path / "exports" / "broad"
    (exports / "20261125T000000Z").mkdir(parents=True)
    older, newer = tmp_path / "old.duckdb", tmp_path / "later.duckdb"
    for p in (current, older, newer):
        p.write_bytes(b"")
    stamp = (exports / "20261125T000000Z").stat().st_mtime
    os.utime(older, (stamp - 100, stamp - 100))
    os.utime(newer, (stamp + 100, stamp + 100))
    assert default_later(current, exports) == newer.resolve()
    newer.unlink()
    assert default_later(current, exports) == current


def test_results_screen_at_80x24_without_colour(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, Static

    from tests.tui.test_tui_support import async_test, settle
    from tui.app import KizunaApp
    from tui.screens.campaigns.campaign_list import CampaignListScreen
    from tui.screens.handoff.campaign_results import CampaignResultsScreen, results_path

    monkeypatch.setenv("NO_COLOR", "1")

    @async_test
    async def run() -> None:
        app = KizunaApp(workspace=world.ws)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await app.push_screen(CampaignListScreen())
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot, 60)
            screen = app.screen
            assert isinstance(screen, CampaignResultsScreen)
            screen.query_one("#later", Input).value = str(world.later["effect"])
            await pilot.press("ctrl+r")
            await settle(pilot, 60)
            assert screen.result is not None
            arms = str(screen.query_one("#results-arms", Static).render())
            for arm in ("holdout", "A", "B", "treated"):
                assert f"\n{arm} " in "\n" + arms
            assert "├" in arms and "┤" in arms and "█" in arms and "%" in arms
            effect = str(screen.query_one("#results-effect", Static).render())
            assert "It worked" in effect and "CUPED" in effect
            await pilot.press("ctrl+y")
            assert app.clipboard == screen.summary
            assert "| holdout |" in screen.summary and "It worked" in screen.summary
            await pilot.press("ctrl+s")
            saved = results_path(world.ws, screen.result)
            assert saved.read_text("utf-8") == screen.summary
            screen.query_one("#later", Input).value = str(DEMO)  # before the send
            await pilot.press("ctrl+r")
            await settle(pilot, 60)
            status = str(screen.query_one("#results-status", Static).render())
            assert "Cannot measure" in status and screen.result is None
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CampaignListScreen)

    run()


def test_the_campaign_states_its_coupon_value(world: World, tmp_path: Path) -> None:
    """`coupon: {value: 500}` in the campaign reaches campaign.json and measure's cost."""
    priced = tmp_path / world.exports[0].name
    shutil.copytree(world.exports[0], priced)
    spec = json.loads((priced / "campaign.json").read_text("utf-8"))
    spec["campaign"]["what"]["coupon"]["value"] = 500
    (priced / "campaign.json").write_text(json.dumps(spec), "utf-8")
    r = measured(world, export_dir=priced)
    assert r.effect["coupon_value"] == 500
    assert r.effect["coupon_cost"] == 500 * r.arm("treated").redemptions
    assert measured(world, export_dir=priced, coupon_value=100).effect["coupon_cost"] == (
        100 * r.arm("treated").redemptions
    )


@pytest.mark.parametrize(
    ("value", "ok"),
    [("500", True), ("0", True), ("-1", False), ("abc", False), ("true", False), (".inf", False)],
)
def test_coupon_value_in_the_campaign_file(session, value: str, ok: bool) -> None:
    from queries.campaigns.parse import load_campaign
    from queries.core.errors import KizunaError
    from tests.handoff_tools import write_campaign

    path = write_campaign(session.ws.root)
    text = path.read_text("utf-8").replace(
        "coupon: {prefix: SP, length: 6}", f"coupon: {{prefix: SP, length: 6, value: {value}}}"
    )
    path.write_text(text, "utf-8")
    if ok:
        c = load_campaign(path, session.catalog, session.ws.root, session.store)
        assert c.coupon.value == float(value)
        assert c.to_dict()["what"]["coupon"]["value"] == int(value)
    else:
        with pytest.raises(KizunaError, match="value"):
            load_campaign(path, session.catalog, session.ws.root, session.store)
