"""Benchmark: keystroke → new count painted, in the real TUI, on a scale snapshot.

Run:  python bench/bench_tui_latency.py [--customers 1000000] [--keys 12] [--skip-pty]

Opens the event segment (attribute, event and negated-event conditions) in the
builder, adds a `points >=` condition and types a value into it one digit at a time. Every
keystroke makes a value never typed before (no answer can come from a cache of earlier
values), and the time is taken from a timestamp at the key event to a timestamp at the
paint of the new count:
  1. headless (Textual's Pilot): the app records the key event in `on_event` and the
     audience bar's repaint of the new count (after the refresh that draws it);
  2. in a real terminal: `kizuna tui` in a pty, the key written to the terminal and the
     new count's digits read back from what the process painted.
After each keystroke's count is painted (the TUI idle), it times the bare query for the same
value (runner.count, no UI), uncached and through the per-condition cache as the TUI uses
it: the two sides interleaved, key by key. The first key after a pause is counted at once
(the live count's leading edge); the bench also types whole numbers 120 ms a key and times
the last key → the final count, which waits for the debounce.
Target: p95 of keystroke → count ≤ bare query p95 + 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_segments import CASES  # noqa: E402
from bench.common import pct, snapshot, summary, workspace  # noqa: E402
from queries.segments.model import FieldCond, Group  # noqa: E402

EVENT_YAML = dict((n, y) for n, y, _ in CASES)["event segment"]
# digits typed one by one; every prefix is a new value (never a value seen before)
TYPED = ["2718", "31415", "1414", "577", "6931"]


def typed_values(keys: int) -> list[tuple[str, int | None]]:
    """(key, value after it) for `keys` keystrokes: digits, and ctrl+u clears between runs."""
    out: list[tuple[str, int | None]] = []
    n = 0
    for word in TYPED * (1 + keys // 4):
        if out:
            out.append(("ctrl+u", None))
        for i in range(len(word)):
            out.append((word[i], int(word[: i + 1])))
            n += 1
            if n == keys:
                return out
    return out


def segment_with_points(session, value: int):
    from queries.segments.parse import segment_from_text

    seg = segment_from_text(EVENT_YAML, session.catalog)
    seg.where = Group("all", (*seg.where.children, FieldCond("points", ">=", value)))
    return seg


BURSTS = ["8642", "97531", "46802"]  # typed 120 ms apart: only the last value is counted
BURST_GAP_S = 0.12


async def headless(
    ws: Path,
    plan: list[tuple[str, int | None]],
    bare: Callable[[int], None],
    counts: dict[int, int],
) -> tuple[list[float], list[float], float]:
    """Key event → new count painted, per keystroke that makes a new value (ms), each followed
    by `bare(value)` (the baseline, interleaved); then bursts: last key → the final count."""
    from textual import events

    from tui.app import KizunaApp
    from tui.screens.builder.builder import BuilderScreen
    from tui.screens.builder.condition import ConditionScreen
    from tui.widgets.audience import AudienceBar

    keyed: list[float] = []
    painted: list[tuple[float, int]] = []
    burst: list[float] = []

    class Timed(KizunaApp):
        CSS_PATH = str(Path(sys.modules[KizunaApp.__module__].__file__).with_name("app.tcss"))

        async def on_event(self, event) -> None:
            if isinstance(event, events.Key):
                keyed.append(time.perf_counter())
            await super().on_event(event)

    original = AudienceBar.watch_audience

    def watch_audience(self, audience) -> None:
        original(self, audience)
        count = audience.count
        if count is not None and not audience.counting and not audience.note:
            self.app.call_after_refresh(lambda: painted.append((time.perf_counter(), count)))

    AudienceBar.watch_audience = watch_audience  # type: ignore[method-assign]
    app = Timed(workspace=ws)
    latency: list[float] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while getattr(app, "session", None) is None:
                await pilot.pause(0.1)
            await pilot.pause(1.0)
            await pilot.press("enter")  # open the only saved segment
            while not isinstance(app.screen, BuilderScreen):
                await pilot.pause(0.05)
            builder = app.screen
            while builder.query_one("#audience").count is None:
                await pilot.pause(0.05)
            debounce = builder.debounce_s
            await pilot.press("a")
            await pilot.pause(0.3)
            for ch in "points":
                await pilot.press(ch)
            await pilot.press("enter")
            while not isinstance(app.screen, ConditionScreen):
                await pilot.pause(0.05)
            await pilot.pause(0.5)
            for key, value in plan:
                n_keys, n_paints = len(keyed), len(painted)
                await pilot.press(key)
                if value is None:
                    await pilot.pause(debounce + 0.5)
                    continue
                t_end = time.perf_counter() + 60
                while len(painted) == n_paints and time.perf_counter() < t_end:
                    await asyncio.sleep(0.002)
                if len(painted) > n_paints and len(keyed) > n_keys:
                    latency.append((painted[-1][0] - keyed[n_keys]) * 1000)
                await asyncio.to_thread(bare, value)  # the TUI is idle meanwhile
                await pilot.pause(0.1)
            for word in BURSTS:  # a person typing a whole number without looking
                await pilot.press("ctrl+u")
                await pilot.pause(debounce + 0.5)
                for ch in word:
                    n_keys, n_paints = len(keyed), len(painted)
                    await pilot.press(ch)
                    await asyncio.sleep(BURST_GAP_S)
                t_end = time.perf_counter() + 60
                want = int(word)
                while time.perf_counter() < t_end and not any(
                    n == counts[want] for _, n in painted[n_paints:]
                ):
                    await asyncio.sleep(0.002)
                hits = [t for t, n in painted[n_paints:] if n == counts[want]]
                if hits and len(keyed) > n_keys:
                    burst.append((hits[0] - keyed[n_keys]) * 1000)
                await pilot.pause(0.3)
            await pilot.press("escape")
    finally:
        AudienceBar.watch_audience = original  # type: ignore[method-assign]
    return latency, burst, debounce


def in_pty(
    ws: Path,
    plan: list[tuple[str, int | None]],
    counts: dict[int, int],
    bare: Callable[[int], None],
) -> list[float]:
    """The same typing in a real terminal: key written → the new count's digits read back,
    each followed by `bare(value)` (the baseline, interleaved)."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    keys = {"ctrl+u": b"\x15", "enter": b"\r"}
    kizuna = str(Path(sys.executable).with_name("kizuna"))
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(kizuna, [kizuna, "tui", "--workspace", str(ws)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    buf = bytearray()

    def read_until(mark: bytes | re.Pattern[bytes], timeout: float) -> float | None:
        found = (lambda: mark.search(buf)) if isinstance(mark, re.Pattern) else lambda: mark in buf
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if found():
                return time.perf_counter()
            ready, _, _ = select.select([fd], [], [], 0.01)
            if ready:
                try:
                    buf.extend(os.read(fd, 65536))
                except OSError:
                    return None
                if found():
                    return time.perf_counter()
        return None

    def send(text: bytes) -> float:
        t = time.perf_counter()
        os.write(fd, text)
        return t

    latency: list[float] = []
    try:
        if read_until(b"saved segment", 120) is None:  # ("1 saved segment")
            raise RuntimeError("the TUI did not show the segment list")
        time.sleep(1.0)
        send(b"\r")
        time.sleep(3.0)
        for text in (b"a", b"points", b"\r"):
            send(text)
            time.sleep(0.5)
        time.sleep(1.0)
        prev = None
        for key, value in plan:
            buf.clear()
            t0 = send(keys.get(key, key.encode()))
            if value is None:
                time.sleep(1.0)
                prev = None
                continue
            n = counts[value]
            if n == prev:  # the same count repaints nothing new: cannot be seen in a pty
                time.sleep(1.0)
                continue
            # the bar paints `<count>` then ` · <pct> of <base>` (styles in between)
            shown = re.compile(
                rb"(?<![\d,])" + f"{n:,}".encode() + rb"(?:\x1b\[[0-9;:]*m)* \xc2\xb7 "
            )
            t1 = read_until(shown, 60)
            if t1 is not None:
                latency.append((t1 - t0) * 1000)
            prev = n
            bare(value)  # the TUI is idle meanwhile
            time.sleep(0.3)
    finally:
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return latency


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--keys", type=int, default=12)
    ap.add_argument("--skip-pty", action="store_true")
    args = ap.parse_args()
    db = snapshot(args.customers)
    ws = workspace(f"tui-{args.customers}", db)
    for old in (ws / "segments").glob("*.yaml"):
        old.unlink()
    (ws / "segments" / "design.yaml").write_text(EVENT_YAML, "utf-8")
    plan = typed_values(args.keys)
    values = [v for _, v in plan if v is not None]

    from queries.query.session import open_session

    s = open_session(ws)
    counts = {v: s.runner.count(segment_with_points(s, v)) for v in values + list(map(int, BURSTS))}
    s.runner.count(segment_with_points(s, 1), cached=True)  # as the TUI has when you type
    bare: list[float] = []
    cached: list[float] = []

    def baseline(v: int) -> None:
        """The bare query for a value the TUI just counted: uncached, then through the cache."""
        seg = segment_with_points(s, v)
        t = time.perf_counter()
        s.runner.count(seg)
        bare.append((time.perf_counter() - t) * 1000)
        seg = dataclasses.replace(seg)
        t = time.perf_counter()
        s.runner.count(seg, cached=True)
        cached.append((time.perf_counter() - t) * 1000)

    latency, burst, debounce = asyncio.run(headless(ws, plan, baseline, counts))
    print(f"snapshot {db.name}; debounce {debounce * 1000:.0f} ms; {len(values)} new values typed")
    print(f"bare query, uncached               {summary(bare)}")
    print(f"bare query, cached conditions      {summary(cached)}")
    print(f"key event → count painted (Pilot)  {summary(latency)}  ({len(latency)} keys)")
    budget = pct(bare, 95) + 150
    print(f"  p95 target: bare uncached p95 + 150 ms = {budget:.0f} ms; got {pct(latency, 95):.0f}")
    print(
        f"burst, last key → final count      {summary(burst)}  ({len(burst)} numbers typed "
        f"{BURST_GAP_S * 1000:.0f} ms apart: the debounce waits for the last key)"
    )
    if not args.skip_pty:
        n_bare = len(bare)
        lat = in_pty(ws, plan, counts, baseline)
        print(f"key written → count read (pty)     {summary(lat)}  ({len(lat)} keys)")
        print(f"bare query, uncached (pty rounds)  {summary(bare[n_bare:])}")
        pty_budget = pct(bare[n_bare:], 95) + 150
        print(f"  p95 target: {pty_budget:.0f} ms; got {pct(lat, 95):.0f}")
    s.close()


if __name__ == "__main__":
    main()
