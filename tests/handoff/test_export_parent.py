"""The export parent works from files: it never opens an engine; the worker does, and its
refusals reach the person with the same words and the same audit entry as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import queries.engines
import queries.query.session
import tui.cli.main
from queries.handoff import audit
from queries.handoff.export.run import export_campaign
from queries.query.remote import EngineSnapshot
from queries.query.session import Session
from queries.query.snapshot import Snapshot
from tests.handoff_tools import approved, write_campaign
from tui.cli.main import app


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way to open a session, a snapshot or an engine raises in this process."""

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the export parent opened an engine")

    real_connect = duckdb.connect

    def connect(database: Any = ":memory:", *a: Any, **k: Any) -> Any:
        if str(database) not in (":memory:", ""):  # (the ledger is read in memory)
            refuse()
        return real_connect(database, *a, **k)

    for target in (queries.query.session, tui.cli.main):
        monkeypatch.setattr(target, "open_session", refuse, raising=False)  # (lazy in main)
    monkeypatch.setattr(queries.engines, "make_engine", refuse)
    monkeypatch.setattr(Snapshot, "__init__", refuse)
    monkeypatch.setattr(EngineSnapshot, "__init__", refuse)
    monkeypatch.setattr(duckdb, "connect", connect)


def test_kizuna_export_opens_no_engine_in_the_parent(
    ws: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved(session)
    _no_engine(monkeypatch)
    r = CliRunner().invoke(app, ["export", "spring", "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert "Exported 4 recipients" in r.output
    (folder,) = (ws / "exports" / "spring").iterdir()
    assert (folder / "manifest.json").is_file()


def test_a_refusal_from_the_worker_keeps_its_words_and_audit(
    ws: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved(session)
    seg = ws / "segments" / "base.yaml"
    seg.write_text(seg.read_text() + "description: edited\n", "utf-8")
    _no_engine(monkeypatch)
    r = CliRunner().invoke(app, ["export", "spring", "--workspace", str(ws)])
    assert r.exit_code == 1
    assert "`spring` changed since it was approved by hanako" in r.output
    assert "segments/base.yaml changed" in r.output
    entry = audit.read(session.ws, "spring")[-1]
    # refused before writing: the entry the parent's own check wrote (no approver, no hash)
    assert entry["result"] == "refused" and entry["reason"] == "changed"
    assert entry["detail"] == {"changes": ["segments/base.yaml changed"]}
    assert "approved_by" not in entry and "fingerprint" not in entry


def test_the_tui_path_runs_nothing_on_its_open_engine(
    ws: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = approved(session)

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the export parent ran something on the engine")

    for name in ("run", "stream", "materialise", "cursor"):
        if hasattr(session.engine, name):
            monkeypatch.setattr(session.engine, name, refuse)
    monkeypatch.setattr(session.snapshot, "cursor", refuse)
    res = export_campaign(session, c)
    assert res.recipients == 4 and (res.folder / "audience.csv").is_file()
