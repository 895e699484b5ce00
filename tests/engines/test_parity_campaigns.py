"""Same campaigns, same people: the policy funnel, arms, preview and export on every engine.

Every example campaign's funnel (consent, suppression, frequency cap with the workspace
ledger, dedupe, exclusions, holdout and variants) must give the same step counts and the same
sorted (customer id, arm) list on DuckDB, Spark and PostgreSQL, and an export run on Spark or
Postgres must write byte-identical audience and holdout files to the one DuckDB writes.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.funnel import customer_step, final_audience, policy_funnel
from queries.campaigns.model import Campaign, find_campaign
from queries.campaigns.parse import load_campaign
from queries.campaigns.preview import preview
from queries.handoff import ledger
from queries.handoff.approval import approve, review
from queries.handoff.export.run import export_campaign
from queries.query.session import Session

pytestmark = pytest.mark.parity

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGNS = sorted(p.stem for p in (ROOT / "campaigns").glob("*.yaml"))


def camp(s: Session, name: str) -> Campaign:
    path = find_campaign(name, s.ws.campaigns_dir)
    return load_campaign(path, s.catalog, s.ws.root, s.store)


def funnel_shape(s: Session, name: str) -> tuple:
    f = policy_funnel(s, camp(s, name))
    steps = [(st.key, st.count, st.removed, st.by_reason, st.off) for st in f.steps]
    return f.base, steps, f.arms


@pytest.mark.parametrize("name", CAMPAIGNS)
def test_campaign_funnel_selects_the_same_people(duck, spark, pg, name):
    want = final_audience(duck, camp(duck, name))
    assert want, f"{name}: nobody past the funnel on the demo, the comparison would prove little"
    assert {arm for _, arm in want} >= {"holdout"}
    want_shape = funnel_shape(duck, name)
    for s in (spark, pg):
        assert final_audience(s, camp(s, name)) == want, s.engine.kind
        assert funnel_shape(s, name) == want_shape, s.engine.kind


def test_customer_step_and_preview_agree(duck, spark, pg):
    name = "dormant_winback"
    p = preview(duck, camp(duck, name), n=3)
    ids = [m.customer_id for m in p.samples]
    assert len(ids) == 3
    # someone a policy step removed
    removed = next(r for r in funnel_rows(duck, name) if r[1] not in (None, "segment"))
    for s in (spark, pg):
        got = preview(s, camp(s, name), n=3)
        assert [m.customer_id for m in got.samples] == ids
        for a, b in zip(p.samples, got.samples):
            assert a.arm == b.arm
            assert a.values["coupon"] == b.values["coupon"]
            assert texts(a) == texts(b)
        for cid in (ids[0], removed[0]):
            want = customer_step(duck, camp(duck, name), cid)
            assert customer_step(s, camp(s, name), cid) == want


def texts(sample) -> dict:
    """Each variant's rendered parts for one sample recipient."""
    return {v: {k: r.text for k, r in parts.items()} for v, parts in sample.messages.items()}


def funnel_rows(s: Session, name: str) -> list[tuple]:
    """(customer id, step) of every segment member, from the DuckDB status query."""
    from queries.campaigns.funnel import FunnelSQL

    fs = FunnelSQL(s, camp(s, name))
    rows = s.runner.fetch(fs.status())
    return sorted((str(r[0]), r[1]) for r in rows)


@pytest.fixture()
def ledger_files(duck):
    """Three earlier campaigns that each contacted the first 40 dormant-winback recipients."""
    c = camp(duck, "dormant_winback")
    ids = [cid for cid, _ in final_audience(duck, c)][:40]
    folder = ledger.folder(duck.ws)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    when = datetime.combine(duck.snapshot.as_of, datetime.min.time())
    for i in range(3):
        path = ledger.file_for(duck.ws, f"earlier_{i}")
        con = duckdb.connect(":memory:")
        con.execute(
            "COPY (SELECT 'earlier_' || ? AS campaign, unnest(?::VARCHAR[]) AS customer_id, "
            "'email' AS channel, ?::TIMESTAMP AS contacted_at, 'x' AS export_id) TO "
            f"'{path}' (FORMAT parquet)",
            [str(i), ids, when],
        )
        con.close()
        made.append(path)
    yield ids
    for path in made:
        path.unlink(missing_ok=True)


def test_frequency_cap_counts_the_ledger_on_every_engine(duck, spark, pg, ledger_files):
    """Contacts in the workspace ledger (loaded into Spark and Postgres) cap the same people."""
    name = "dormant_winback"
    want = final_audience(duck, camp(duck, name))
    assert not set(ledger_files) & {cid for cid, _ in want}, "the ledger did not cap them"
    base, steps, _ = funnel_shape(duck, name)
    cap = dict((k, removed) for k, _, removed, _, _ in steps)["frequency_cap"]
    assert cap >= len(ledger_files)
    for s in (spark, pg):
        assert final_audience(s, camp(s, name)) == want, s.engine.kind
        assert funnel_shape(s, name) == (base, steps, funnel_shape(duck, name)[2])


@pytest.fixture()
def approved(duck):
    """dormant_winback approved on DuckDB; the approval and any exports removed afterwards."""
    c = camp(duck, "dormant_winback")
    approve(duck, review(duck, c), "parity", force=True)  # the demo's send_at is past
    yield c
    for folder in ("approvals", "ledger"):
        shutil.rmtree(duck.ws.state_dir / folder, ignore_errors=True)


def _export(s: Session, out: Path) -> dict:
    # the demo's send_at is past (force); each engine's export replaces the one before (replace)
    result = export_campaign(s, camp(s, "dormant_winback"), out=out, force=True, replace=True)
    return {f.name: f.to_dict() for f in result.files} | {"_folder": result.folder}


def test_export_on_spark_and_postgres_writes_the_same_files(duck, spark, pg, approved, tmp_path):
    """Approved once; exported from each engine; audience and holdout files byte-identical."""
    want = _export(duck, tmp_path / "duck")
    assert want["audience.csv"]["rows"] > 0 and want["holdout.csv"]["rows"] > 0
    for s in (spark, pg):
        got = _export(s, tmp_path / s.engine.kind)
        for name in ("audience.csv", "holdout.csv"):
            assert got[name]["sha256"] == want[name]["sha256"], (s.engine.kind, name)
        manifest = json.loads((got["_folder"] / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["snapshot"]["engine"].startswith(s.engine.kind)
        assert manifest["counts"]["recipients"] == want["audience.csv"]["rows"]


def test_cli_preview_on_postgres_matches_duckdb(duck, pg, parity_ws):
    """`kizuna preview --engine postgres --json` shows DuckDB's funnel, arms and samples."""
    from typer.testing import CliRunner

    from tui.cli.main import app

    def run(*extra: str) -> dict:
        args = ["preview", "cart_sms", "-n", "2", "--json", "-w", str(parity_ws), *extra]
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    want, got = run(), run("--engine", "postgres")
    for key in ("count", "base", "funnel", "arms", "samples"):
        assert got[key] == want[key], key
    assert got["preflight"]["recipients"] == want["preflight"]["recipients"]
    assert got["preflight"]["ok"] == want["preflight"]["ok"]
