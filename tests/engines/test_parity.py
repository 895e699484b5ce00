"""Same segments, same people: DuckDB, Spark (local mode) and PostgreSQL select the same ids.

Every example segment in segments/*.yaml must select the same sorted customer ids on all
three engines; holdout/variant assignment by the md5 rule must be identical on the same ids.
The engines come from tests/parity_env.py (CI fails, not skips, when one is missing).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlglot import exp

from queries.campaigns.assignment import Plan, arm_sql, bucket, bucket_sql
from queries.core.errors import QueryCancelled
from queries.engines import UnsupportedConstruct
from queries.engines.jobs import Job
from queries.query.session import Session
from queries.segments.parse import segment_from_text
from tests.parity_env import SEGMENTS, norm, seg

pytestmark = pytest.mark.parity


# -- the tests ---------------------------------------------------------------------------------
def test_same_as_of_and_base(duck, spark, pg):
    for s in (spark, pg):
        assert s.snapshot.as_of == duck.snapshot.as_of
        assert s.snapshot.base_size == duck.snapshot.base_size == 25_000


def test_features_identical(duck, spark, pg):
    """The derived features, transpiled from features.sql, agree value for value."""
    names = ["customer_id", *[f for f, v in duck.catalog.fields.items() if v.table == "features"]]

    def table(s: Session) -> list[tuple]:
        ft = s.runner.compiler().features_table
        ft.set("alias", exp.TableAlias(this=exp.to_identifier("f")))
        q = (
            exp.select(*[exp.column(n, "f", quoted=True) for n in names])
            .from_(ft)
            .order_by(exp.column("customer_id", "f", quoted=True))
        )
        return [tuple(norm(v) for v in row) for row in s.engine.run(s.engine.render(q))]

    expected = table(duck)
    assert len(expected) == 25_000
    for s in (spark, pg):
        got = table(s)
        diffs = [
            (names[i], a[0], a[i], b[i])
            for a, b in zip(expected, got)
            for i in range(len(names))
            if a[i] != b[i]
        ]
        assert len(got) == len(expected)
        assert diffs[:10] == [], f"{s.engine.kind}: {len(diffs)} differing values"


@pytest.mark.parametrize("name", SEGMENTS)
def test_segment_selects_the_same_ids(duck, spark, pg, name):
    expected = duck.runner.members(seg(duck, name))
    assert expected == sorted(expected)
    assert expected, f"{name} selects nobody on the demo: the comparison would prove little"
    assert spark.runner.members(seg(spark, name)) == expected, "spark"
    assert pg.runner.members(seg(pg, name)) == expected, "postgres"


@pytest.mark.parametrize("name", ["lapsed_gold", "cart_abandoners", "dormant"])
def test_counts_and_waterfalls_agree(duck, spark, pg, name):
    expected = duck.runner.waterfall(seg(duck, name))
    for s in (spark, pg):
        assert s.runner.count(seg(s, name)) == expected[1][-1].count
        assert s.runner.waterfall(seg(s, name)) == expected


def test_sample_breakdown_why_overlap_agree(duck, spark, pg):
    name = "lapsed_loyal"
    want_sample = [r["customer_id"] for r in duck.runner.sample(seg(duck, name), 15)]
    tiers = duck.runner.breakdown(seg(duck, name), "loyalty_tier")
    want_bd = [(r.value, r.audience, r.base) for r in tiers]
    points = duck.runner.breakdown(seg(duck, "vip"), "points")
    want_num = [(norm(r.value), r.audience, r.base) for r in points]
    cid = want_sample[0]
    want_why = duck.runner.why(seg(duck, "lapsed_gold"), cid)
    want_overlap = duck.runner.overlap(seg(duck, "vip"), seg(duck, name))
    want_recent = {
        src: [{k: norm(v) for k, v in r.items()} for r in duck.runner.recent_events(cid, src)]
        for src in ("orders", "messages")
    }
    for s in (spark, pg):
        assert [r["customer_id"] for r in s.runner.sample(seg(s, name), 15)] == want_sample
        bd = s.runner.breakdown(seg(s, name), "loyalty_tier")
        assert [(r.value, r.audience, r.base) for r in bd] == want_bd
        num = s.runner.breakdown(seg(s, "vip"), "points")
        assert [(norm(r.value), r.audience, r.base) for r in num] == want_num
        member, verdicts = s.runner.why(seg(s, "lapsed_gold"), cid)
        assert member == want_why[0]
        assert [v.verdict for v in verdicts] == [v.verdict for v in want_why[1]]
        assert s.runner.overlap(seg(s, "vip"), seg(s, name)) == want_overlap
        for src in ("orders", "messages"):
            got = [{k: norm(v) for k, v in r.items()} for r in s.runner.recent_events(cid, src)]
            assert got == want_recent[src], (s.engine.kind, src)


def test_values_agree(duck, spark, pg):
    want = duck.runner.values("prefecture", limit=10)
    want_ev = duck.runner.values("category", event="purchases", limit=10, prefix="s")
    for s in (spark, pg):
        assert s.runner.values("prefecture", limit=10) == want
        assert s.runner.values("category", event="purchases", limit=10, prefix="s") == want_ev


def test_assignment_identical_on_every_engine(duck, spark, pg):
    """Holdout and variants by md5(customer_id || ':' || salt): same arm everywhere."""
    plan = Plan.build("skincare-winback-2026-11", 10, [("A", 50), ("B", 30), ("C", 20)])
    salt = "誕生日 it's"

    def arms(s: Session) -> list[tuple]:
        cid = s.catalog.customer_id()
        q = (
            exp.select(
                cid.copy(),
                arm_sql(cid.copy(), plan, s.engine.dialect),
                bucket_sql(cid.copy(), salt, s.engine.dialect),
            )
            .from_(s.catalog.customers)
            .order_by(cid.copy())
        )
        return [tuple(norm(v) for v in r) for r in s.engine.run(s.engine.render(q))]

    expected = arms(duck)
    assert len(expected) == 25_000
    assert all(arm == plan.arm(c) and b == bucket(c, salt) for c, arm, b in expected)
    assert {a for _, a, _ in expected} == {"holdout", "A", "B", "C"}
    for s in (spark, pg):
        assert arms(s) == expected, s.engine.kind


def test_unportable_sql_is_a_compile_error(spark, pg):
    text = "name: r\nwhere: {all: [{field: email, op: '=', value: x}]}\n"
    for s in (spark, pg):
        seg_ = segment_from_text(text, s.catalog)
        comp = s.runner.compiler(seg_)
        query = comp.base_from(exp.select(exp.func("regexp_matches", exp.column("email", "c"))))
        with pytest.raises(UnsupportedConstruct, match=f"REGEXP_MATCHES.*{s.engine.kind}"):
            s.engine.render(query)


@pytest.mark.parametrize(
    ("engine", "slow"),
    [
        ("pg", "SELECT count(*) FROM generate_series(1, 300000000)"),
        ("spark", "SELECT sum(id % 7) FROM range(0, 1000000000000, 1, 2)"),
    ],
)
def test_cancel_interrupts_the_engine(request, engine, slow):
    """Job.cancel() stops a query running on the engine; the session stays usable."""
    s: Session = request.getfixturevalue(engine)
    job = Job()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            s.engine.run(slow, job)
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    time.sleep(1.0)
    job.cancel()
    worker.join(timeout=300)  # a hang guard, not a timing: the query alone runs for hours
    assert not worker.is_alive(), f"cancel did not stop the query on {engine}"
    assert isinstance(outcome[0], QueryCancelled)
    assert [tuple(r) for r in s.engine.run("SELECT 1")] == [(1,)]


def test_cli_count_and_sql_on_engines(duck, spark, pg, parity_ws):
    import json

    from typer.testing import CliRunner

    from tui.cli.main import app

    runner = CliRunner()
    want = duck.runner.count(seg(duck, "lapsed_gold"))
    res = runner.invoke(
        app, ["count", "lapsed_gold", "--engine", "postgres", "--json", "-w", str(parity_ws)]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["count"] == want
    res = runner.invoke(app, ["sql", "lapsed_gold", "--engine", "spark", "-w", str(parity_ws)])
    assert res.exit_code == 0, res.output
    assert "`kz_features`" in res.stdout and "kz_src_customers" in res.stdout
    assert res.stdout.strip() == spark.runner.sql(seg(spark, "lapsed_gold")).strip()
