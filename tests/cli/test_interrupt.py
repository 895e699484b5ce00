"""Ctrl-C in the first seconds of a CLI command: one line `interrupted`, exit 130, no traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest


def kizuna_cmd() -> list[str]:
    """The installed console script (what a user runs), else the same entry point via -c."""
    script = Path(sys.executable).parent / "kizuna"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from tui.entry import main; main()"]


@pytest.fixture()
def locked_ws(tmp_path: Path, fixture_db: Path):
    """A workspace whose snapshot a writer holds, so every command waits (retrying) for seconds."""
    db = tmp_path / "snap.duckdb"
    shutil.copy(fixture_db, db)
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    (ws / "segments" / "s.yaml").write_text("name: s\nwhere: {all: []}\n")
    writer = duckdb.connect(str(db))  # holds the file lock: readers retry with backoff
    yield ws
    writer.close()


def _wait_for_imports(pid: int, timeout: float = 60) -> None:
    """Wait until the CLI is importing its modules (a compiled module is mapped): before that
    only the interpreter and the console-script wrapper run, which no program can guard."""
    maps, deadline = Path(f"/proc/{pid}/maps"), time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = maps.read_text()
        except OSError:
            return
        if "lib-dynload" in text or "site-packages" in text:
            return
        time.sleep(0.002)


# from the first imports of the CLI (delay 0) to the snapshot's retry loop
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.6, 1.5])
def test_ctrl_c_early_is_one_line_and_exit_130(locked_ws, delay):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [*kizuna_cmd(), "count", "s", "--workspace", str(locked_ws)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    _wait_for_imports(proc.pid)
    time.sleep(delay)
    assert proc.poll() is None, "the command ended before the interrupt (it should wait)"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert err.decode().strip() == "interrupted"
    assert out == b""


def test_ctrl_c_while_a_class_is_built_counts_as_an_interrupt():
    """Python wraps a KeyboardInterrupt raised in `__set_name__` (mid-import) in a RuntimeError;
    the entry point must still see Ctrl-C there (seen: exit 1 with a traceback)."""
    from tui.interrupt import caused_by_interrupt

    class Hook:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    with pytest.raises(RuntimeError) as info:

        class Built:
            x = Hook()

    assert caused_by_interrupt(info.value)
    assert not caused_by_interrupt(RuntimeError("other"))
