"""Helpers for the campaign screen tests: a demo workspace copy, a frozen clock, screen text."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from datetime import date
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from queries.query.session import open_session
from tests.tui.test_tui_support import settle
from tui.app import KizunaApp
from tui.screens.campaigns.campaign_edit import CampaignEditScreen
from tui.widgets.campaign_preview import CampaignPreview

ROOT = Path(__file__).resolve().parents[2]
DEMO_TODAY = date(2026, 11, 21)  # a day after the demo's as-of: not stale


@functools.cache
def demo_template() -> Path:
    """The demo workspace (segments, campaigns, templates) with its features cache, built once."""
    ws = Path(tempfile.mkdtemp(prefix="kizuna_campaign_tpl_"))
    atexit.register(shutil.rmtree, ws, True)
    for sub in ("segments", "campaigns", "templates"):
        shutil.copytree(ROOT / sub, ws / sub)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{(ROOT / "demo.duckdb").as_posix()}"\n')
    open_session(ws).close()
    return ws


def copy_demo(tmp_path: Path) -> Path:
    """A fresh copy of the demo workspace a test may write to."""
    ws = tmp_path / "ws"
    shutil.copytree(demo_template(), ws)
    return ws


def demo_app(workspace: Path) -> KizunaApp:
    return KizunaApp(workspace=workspace, today=lambda: DEMO_TODAY, monotonic=lambda: 100.0)


async def open_editor(
    pilot: Pilot, workspace: Path, stem: str, debounce: float = 0.15
) -> CampaignEditScreen:
    """Wait for the session, open campaigns/<stem>.yaml in the editor, wait for the preview."""
    await settle(pilot)
    screen = CampaignEditScreen(workspace / "campaigns" / f"{stem}.yaml")
    screen.debounce_s = debounce  # tests need not wait for a person to pause
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def paste(pilot: Pilot, text: str) -> None:
    """Paste text into the focused field, as a terminal does."""
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))  # the app hands it to the focused widget
    await pilot.pause()


def pane_text(screen: CampaignEditScreen) -> str:
    return screen.query_one(CampaignPreview).text


def status_text(screen: CampaignEditScreen) -> str:
    return str(screen.query_one("#cmp-status", Static).render())


def test_demo_today_is_after_the_demo_as_of() -> None:
    assert date(2026, 11, 20) < DEMO_TODAY
