"""SVG snapshots of the key screens in Japanese and English at 80x24 (`pytest --snapshot-update`).

Segment list, builder, campaign editor and approval review: every label, sentence and key
description in the chosen language, and the full-width text fitting 80 columns. The clock,
the OS user and the send-time check are frozen so the screens are the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.test_tui_campaign_support import copy_demo, demo_app
from tests.tui.test_tui_snapshots import snap_ws, steps  # noqa: F401 (fixture)
from tests.tui.test_tui_support import freeze_cursors, make_app, settle
from tui.screens.campaigns.campaign_edit import CampaignEditScreen
from tui.screens.handoff.campaign_approve import ApproveScreen

SMALL = (80, 24)
LANGS = ["ja", "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_segment_list(snap_compare, snap_ws, lang):  # noqa: F811
    app = make_app(snap_ws, lang=lang)
    assert snap_compare(app, terminal_size=SMALL, run_before=steps())


@pytest.mark.parametrize("lang", LANGS)
def test_builder(snap_compare, snap_ws, lang):  # noqa: F811
    app = make_app(snap_ws, lang=lang)
    assert snap_compare(app, terminal_size=SMALL, run_before=steps("down", "enter"))


@pytest.mark.parametrize("lang", LANGS)
def test_condition_dialog(snap_compare, snap_ws, lang):  # noqa: F811
    run = steps("down", "enter", "a", text="tier", then=("enter", "down", "space"))
    assert snap_compare(make_app(snap_ws, lang=lang), terminal_size=SMALL, run_before=run)


@pytest.mark.parametrize("lang", LANGS)
def test_campaign_editor(snap_compare, tmp_path, lang):
    ws = copy_demo(tmp_path)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.push_screen(CampaignEditScreen(ws / "campaigns" / "dormant_winback.yaml"))
        await settle(pilot)

    app_lang(lang)
    app = demo_app(ws)
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_approval_review(snap_compare, tmp_path, monkeypatch, lang):
    import tui.screens.handoff.campaign_approve as approve_screen

    monkeypatch.setattr(approve_screen, "send_time_passed", lambda *a, **k: None)
    monkeypatch.setattr(approve_screen, "os_user", lambda: "sato")
    monkeypatch.setattr(
        approve_screen, "who", lambda: {"os_user": "sato", "host": "studio", "ssh": None}
    )
    ws = copy_demo(tmp_path)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.push_screen(ApproveScreen(ws / "campaigns" / "dormant_winback.yaml"))
        await settle(pilot, timeout=120)  # the review renders every recipient
        freeze_cursors(pilot.app)
        await pilot.pause()

    app_lang(lang)
    app = demo_app(ws)
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def app_lang(lang: str) -> None:
    """demo_app builds the app in the active language: switch it first."""
    from tui.lang import apply_language

    apply_language(lang)


def test_the_language_switch_reaches_the_footer(tmp_path: Path) -> None:
    from tui.keymap import BOUND
    from tui.lang import apply_language

    apply_language("ja")
    quit_binding = next(b for b, msgid in BOUND if msgid == "Quit")
    assert quit_binding.description == "終了"
    apply_language("en")
    assert quit_binding.description == "Quit"
