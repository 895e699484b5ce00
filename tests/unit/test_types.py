"""mypy reports no errors on the files pyproject's [tool.mypy] names: CI runs pytest, so this
is where the type check is enforced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],  # the files and options come from pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mypy failed:\n{proc.stdout}{proc.stderr}"
