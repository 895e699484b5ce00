"""`--workspace DIR` on a folder without kizuna.toml is an error that writes nothing anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from queries.core.errors import ConfigError
from queries.core.workspace import load_workspace
from tests.cli.test_interrupt import kizuna_cmd


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    "argv",
    [
        ["count", "anything"],
        ["fields"],
        ["sql", "anything"],
        ["export", "anything"],
        ["tui"],
    ],
)
def test_workspace_without_config_is_an_error_that_writes_nothing(tmp_path, argv):
    target = tmp_path / "not_a_workspace"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    home = tmp_path / "home"  # where the bundled demo would be copied to
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    proc = subprocess.run(
        [*kizuna_cmd(), *argv, "--workspace", str(target)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1, proc.stderr
    assert "is not a Kizuna workspace" in proc.stderr and "kizuna.toml" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert _tree(target) == ["notes.txt"]  # no .kizuna/, no cache
    assert _tree(home) == []  # and no demo copy either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "not_a_workspace"]


def test_load_workspace_refuses_a_folder_without_config(tmp_path):
    with pytest.raises(ConfigError, match="not a Kizuna workspace"):
        load_workspace(tmp_path)


def test_a_real_workspace_still_opens(workspace):
    assert load_workspace(workspace).root == workspace.resolve()


def test_without_workspace_option_the_nearest_config_upward_is_used(workspace, monkeypatch):
    sub = workspace / "segments"
    monkeypatch.chdir(sub)
    assert load_workspace().root == workspace.resolve()
    assert sys.executable  # (the demo fallback is covered by the demo tests)
