"""Pilot tests of the approve and export screens over a copy of the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from queries.handoff import audit
from queries.handoff.export import spare
from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle
from tui.app import KizunaApp
from tui.screens.handoff.campaign_approve import ApproveScreen
from tui.screens.handoff.campaign_export import ExportScreen

SIZE = (110, 40)
STEM = "dormant_winback"


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def exports(ws: Path) -> list[Path]:
    folder = ws / "exports" / STEM
    return sorted(p for p in folder.iterdir()) if folder.is_dir() else []


async def approve_on_screen(
    pilot, app: KizunaApp, ws: Path, by: str = "tester", force: bool = True
) -> ApproveScreen:
    """Open the approve screen, wait for the review, type the name and press A (with “force”
    ticked by default: the demo's send_at is already past on the wall clock)."""
    screen = ApproveScreen(ws / "campaigns" / f"{STEM}.yaml")
    await app.push_screen(screen)
    await settle(pilot)
    assert screen.review is not None, text(screen, "#approve-status")
    screen.query_one("#approver", Input).value = by
    screen.query_one("#approve-scroll").focus()
    if force:
        await pilot.press("f")
    await pilot.press("A")
    await pilot.pause()
    return screen


@async_test
async def test_approve_shows_the_review_and_writes_the_record(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await approve_on_screen(pilot, app, ws)
        review = text(screen, "#approve-review")
        assert "Policy funnel" in review and "→ recipients" in review
        assert "Preflight" in review and "Sample messages" in review
        assert "No earlier export" in review
        assert screen.record is not None
        path = app.session.ws.state_dir / "approvals" / f"{STEM}.json"
        rec = json.loads(path.read_text(encoding="utf-8"))
        assert rec["approved_by"] == "tester" and rec["preflight"]["ok"]
        assert str(path) in text(screen, "#approve-result")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ApproveScreen)


@async_test
async def test_approve_refuses_a_past_send_time_until_force_is_ticked(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await approve_on_screen(pilot, app, ws, force=False)
        status = text(screen, "#approve-status")
        assert "send time has passed" in status and "force" in status  # said before A
        assert screen.record is None
        refused = text(screen, "#approve-result")
        assert "Not approved" in refused and "is already past" in refused
        path = app.session.ws.state_dir / "approvals" / f"{STEM}.json"
        assert not path.exists()
        await pilot.press("f")  # tick “force” (recorded)
        await pilot.press("A")
        await pilot.pause()
        assert screen.record is not None and screen.record.send_at_passed is True
        assert json.loads(path.read_text(encoding="utf-8"))["send_at_passed"] is True


@async_test
async def test_approve_refuses_without_a_name(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await approve_on_screen(pilot, app, ws, by="  ")
        assert screen.record is None
        assert "Not approved" in text(screen, "#approve-result")
        assert not (app.session.ws.state_dir / "approvals" / f"{STEM}.json").exists()


@async_test
async def test_export_after_approval_writes_the_folder_and_manifest(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await approve_on_screen(pilot, app, ws)
        await pilot.press("escape")
        screen = ExportScreen(ws / "campaigns" / f"{STEM}.yaml")
        await app.push_screen(screen)
        await settle(pilot)
        assert "Approved" in text(screen, "#export-approval")
        assert "is already past" in text(screen, "#export-approval")  # the demo's send_at
        await pilot.press("e")
        await settle(pilot, timeout=30)
        assert screen.result is None and "send time has passed" in text(screen, "#export-result")
        await pilot.press("f")  # force past the send time (recorded)
        await pilot.press("e")
        await settle(pilot, timeout=30)
        assert screen.result is not None, text(screen, "#export-result")
        (folder,) = exports(ws)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        names = {f["name"] for f in manifest["files"]}
        assert {"audience.csv", "holdout.csv", "campaign.json"} <= names
        assert manifest["send_at_passed"] and manifest["forced"]
        shown = text(screen, "#export-result")
        assert str(folder) in shown and "audience.csv" in shown
        assert f"{screen.result.recipients:,}" in shown
        first = screen.result
        await pilot.press("e")  # again: the screen asks first, saying what it replaces
        await settle(pilot)
        asked = text(screen, "#export-status")
        assert "Replace?" in asked and f"{first.recipients:,} recipients" in asked
        assert len(exports(ws)) == 1
        await pilot.press("e")
        await settle(pilot, timeout=30)
        assert len(exports(ws)) == 2 and screen.result is not first
        assert screen.result.manifest.replaces["recipients"] == first.recipients
        assert "replaces the export of" in text(screen, "#export-result")


@async_test
async def test_the_export_screen_starts_a_writer_ahead_and_stops_it_on_leaving(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(ExportScreen(ws / "campaigns" / f"{STEM}.yaml"))
        await settle(pilot)
        waiting = spare._spare
        assert waiting is not None and waiting.proc.poll() is None  # imports while you read
        await pilot.press("escape")
        await settle(pilot)
        assert spare._spare is None and waiting.proc.poll() is not None


@async_test
async def test_export_of_an_unapproved_campaign_is_refused(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = ExportScreen(ws / "campaigns" / f"{STEM}.yaml")
        await app.push_screen(screen)
        await settle(pilot)
        assert "Not approved" in text(screen, "#export-approval")
        await pilot.press("e")
        await settle(pilot, timeout=30)
        shown = text(screen, "#export-result")
        assert "Not approved" in shown and "has not been approved" in shown
        assert screen.result is None and exports(ws) == []


@async_test
async def test_export_of_a_changed_campaign_lists_the_change(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await approve_on_screen(pilot, app, ws)
        await pilot.press("escape")
        path = ws / "campaigns" / f"{STEM}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        screen = ExportScreen(path)
        await app.push_screen(screen)
        await settle(pilot)
        assert "Changed since approved" in text(screen, "#export-approval")
        await pilot.press("e")
        await settle(pilot, timeout=30)
        shown = text(screen, "#export-result")
        assert "Changed since the approval" in shown and f"{STEM}.yaml" in shown
        assert exports(ws) == []


@async_test
async def test_cancel_during_export_leaves_no_finished_folder(ws: Path) -> None:
    app = demo_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await approve_on_screen(pilot, app, ws)
        await pilot.press("escape")
        screen = ExportScreen(ws / "campaigns" / f"{STEM}.yaml")
        screen.batch_size, screen.pause = 50, 5.0  # a slow writer, so there is time to cancel
        await app.push_screen(screen)
        await settle(pilot)
        await pilot.press("f")  # the demo's send_at is past
        await pilot.press("e")
        for _ in range(200):  # wait until the writer reports its first batch
            await pilot.pause(0.05)
            if "rows" in text(screen, "#export-status"):
                break
        assert screen.running
        await pilot.press("escape")
        await settle(pilot, timeout=15)
        assert "cancelled" in text(screen, "#export-status")
        assert screen.result is None
        assert [p for p in exports(ws) if not p.name.startswith(".")] == []
        assert audit.read(app.session.ws, STEM)[-1]["result"] == "cancelled"
        assert isinstance(app.screen, ExportScreen)  # esc cancels first, then goes back
