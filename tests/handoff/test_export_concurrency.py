"""Exports at the same moment: the workspace lock keeps every cap; a snapshot replaced
mid-export publishes nothing. Separate processes, checked with independent SQL."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from queries.core.errors import QueryCancelled
from queries.engines.jobs import Job
from queries.handoff import audit
from queries.handoff.export.run import export_campaign
from queries.handoff.locks import export_lock, holder
from queries.handoff.refusals import SnapshotChanged
from queries.query.session import open_session
from tests.cli.test_interrupt import kizuna_cmd
from tests.handoff_tools import approved, load, write_campaign
from tests.tui.test_tui_support import async_test

CAP = "policy: {require_consent: false, max_contacts: {count: 1, within: 7d}}\ndrift_limit: 100%\n"
ROOT = Path(__file__).resolve().parents[2]

EXPORT_ONE = """
import json, sys
from pathlib import Path
from queries.query.session import open_session
from queries.campaigns.parse import load_campaign
from queries.handoff.export.run import export_campaign
ws, stem = Path(sys.argv[1]), sys.argv[2]
s = open_session(ws)
c = load_campaign(ws / "campaigns" / f"{stem}.yaml", s.catalog, s.ws.root, s.store)
r = export_campaign(s, c, batch_size=1, pause=0.25, fast=False)  # a slow writer
print(json.dumps({"stem": stem, "recipients": r.recipients, "folder": str(r.folder)}))
"""


@pytest.fixture()
def cap_ws(tmp_path: Path, fixture_db: Path) -> Path:
    """Two capped campaigns over the same people, both approved, on a private snapshot copy."""
    db = tmp_path / "snap.duckdb"
    shutil.copy(fixture_db, db)
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    for stem in ("alpha", "beta"):
        write_campaign(ws, stem, policy=CAP)
    s = open_session(ws)
    try:
        for stem in ("alpha", "beta"):
            approved(s, stem)
    finally:
        s.close()
    return ws


def _audience_ids(folder: Path) -> set[str]:
    con = duckdb.connect()
    try:
        path = str(folder / "audience.csv")
        sql = "SELECT customer_id FROM read_csv(?, header=true, all_varchar=true)"
        return {r[0] for r in con.execute(sql, [path]).fetchall()}
    finally:
        con.close()


def _over_cap(ws: Path, db: Path) -> list[tuple]:
    """Independent SQL: exported people contacted more than once in the 7 days to the as-of,
    counting the snapshot's message history and every campaign's ledger rows."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{db.as_posix()}' AS snap (READ_ONLY)")
        files = [str(p) for p in (ws / ".kizuna" / "ledger").glob("*.parquet")]
        return con.execute(
            """
            WITH day AS (SELECT max(as_of)::DATE AS d FROM snap.snapshot_meta),
            contacts AS (
              SELECT customer_id FROM snap.messages, day
              WHERE sent_at::DATE BETWEEN d - 6 AND d
              UNION ALL
              SELECT customer_id FROM read_parquet(?)
            )
            SELECT customer_id, count(*) FROM contacts
            WHERE customer_id IN (SELECT customer_id FROM read_parquet(?))
            GROUP BY 1 HAVING count(*) > 1
            """,
            [files, files],
        ).fetchall()
    finally:
        con.close()


