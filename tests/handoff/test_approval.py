"""Approval: the record, the preflight gate, who entered and left, the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from queries.handoff import audit
from queries.handoff.approval import approval_path, approve, review
from queries.handoff.export.write import write_export
from queries.handoff.refusals import EncodingFailed, NotApproved, PreflightFailed
from queries.query.session import Session
from tests.handoff_tools import approved, load, write_campaign


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


def test_approval_records_who_when_counts_and_fingerprints(ws: Path, session: Session) -> None:
    _, rec = approved(session)
    on_disk = json.loads(approval_path(session.ws, "spring").read_text("utf-8"))
    assert on_disk == rec.to_dict()
    assert rec.approved_by == "hanako" and rec.approved_at.endswith("+00:00")
    assert set(rec.fingerprint.files) == {
        "campaigns/spring.yaml",
        "segments/everyone.yaml",
        "segments/base.yaml",  # referenced by everyone.yaml
        "templates/spring.liquid",
    }
    assert len(rec.fingerprint.catalog) == 64
    assert rec.recipients == 4 and rec.holdout == 1
    assert rec.policies_off == ["consent", "frequency_cap"]
    assert rec.preflight == {"ok": True, "findings": [], "overridden": False}
    (entry,) = audit.read(session.ws, "spring")
    assert entry["action"] == "approve" and entry["result"] == "ok" and entry["by"] == "hanako"
    assert entry["who"]["os_user"] and "ssh" in entry["who"]


def test_a_new_review_lists_changed_definitions(ws: Path, session: Session) -> None:
    approved(session)
    (ws / "templates" / "spring.liquid").write_text("<p>{{ coupon }}</p>\n", "utf-8")
    rv = review(session, load(session))
    assert rv.definition_changes == ["templates/spring.liquid changed"]


def test_preflight_problems_block_approval_and_cp932_names_the_rows(
    ws: Path, session: Session
) -> None:
    write_campaign(ws, "sjis", encoding="cp932")
    c = load(session, "sjis")
    rv = review(session, c)
    (finding,) = rv.preflight.findings
    assert finding.kind == "unencodable" and "U+20BB7" in finding.detail
    assert finding.customers == ["C05"]  # 𠮷野
    with pytest.raises(PreflightFailed, match="--force"):
        approve(session, rv, "hanako")
    assert audit.read(session.ws, "sjis")[-1]["result"] == "refused"
    assert not approval_path(session.ws, "sjis").exists()
    rec = approve(session, rv, "hanako", force=True)  # an override is recorded...
    assert rec.preflight["overridden"] is True
    with pytest.raises(EncodingFailed, match=r"row 3 \(customer C05\), column `family_name`"):
        write_export(session, c, rec, ws / "exports", "E1")  # ...but the export still refuses
    assert not any(p.name[0] != "." for p in (ws / "exports" / "sjis").iterdir())


def test_approver_name_is_required(ws: Path, session: Session) -> None:
    with pytest.raises(NotApproved, match="--by"):
        approve(session, review(session, load(session)), "  ")


def test_who_entered_and_left_since_the_last_export(ws: Path, session: Session) -> None:
    rv = review(session, load(session))
    assert rv.changes is None  # never exported
    folder = ws / ".kizuna" / "ledger"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'spring' AS campaign, id AS customer_id, 'email' AS channel, "
        "TIMESTAMP '2026-02-20 10:00:00' AS contacted_at, 'E0' AS export_id "
        "FROM (VALUES ('C01'), ('C04'), ('C99')) t(id)) "
        f"TO '{folder / 'spring.parquet'}' (FORMAT parquet)"
    )
    ch = review(session, load(session)).changes
    assert ch is not None and ch.last_export == "E0" and ch.previous == 3
    # recipients now: C01 C02 C05 C07 (C03 is in the holdout)
    assert ch.entered == 3 and ch.entered_ids == ["C02", "C05", "C07"]
    assert ch.left == 2 and ch.left_ids == ["C04", "C99"]
    assert ch.left_by_step == {"suppression": 1, "segment": 1}
