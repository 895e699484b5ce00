"""The export request the parent sends the worker: typed, one JSON line, nothing lost or added."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.handoff.export.request import ExportRequest


def test_a_request_survives_the_trip_to_the_worker() -> None:
    req = ExportRequest(
        workspace=Path("/w"),
        db=Path("/w/demo.duckdb"),
        campaign=Path("/w/campaigns/誕生日.yaml"),
        approval={"approved_by": "佐藤", "fingerprint": {"sha256": "ab"}},
        out=Path("/w/exports"),
        export_id="20261202T000000Z",
        engine="duckdb",
        force=True,
        messages=False,
        past_send=True,
        replaces={"export_id": "20261201T000000Z", "recipients": 3},
    )
    line = req.to_json()
    assert "\n" not in line and "誕生日" in line  # one line, Japanese kept as written
    assert ExportRequest.from_json(line) == req


def test_an_unknown_key_is_refused_not_dropped() -> None:
    line = ExportRequest(Path("/w"), Path("/d"), Path("/c"), {}, Path("/o"), "x").to_json()
    with pytest.raises(ValueError, match="unknown export request keys: forse"):
        ExportRequest.from_json(line[:-1] + ', "forse": true}')
