"""The contact ledger: staged beside its file, committed only with its export, crash-safe."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import duckdb
from sqlglot import exp

from queries.handoff import ledger
from queries.query import contacts
from queries.query.session import Session

STATUS = exp.Table(this=exp.to_identifier("kz_status"))


def _status(session: Session) -> duckdb.DuckDBPyConnection:
    cur = session.snapshot.cursor()
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE kz_status AS SELECT * FROM (VALUES "
        "('C01', NULL, 'A'), ('C02', NULL, 'holdout'), ('C03', 'consent', 'A'), ('C07', NULL, 'B')"
        ") t(customer_id, kz_step, kz_arm)"
    )
    return cur


def _stage(session: Session, cur, export_id: str, folder: Path) -> Path:
    sel = ledger.rows_select(STATUS, "camp", "email", datetime(2026, 3, 5, 1, 0), export_id)
    return ledger.stage(
        cur, sel, session.ws, "camp", {"export_id": export_id, "folder": str(folder)}
    )


def test_stage_then_commit_writes_recipients_only(session: Session, tmp_path: Path) -> None:
    cur = _status(session)
    partial = _stage(session, cur, "E1", tmp_path)
    assert partial.is_file() and not ledger.file_for(session.ws, "camp").exists()
    assert contacts.other_files(session.ws, "x") == []  # a staged file is never read
    ledger.commit(session.ws, "camp")
    path = ledger.file_for(session.ws, "camp")
    rows = cur.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY 2").fetchall()
    assert [r[1] for r in rows] == ["C01", "C07"]  # no holdout, nobody a policy removed
    assert rows[0] == ("camp", "C01", "email", datetime(2026, 3, 5, 1, 0), "E1")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert contacts.other_files(session.ws, "x") == [path.resolve()]
    assert contacts.other_files(session.ws, "camp") == []


def test_recover_commits_when_the_export_folder_exists(session: Session, tmp_path: Path) -> None:
    cur = _status(session)
    done = tmp_path / "E1"
    done.mkdir()
    _stage(session, cur, "E1", done)
    assert ledger.recover(session.ws) == ["committed camp"]
    assert ledger.file_for(session.ws, "camp").is_file()


def test_recover_discards_when_the_export_never_finished(session: Session, tmp_path: Path) -> None:
    cur = _status(session)
    partial = _stage(session, cur, "E2", tmp_path / "never")
    assert ledger.recover(session.ws) == ["discarded camp"]
    assert not partial.exists() and not ledger.file_for(session.ws, "camp").exists()
    stray = ledger.folder(session.ws) / ".camp.E3.parquet.partial"
    stray.write_bytes(b"x")
    old = time.time() - ledger.STALE_S - 10
    os.utime(stray, (old, old))
    ledger.recover(session.ws)
    assert not stray.exists()
