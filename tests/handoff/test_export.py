"""Export: refusals, what reaches the files, manifest integrity, reproducibility, the ledger."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import pytest

from queries.campaigns.funnel import policy_funnel
from queries.handoff import audit, ledger
from queries.handoff.export.run import export_campaign
from queries.handoff.export.write import write_export
from queries.handoff.refusals import (
    ChangedSinceApproval,
    DriftExceeded,
    NotApproved,
    PreflightFailed,
    ReplaceNeeded,
)
from queries.query.session import Session
from tests.handoff_tools import approved, load, read_csv, write_campaign


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


def _visible(folder: Path) -> list[str]:
    return (
        sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        if folder.is_dir()
        else []
    )


def test_unapproved_campaign_is_refused_and_audited(ws: Path, session: Session) -> None:
    c = load(session)
    with pytest.raises(NotApproved, match="kizuna approve spring"):
        export_campaign(session, c)
    assert _visible(ws / "exports" / "spring") == []
    (entry,) = audit.read(session.ws, "spring")
    assert entry["result"] == "refused" and entry["reason"] == "not_approved"


def test_a_change_to_a_referenced_segment_blocks_the_export(ws: Path, session: Session) -> None:
    c, _ = approved(session)
    seg = ws / "segments" / "base.yaml"  # referenced by everyone.yaml, not by the campaign
    seg.write_text(seg.read_text() + "description: edited\n", "utf-8")
    with pytest.raises(ChangedSinceApproval, match=r"segments/base\.yaml changed"):
        export_campaign(session, c)
    (ws / "templates" / "spring.liquid").write_text("<p>new</p>\n", "utf-8")
    with pytest.raises(ChangedSinceApproval) as exc:
        export_campaign(session, c)
    assert "templates/spring.liquid changed" in str(exc.value)
    assert audit.read(session.ws)[-1]["detail"]["changes"]


def test_full_export_in_a_worker_process(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    seen: list[tuple[int, int]] = []
    first = export_campaign(session, c, progress=lambda d, t: seen.append((d, t)))
    with pytest.raises(ReplaceNeeded, match=r"exported before: the export of .*4 recipients"):
        export_campaign(session, c)  # a re-export must say it replaces the first one
    second = export_campaign(session, c, replace=True)
    replaced = second.manifest.replaces
    assert replaced is not None
    assert replaced["export_id"] == first.manifest.export_id and replaced["recipients"] == 4
    assert first.manifest.replaces is None
    assert first.folder != second.folder and first.folder.parent == ws / "exports" / "spring"
    assert seen[-1] == (first.recipients, first.recipients)
    a, b = (r.folder / "audience.csv" for r in (first, second))
    assert a.read_bytes() == b.read_bytes()  # exporting twice gives identical files
    m = json.loads((first.folder / "manifest.json").read_text("utf-8"))
    assert sorted(f["name"] for f in m["files"]) == ["audience.csv", "campaign.json", "holdout.csv"]
    for f in m["files"]:  # the manifest's counts and hashes match the files
        data = (first.folder / f["name"]).read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
        if f["rows"] is not None:
            assert f["rows"] == data.count(b"\r\n") - 1
    for p in first.folder.iterdir():
        assert p.stat().st_mode & 0o777 == 0o600
    assert m["policies_off"] == ["consent", "frequency_cap"] and m["forced"] is False
    audience = read_csv(a)
    held = {r["customer_id"] for r in read_csv(first.folder / "holdout.csv")}
    assert held and not held & {r["customer_id"] for r in audience}
    assert len(audience) == m["counts"]["recipients"] == rec.recipients
    assert {r["variant"] for r in audience} <= {"A", "B"}
    spec = json.loads((first.folder / "campaign.json").read_text("utf-8"))
    assert set(spec["sql"]) == {"duckdb", "spark", "trino", "bigquery", "snowflake", "postgres"}
    assert spec["approval"]["approved_by"] == "hanako" and spec["as_of"] == "2026-03-01"
    log = (ws / ".kizuna" / "audit.log").read_text("utf-8")
    assert '"result": "ok"' in log
    for personal in ("C01", "taro@", "佐藤", "+8190"):  # the audit log holds no personal data
        assert personal not in log


def test_nobody_unsafe_is_ever_exported(ws: Path, session: Session) -> None:
    write_campaign(ws, "safe", policy="")  # every policy on
    c, rec = approved(session, "safe")
    m = write_export(session, c, rec, ws / "exports", "E1")
    ids = {r["customer_id"] for r in read_csv(Path(m["folder"]) / "audience.csv")}
    ids |= {r["customer_id"] for r in read_csv(Path(m["folder"]) / "holdout.csv")}
    # no consent: C03 C05 C06 C08; suppressed: C04 (by email); over the cap: C01
    assert ids == {"C02", "C07"}


def test_one_row_per_address(ws: Path, session: Session) -> None:
    write_campaign(
        ws,
        "dup",
        policy="policy: {require_consent: false, suppression: false, max_contacts: none}\n",
    )
    c, rec = approved(session, "dup")
    m = write_export(session, c, rec, ws / "exports", "E1", fast=False)
    emails = [r["email"].strip().lower() for r in read_csv(Path(m["folder"]) / "audience.csv")]
    assert len(emails) == len(set(emails))


def test_drift_beyond_the_limit_stops_unless_forced(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    rec = dataclasses.replace(rec, recipients=rec.recipients * 2)  # as if twice as many approved
    with pytest.raises(DriftExceeded, match="drift_limit"):
        write_export(session, c, rec, ws / "exports", "E1")
    assert _visible(ws / "exports" / "spring") == []
    m = write_export(session, c, rec, ws / "exports", "E1", force=True)
    assert m["forced"] is True and m["drift"]["percent"] == 50.0


def test_preflight_problems_stop_the_export(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    c.templates[("B", "body")] = load_broken(session)
    with pytest.raises(PreflightFailed, match="render_error"):
        write_export(session, c, rec, ws / "exports", "E1")
    assert _visible(ws / "exports" / "spring") == []
    assert not list((ws / "exports" / "spring").glob(".*"))


def load_broken(session: Session):
    from queries.campaigns.personalize import compile_template
    from queries.core.errors import Location

    return compile_template(
        "{{ points | divided_by: 0 }}", "body", Location("x"), session.catalog.fields, False
    )


def test_reexport_replaces_the_ledger_and_the_next_campaign_counts_it(
    ws: Path, session: Session
) -> None:
    c, rec = approved(session)
    m1 = write_export(session, c, rec, ws / "exports", "E1")
    path = ledger.file_for(session.ws, "spring")
    rows = (
        session.snapshot.cursor()
        .execute(f"SELECT campaign, customer_id, channel, export_id FROM read_parquet('{path}')")
        .fetchall()
    )
    assert len(rows) == m1["counts"]["recipients"] and {r[0] for r in rows} == {"spring"}
    m2 = write_export(session, c, rec, ws / "exports", "E2")
    rows2 = (
        session.snapshot.cursor()
        .execute(f"SELECT export_id FROM read_parquet('{path}')")
        .fetchall()
    )
    assert len(rows2) == len(rows) and {r[0] for r in rows2} == {m2["export_id"]}
    # the campaign's own ledger never caps its re-export...
    assert policy_funnel(session, c).recipients == m1["counts"]["recipients"]
    # ...but another campaign with a cap of 1 contact in 7 days drops everyone just exported
    write_campaign(
        ws,
        "next",
        policy="policy: {require_consent: false, max_contacts: "
        "{count: 1, within: 7d, channels: [email]}}\n",
    )
    nxt = policy_funnel(session, load(session, "next"))
    cap = next(st for st in nxt.steps if st.key == "frequency_cap")
    assert cap.removed >= m1["counts"]["recipients"]


def test_fast_copy_path_and_python_writer_give_identical_files(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    a = write_export(session, c, rec, ws / "exports", "E1", messages=False, fast=True)
    b = write_export(session, c, rec, ws / "exports", "E2", messages=False, fast=False)
    assert a["fast_path"] is True and b["fast_path"] is False
    fa, fb = (Path(m["folder"]) / "audience.csv" for m in (a, b))
    assert fa.read_bytes() == fb.read_bytes()
    assert fa.read_bytes().startswith(b"customer_id,email,variant,coupon,family_name")
    assert os.stat(fa).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("messages", [False, None])
def test_fast_path_redraws_clashing_coupons_like_the_allocator(
    tmp_path: Path, messages: bool | None
) -> None:
    """17k recipients with 5-symbol codes clash a few times: COPY re-draws them exactly, with
    the rendered messages (the lookup path) and without."""
    import shutil

    from queries.query.session import open_session

    root = Path(__file__).resolve().parents[2]
    ws = tmp_path / "demo"
    ws.mkdir()
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{(root / "demo.duckdb").as_posix()}"\n')
    if (root / ".kizuna" / "cache").is_dir():
        shutil.copytree(root / ".kizuna" / "cache", ws / ".kizuna" / "cache")
    path = write_campaign(ws)
    path.write_text(path.read_text("utf-8").replace("length: 6", "length: 5"), "utf-8")
    s = open_session(ws)
    try:
        c, rec = approved(s)
        a = write_export(s, c, rec, ws / "exports", "E1", messages=messages, fast=True)
        b = write_export(s, c, rec, ws / "exports", "E2", messages=messages, fast=False)
    finally:
        s.close()
    assert a["fast_path"] is True and b["fast_path"] is False
    fa, fb = ((Path(m["folder"]) / "audience.csv").read_bytes() for m in (a, b))
    assert fa == fb
    codes = [r["coupon"] for r in read_csv(Path(a["folder"]) / "audience.csv")]
    assert len(codes) == len(set(codes)) == a["counts"]["recipients"] > 10_000


def test_one_export_per_campaign_at_a_time(ws: Path, session: Session) -> None:
    from queries.handoff.refusals import ExportBusy

    c, _ = approved(session)
    lock = ws / ".kizuna" / "locks" / "export-spring.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(str(os.getpid()))  # a live holder
    with pytest.raises(ExportBusy, match="running"):
        export_campaign(session, c)
    assert audit.read(session.ws, "spring")[-1]["reason"] == "busy"
