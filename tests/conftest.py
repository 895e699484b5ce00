"""Shared fixtures: a tiny hand-made snapshot in a fresh workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from queries.query.session import Session, open_session

from .fixture_db import build_fixture
from .parity_env import duck, export_dir, parity_ws, pg, spark  # noqa: F401 (parity engines)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch):
    """Tests read English unless they ask for Japanese (whatever the machine's locale)."""
    import sys

    from queries.core.i18n import set_language

    monkeypatch.setenv("KIZUNA_LANG", "en")
    set_language("en")
    yield
    lang = sys.modules.get("tui.lang")
    if lang is not None:
        lang.apply_language("en")
    else:
        set_language("en")


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("snap") / "fixture.duckdb")


@pytest.fixture()
def workspace(tmp_path: Path, fixture_db: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{fixture_db.as_posix()}"\n')
    return ws


@pytest.fixture()
def session(workspace: Path):
    s = open_session(workspace)
    yield s
    s.close()


@pytest.fixture(scope="session")
def shared_session(tmp_path_factory: pytest.TempPathFactory, fixture_db: Path):
    """One session for the many read-only operator tests."""
    ws = tmp_path_factory.mktemp("shared_ws")
    (ws / "segments").mkdir()
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{fixture_db.as_posix()}"\n')
    s: Session = open_session(ws)
    yield s
    s.close()


@pytest.fixture()
def demo_workspace(tmp_path: Path) -> Path:
    """A copy of the repository's demo workspace segments over the committed demo.duckdb."""
    ws = tmp_path / "demo_ws"
    shutil.copytree(ROOT / "segments", ws / "segments")
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{(ROOT / "demo.duckdb").as_posix()}"\n')
    return ws
