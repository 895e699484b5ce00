"""Cancelling an export, killing its worker, or losing its parent never leaves a finished-looking
folder, and the next export cleans up and succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from queries.core.errors import QueryCancelled
from queries.engines.jobs import Job
from queries.handoff import audit, ledger
from queries.handoff.approval_record import Approval
from queries.handoff.export.run import export_campaign
from queries.query.session import Session
from tests.handoff_tools import approved, write_campaign


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


def _folders(root: Path) -> tuple[list[str], list[str]]:
    names = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


def test_cancel_kills_the_worker_and_removes_its_partial_folder(ws: Path, session: Session) -> None:
    c, _ = approved(session)
    cancel = Job()
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        if done:  # the worker is writing (slowly): cancel now
            cancel.cancel()

    with pytest.raises(QueryCancelled):
        export_campaign(session, c, progress=progress, cancel=cancel, batch_size=1, pause=5.0)
    assert time.monotonic() - started < 20
    assert _folders(ws / "exports" / "spring") == ([], [])
    assert not ledger.file_for(session.ws, "spring").exists()
    assert audit.read(session.ws, "spring")[-1]["result"] == "cancelled"
    done = export_campaign(session, c)  # and the next export works
    assert _folders(ws / "exports" / "spring")[0] == [done.folder.name]


def _start_worker(session: Session, c, rec: Approval, pause: float) -> subprocess.Popen:
    req = {
        "workspace": str(session.ws.root),
        "db": str(session.snapshot.path),
        "campaign": str(c.path),
        "approval": rec.to_dict(),
        "out": str(session.ws.root / "exports"),
        "export_id": "20260301T000000Z",
        "batch_size": 1,
        "pause": pause,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "queries.handoff.export.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(req) + "\n").encode())
    proc.stdin.flush()
    return proc


def _wait_for_rows(proc: subprocess.Popen) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        ev = json.loads(line)
        assert "error" not in ev, ev
        if ev.get("phase") == "write" and ev.get("done"):
            return
    raise AssertionError("the worker never wrote a row")


def test_sigkill_mid_export_leaves_nothing_finished_looking(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    proc = _start_worker(session, c, rec, pause=5.0)
    _wait_for_rows(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    root = ws / "exports" / "spring"
    visible, hidden = _folders(root)
    assert visible == [] and len(hidden) == 1 and hidden[0].endswith(".partial")
    assert not ledger.file_for(session.ws, "spring").exists()
    done = export_campaign(session, c)  # the next start removes the dead worker's partial
    assert _folders(root) == ([done.folder.name], [])


def test_worker_exits_when_its_parent_goes_away(ws: Path, session: Session) -> None:
    c, rec = approved(session)
    proc = _start_worker(session, c, rec, pause=5.0)
    _wait_for_rows(proc)
    assert proc.stdin is not None
    proc.stdin.close()  # what the parent's death looks like from the worker
    assert proc.wait(timeout=10) == 3
    assert _folders(ws / "exports" / "spring")[0] == []
