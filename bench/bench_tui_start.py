"""Benchmark: TUI start in a real terminal (a pty) → first screen, and → every list count shown.

Run:  python bench/bench_tui_start.py [--workspace .] [--repeat 9]

Spawns `kizuna tui --workspace W` in a pseudo-terminal (120x40) and reads what it paints,
timing from the spawn until (a) the segment list's header is on screen (first screen) and
(b) the status line says "N saved segments" (every count shown). The baseline, interleaved
round by round, is a minimal Textual app in the same pty that paints one label: what any
Textual program costs to start. Prints median and p95 of each, and the ratio of the first
screen to the baseline (target ≤ 1.5x).

Kizuna runs two ways, interleaved: *warm*, nothing changed since the last start (the list's
compiled SQL and its counts come from .kizuna/cache/sql and results/: no query runs), and
*cold*, with those two folders emptied before each run (the session opens, compiles and runs
the one-scan count; the features cache is kept: its build is measured by bench_segments).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import sys
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import interleave, ratio, summary  # noqa: E402

MINIMAL = """
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("MINIMAL-READY")

Minimal().run()
"""


def run_in_pty(argv: list[str], marks: list[bytes], timeout: float = 60.0) -> list[float]:
    """Spawn argv in a pty; the seconds until each mark first appears in its output."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = "120", "40"
        os.execvp(argv[0], argv)
    t0 = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    found: list[float] = []
    try:
        while len(found) < len(marks) and time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            while len(found) < len(marks) and marks[len(found)] in seen:
                found.append(time.perf_counter() - t0)
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if len(found) < len(marks):
        raise RuntimeError(f"{argv[0]}: did not paint {marks[len(found)]!r} in {timeout}s")
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, default=HERE.parent)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    ws = args.workspace.resolve()
    n = len(list((ws / "segments").glob("*.yaml")))
    kizuna = str(Path(sys.executable).with_name("kizuna"))
    first: dict[str, list[float]] = {"warm": [], "cold": []}
    counted: dict[str, list[float]] = {"warm": [], "cold": []}

    def tui(kind: str) -> None:
        if kind == "cold":
            for sub in ("sql", "results"):
                shutil.rmtree(ws / ".kizuna" / "cache" / sub, ignore_errors=True)
        a, b = run_in_pty(
            [kizuna, "tui", "--workspace", str(ws)], [b"Audience", f"{n} saved segments".encode()]
        )
        first[kind].append(a * 1000)
        counted[kind].append(b * 1000)

    def minimal() -> None:
        run_in_pty([sys.executable, "-c", MINIMAL], [b"MINIMAL-READY"])

    t = interleave(
        {"warm": lambda: tui("warm"), "cold": lambda: tui("cold"), "minimal": minimal},
        args.repeat,
    )
    for kind in first:  # the warm-up round
        first[kind], counted[kind] = first[kind][1:], counted[kind][1:]
    print(f"workspace {ws} ({n} segments); {args.repeat} runs each, interleaved, in a pty")
    print(f"minimal Textual app → label painted          {summary(t['minimal'])}")
    for kind in ("warm", "cold"):
        print(f"kizuna tui, {kind} → first screen (list)       {summary(first[kind])}")
        print(f"kizuna tui, {kind} → every list count shown    {summary(counted[kind])}")
    for kind in ("warm", "cold"):
        print(
            f"first screen, {kind}, vs minimal app: "
            f"{ratio(first[kind], t['minimal'])}  (target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
