"""After approving, the review says so, by whom (typed name, OS user, SSH origin) and when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from queries.handoff import audit
from tests.tui.test_tui_approve_export import STEM, approve_on_screen, text
from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_support import async_test, settle


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


@async_test
async def test_after_approving_the_review_says_approved_by_whom(ws: Path, monkeypatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "203.0.113.7 50000 10.0.0.2 22")
    monkeypatch.setattr(audit.getpass, "getuser", lambda: "marketer1")
    app = demo_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await approve_on_screen(pilot, app, ws, by="Aiko")
        status = text(screen, "#approve-status")
        assert "Approved" in status and "ready to approve" not in status
        assert "Aiko" in status and "marketer1" in status and "203.0.113.7" in status
        assert screen.query_one("#approve-btn", Button).disabled
        box = screen.query_one("#approver", Input)
        assert box.size.width >= 20 and box.size.height >= 1  # the name box keeps its size
        rec = json.loads((ws / ".kizuna" / "approvals" / f"{STEM}.json").read_text("utf-8"))
        assert rec["approved_by"] == "Aiko"
        assert rec["who"]["os_user"] == "marketer1" and rec["who"]["ssh"].startswith("203.0.113.7")


def test_who_text_names_user_and_ssh_origin():
    w = {"os_user": "root", "host": "box", "ssh": "198.51.100.1 1 2 3"}
    assert audit.who_text(w) == "OS user root@box, SSH from 198.51.100.1"
    assert "local" in audit.who_text({"os_user": "a", "host": None, "ssh": None})
