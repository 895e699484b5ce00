"""Approval refuses what the export would refuse: a send time already past, an oversized cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.handoff import audit
from queries.handoff.approval import approval_path, approve, review
from queries.handoff.checks import send_time_passed
from queries.handoff.export.run import export_campaign
from queries.handoff.export.write import write_export
from queries.handoff.refusals import FieldTooLong, PreflightFailed, SendTimePassed
from queries.query.session import Session
from tests.handoff_tools import load, write_campaign
from tui.cli.main import app

PAST = "when: {send_at: 2020-01-01T10:00:00+09:00}\n"
FUTURE = "when: {send_at: 2099-01-01T10:00:00+09:00}\n"


def _campaign(ws: Path, extra: str = "", dest: str = "generic_csv") -> None:
    path = write_campaign(ws, dest=dest)
    text = path.read_text("utf-8")
    if dest != "generic_csv":
        text = text.replace(f"destination: {dest}", f"destination: {dest}, include_messages: true")
    path.write_text(text + extra, "utf-8")


def test_a_past_send_time_stops_approval_unless_forced(workspace: Path, session: Session) -> None:
    _campaign(workspace, PAST)
    c = load(session)
    rv = review(session, c)
    assert rv.preflight.ok  # nothing else stands in the way
    with pytest.raises(SendTimePassed) as refused:
        approve(session, rv, "hanako")
    said = str(refused.value)
    # the export's own check and words, naming approve's --force
    assert said.startswith("`send_at` 2020-01-01T10:00:00+09:00 is already past (")
    assert said.split(" ago); ")[1] == send_time_passed(c, step="approve").split(" ago); ")[1]
    assert "approve with --force" in said
    assert not approval_path(session.ws, "spring").exists()
    last = audit.read(session.ws, "spring")[-1]
    assert last["result"] == "refused" and last["reason"] == "send_time_passed"
    rec = approve(session, rv, "hanako", force=True)  # the override is recorded...
    assert rec.send_at_passed is True and rec.preflight["overridden"] is False
    assert audit.read(session.ws, "spring")[-1]["forced"] is True
    with pytest.raises(SendTimePassed, match="export with --force"):
        export_campaign(session, c)  # ...and the export still asks for its own


def test_a_send_time_ahead_is_approved(workspace: Path, session: Session) -> None:
    _campaign(workspace, FUTURE)
    rec = approve(session, review(session, load(session)), "hanako")
    assert rec.send_at_passed is False and "forced" not in audit.read(session.ws, "spring")[-1]


def test_cli_approve_refuses_a_past_send_time_and_force_goes_past(workspace: Path) -> None:
    _campaign(workspace, PAST)
    args = ["approve", "spring", "--by", "hanako", "-y", "--workspace", str(workspace)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code != 0
    said = " ".join(r.output.split())
    assert "already past" in said and "approve with --force" in said
    assert "Traceback" not in r.output
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code != 0 and json.loads(r.stdout)["approved"] is False
    r = CliRunner().invoke(app, [*args, "--force"])
    assert r.exit_code == 0, r.output


def test_a_message_over_the_presets_field_limit_stops_approval(
    workspace: Path, session: Session
) -> None:
    _campaign(workspace, dest="mailchimp")  # 255 bytes a field; the body is longer for some
    long_body = "<p>{{ family_name }}様 " + "お知らせ" * 20 + " {{ coupon }}</p>\n"
    (workspace / "templates" / "spring.liquid").write_text(long_body, "utf-8")
    c = load(session)
    rv = review(session, c)
    (finding,) = [f for f in rv.preflight.findings if f.kind == "field_too_long"]
    assert "`body`" in finding.detail and "255-byte" in finding.detail
    with pytest.raises(PreflightFailed):
        approve(session, rv, "hanako")
    rec = approve(session, rv, "hanako", force=True)
    with pytest.raises(FieldTooLong):  # what the approval now names up front
        write_export(session, c, rec, workspace / "exports", "E1")
