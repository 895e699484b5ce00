"""Helpers for the TUI tests: a frozen clock, waiting for workers, reading the screen."""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import date
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerState

from tui.app import KizunaApp

TODAY = date(2026, 3, 4)  # three days after the fixture's as-of: not stale


def async_test(fn):
    """Run an async test with asyncio.run (no pytest async plugin is installed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def make_app(workspace: Path, today: date = TODAY, **kwargs) -> KizunaApp:
    """The real app over a workspace, with the wall clock and the timer frozen."""
    return KizunaApp(workspace=workspace, today=lambda: today, monotonic=lambda: 100.0, **kwargs)


def busy(app: KizunaApp) -> list:
    return [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]


async def settle(pilot: Pilot, timeout: float = 15.0) -> None:
    """Wait until the session is open and no worker is pending or running."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.02)
        if not busy(app):
            await pilot.pause()
            if not busy(app):
                return
    raise AssertionError(f"app still busy: {busy(app)}")


async def type_text(pilot: Pilot, text: str) -> None:
    """Type characters one by one, as a person would (no pauses: as fast as possible)."""
    await pilot.press(*[_key(ch) for ch in text])


def _key(ch: str) -> str:
    return {
        " ": "space",
        ",": "comma",
        ".": "full_stop",
        "-": "minus",
        ">": "greater_than",
        "=": "equals_sign",
    }.get(ch, ch)


def freeze_cursors(app: KizunaApp) -> None:
    """No blinking cursor in screenshots."""
    for screen in app.screen_stack:
        for inp in screen.query(Input):
            inp.cursor_blink = False


def test_type_keys_map_punctuation() -> None:
    assert _key(",") == "comma" and _key("a") == "a"
