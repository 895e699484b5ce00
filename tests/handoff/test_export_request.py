"""The export request the parent sends the worker: typed, one JSON line, nothing lost or added."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.handoff.approval_record import Approval
from queries.handoff.export.request import ExportRequest
from queries.handoff.fingerprint import Fingerprint

APPROVAL = Approval(
    campaign="誕生日",
    approved_by="佐藤",
    approved_at="2026-12-01T09:00:00+00:00",
    fingerprint=Fingerprint({"campaigns/誕生日.yaml": "ab" * 32}, "cd" * 32),
    recipients=3,
)


def test_a_request_survives_the_trip_to_the_worker() -> None:
    req = ExportRequest(
        workspace=Path("/w"),
        db=Path("/w/demo.duckdb"),
        campaign=Path("/w/campaigns/誕生日.yaml"),
        approval=APPROVAL,
        out=Path("/w/exports"),
        export_id="20261202T000000Z",
        engine="duckdb",
        force=True,
        replace=True,
        messages=False,
    )
    line = req.to_json()
    assert "\n" not in line and "誕生日" in line  # one line, Japanese kept as written
    back = ExportRequest.from_json(line)
    assert back.approval.to_dict() == req.approval.to_dict()  # the approval as on disk
    assert back.approval.to_json() == Approval.from_dict(APPROVAL.to_dict()).to_json()


def test_an_unknown_key_is_refused_not_dropped() -> None:
    line = ExportRequest(Path("/w"), Path("/d"), Path("/c"), APPROVAL, Path("/o"), "x").to_json()
    with pytest.raises(ValueError, match="unknown export request keys: forse"):
        ExportRequest.from_json(line[:-1] + ', "forse": true}')