def test_two_capped_campaigns_exported_at_once_in_two_processes_never_exceed_the_cap(cap_ws):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EXPORT_ONE, str(cap_ws), stem],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for stem in ("alpha", "beta")
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    counts = sorted(r["recipients"] for r in results)
    assert counts[0] == 0 and counts[1] > 0, results  # the second sees the first's ledger rows
    first, second = sorted(results, key=lambda r: -r["recipients"])
    assert _audience_ids(Path(first["folder"])).isdisjoint(_audience_ids(Path(second["folder"])))
    assert _over_cap(cap_ws, Path(str(cap_ws.parent / "snap.duckdb"))) == []


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 120) -> str:
    """Read the process's stderr until `needle` appears (or it ends / time runs out)."""
    assert proc.stderr is not None
    seen, deadline = b"", time.monotonic() + timeout
    while needle.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def test_cli_export_says_whose_export_it_waits_for_then_runs(cap_ws):
    s = open_session(cap_ws)
    try:
        with export_lock(s.ws, "alpha") as me:
            assert holder(s.ws) == me
            proc = subprocess.Popen(
                [*kizuna_cmd(), "export", "beta", "--workspace", str(cap_ws)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            seen = _read_until(proc, "waiting for the export of alpha")
            assert proc.poll() is None, seen  # still waiting, not failed
        _, err = proc.communicate(timeout=120)
    finally:
        s.close()
    seen += err.decode()
    assert proc.returncode == 0, seen
    assert f"waiting for the export of alpha (started by {me.user} at {me.started_at})" in seen
    assert holder(s.ws) is None


def test_a_waiting_export_can_be_cancelled_and_writes_nothing(cap_ws):
    s = open_session(cap_ws)
    try:
        c = load(s, "beta")
        told: list[str] = []
        cancel = Job()

        def waiting(text: str) -> None:
            told.append(text)
            cancel.cancel()  # the user presses cancel as soon as they see the message

        with export_lock(s.ws, "alpha"), pytest.raises(QueryCancelled):
            export_campaign(s, c, cancel=cancel, waiting=waiting)
        assert told and told[0].startswith("waiting for the export of alpha")
        folder = cap_ws / "exports" / "beta"
        assert not folder.exists() or list(folder.iterdir()) == []
        assert not (cap_ws / ".kizuna" / "ledger" / "beta.parquet").exists()
        assert audit.read(s.ws, "beta")[-1]["result"] == "cancelled"
    finally:
        s.close()


def test_ctrl_c_while_waiting_exits_130_and_writes_nothing(cap_ws):
    s = open_session(cap_ws)
    try:
        with export_lock(s.ws, "alpha"):
            proc = subprocess.Popen(
                [*kizuna_cmd(), "export", "beta", "--workspace", str(cap_ws)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            seen = _read_until(proc, "waiting for the export of alpha")
            proc.send_signal(2)
            _, err = proc.communicate(timeout=60)
    finally:
        s.close()
    assert proc.returncode == 130, seen + err.decode()
    assert "Traceback" not in err.decode()
    folder = cap_ws / "exports" / "beta"
    assert not folder.exists() or list(folder.iterdir()) == []


def _refresh(db: Path) -> None:
    """What a snapshot writer does: build the new file aside and rename it over the old one."""
    new = db.with_name("refresh.duckdb")
    shutil.copy(db, new)
    con = duckdb.connect(str(new))
    try:  # the refresh suppresses everyone
        con.execute(
            "INSERT INTO suppression_list SELECT customer_id, NULL, 'all', 'refresh', now() "
            "FROM customers"
        )
    finally:
        con.close()
    os.replace(new, db)


def test_a_snapshot_replaced_during_an_export_publishes_nothing(cap_ws):
    db = cap_ws.parent / "snap.duckdb"
    s = open_session(cap_ws)
    try:
        c = load(s, "alpha")
        replaced: list[bool] = []

        def progress(done: int, total: int) -> None:
            if not replaced:  # the writer is past the funnel, writing the audience
                _refresh(db)
                replaced.append(True)

        with pytest.raises(SnapshotChanged) as info:
            export_campaign(s, c, progress=progress, batch_size=1, pause=0.05, fast=False)
        assert replaced
        assert "changed during the export" in str(info.value)
        assert "nothing was published" in str(info.value)
        folder = cap_ws / "exports" / "alpha"
        assert not folder.exists() or list(folder.iterdir()) == []  # no folder, no partial
        ledger = cap_ws / ".kizuna" / "ledger"
        assert not ledger.exists() or list(ledger.iterdir()) == []
        entry = audit.read(s.ws, "alpha")[-1]
        assert entry["result"] == "refused" and entry["reason"] == "snapshot_changed"
    finally:
        s.close()


@async_test
async def test_tui_export_screen_shows_whose_export_it_waits_for_and_cancels(cap_ws):
    from textual.widgets import Static

    from tests.tui.test_tui_support import make_app, settle
    from tui.screens.handoff.campaign_export import ExportScreen

    app = make_app(cap_ws)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        with export_lock(app.session.ws, "alpha") as me:
            screen = ExportScreen(cap_ws / "campaigns" / "beta.yaml")
            await app.push_screen(screen)
            await settle(pilot)
            await pilot.press("e")
            status = ""
            for _ in range(1200):  # the writer process starts, then waits for the lock
                await pilot.pause(0.05)
                status = str(screen.query_one("#export-status", Static).render())
                if "waiting for the export" in status:
                    break
            assert f"waiting for the export of alpha (started by {me.user}" in status
            assert screen.running
            await pilot.press("escape")
            await settle(pilot, timeout=20)
        assert "cancelled" in str(screen.query_one("#export-status", Static).render())
        assert screen.result is None
        folder = cap_ws / "exports" / "beta"
        assert not folder.exists() or list(folder.iterdir()) == []
