"""A spare export worker (started ahead, imports done) writes exactly what a new one writes,
is used only where it fits, and never outlives its use."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.handoff.export import spare
from queries.handoff.export.run import export_campaign, prewarm
from queries.query.session import Session
from tests.handoff_tools import approved, write_campaign


@pytest.fixture()
def ws(workspace: Path) -> Path:
    write_campaign(workspace)
    return workspace


@pytest.fixture(autouse=True)
def no_spare_left():
    spare.discard()
    yield
    spare.discard()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix != ".json"}


def test_a_warm_spare_writes_the_same_files_and_is_used_once(ws: Path, session: Session) -> None:
    c, _ = approved(session)
    cold = export_campaign(session, c)
    prewarm(session, wait=True)  # as the export screen: imports done, this workspace's session open
    waiting = spare._spare
    assert waiting is not None and waiting.proc.poll() is None  # imported, waiting for work
    warm = export_campaign(session, c, replace=True)
    assert spare._spare is None  # taken by that export
    assert waiting.proc.wait(timeout=10) >= 0  # it did the export and ended (not killed)
    assert warm.session_ahead and not cold.session_ahead
    assert warm.recipients == cold.recipients == 4
    assert _files(warm.folder) == _files(cold.folder)


def test_a_spare_opened_before_kizuna_toml_changed_opens_again(ws: Path, session: Session) -> None:
    c, _ = approved(session)
    prewarm(session, wait=True)
    cfg = ws / "kizuna.toml"
    edited = cfg.read_text("utf-8") + "\n# edited while the export screen was open\n"
    cfg.write_text(edited, "utf-8")
    res = export_campaign(session, c)
    assert not res.session_ahead  # the session opened ahead read the old file: a new one
    assert res.recipients == 4 and (res.folder / "manifest.json").is_file()


def test_a_spare_started_elsewhere_is_not_used(
    ws: Path, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = approved(session)
    spare.prewarm()
    elsewhere = spare._spare
    assert elsewhere is not None
    monkeypatch.chdir(tmp_path)  # relative paths in a request would mean something else now
    res = export_campaign(session, c)
    assert res.recipients == 4
    assert elsewhere.proc.wait(timeout=10) != 0  # stopped, not given the request
    monkeypatch.setenv("KIZUNA_SPARE_TEST", "1")
    spare.prewarm()
    other_env = spare._spare
    assert other_env is not None and other_env.fits()
    monkeypatch.setenv("KIZUNA_SPARE_TEST", "2")
    assert spare.take() is None  # started under another environment: stopped
    assert other_env.proc.wait(timeout=10) != 0


def test_discard_stops_a_waiting_spare(ws: Path) -> None:
    spare.prewarm()
    waiting = spare._spare
    assert waiting is not None
    spare.discard()
    assert waiting.proc.poll() is not None
    assert spare.take() is None


def test_a_spare_whose_parent_goes_away_exits(ws: Path) -> None:
    started = spare.start()
    assert started.proc.stdin is not None
    started.proc.stdin.close()  # what the parent's death looks like to the worker
    assert started.proc.wait(timeout=30) == 0
    started.errlog.close()
