"""Benchmark: keystroke-to-count latency in the real TUI on a 1M-customer snapshot.

Run:  python bench/bench_tui_latency.py [--customers 1000000] [--keys 20]

Drives the real Textual app headless (Pilot) over bench/scale-<N>.duckdb: opens the DESIGN
example segment (attribute, event and negated-event conditions) in the builder, adds a
`points >=` condition and types values into it one key at a time. For each keystroke it
records (a) how long the key press itself took to be handled (the screen never freezing
means this stays small) and (b) the time from the key press until the new count is on
screen (debounce + query + render). It also times the bare query (`runner.count`, no UI)
for the same segments in the same run, uncached and with cached event conditions.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_segments import CASES  # noqa: E402
from queries.demo import generate_demo  # noqa: E402
from queries.segment import FieldCond, Group  # noqa: E402

DESIGN_YAML = dict((n, y) for n, y, _ in CASES)["DESIGN example"]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


async def drive(ws: Path, keys: int) -> tuple[list[float], list[float], float, list[float]]:
    from tui.app import KizunaApp
    from tui.screens.builder import BuilderScreen
    from tui.screens.condition import ConditionScreen

    app = KizunaApp(workspace=ws)
    press_ms: list[float] = []
    latency_ms: list[float] = []
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
        digits = "1234567890"
        lags: list[float] = []
        stop = False

        async def watch_loop() -> None:
            """How late a 10 ms sleep wakes up: the time the UI could not react."""
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append((time.perf_counter() - t - 0.01) * 1000)

        watcher = asyncio.create_task(watch_loop())
        for i in range(keys):
            shown = len(builder.counts_shown)
            key = digits[i % 10] if i % 3 != 2 else "backspace"
            t0 = time.perf_counter()
            await pilot.press(key)
            press_ms.append((time.perf_counter() - t0) * 1000)
            while len(builder.counts_shown) == shown and time.perf_counter() - t0 < 30:
                await asyncio.sleep(0.002)
            latency_ms.append((time.perf_counter() - t0) * 1000)
            await pilot.pause(0.1)
        stop = True
        await watcher
        await pilot.press("escape")
    return press_ms, latency_ms, debounce, lags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--keys", type=int, default=20)
    args = ap.parse_args()
    db = HERE / f"scale-{args.customers}.duckdb"
    if not db.exists():
        generate_demo(db, customers=args.customers)
    ws = HERE / ".cache" / f"tui-{args.customers}"
    shutil.rmtree(ws / "segments", ignore_errors=True)
    (ws / "segments").mkdir(parents=True, exist_ok=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    (ws / "segments" / "design.yaml").write_text(DESIGN_YAML)

    from queries.parse import segment_from_text
    from queries.session import open_session

    s = open_session(ws)
    seg = segment_from_text(DESIGN_YAML, s.catalog)
    edited = (*seg.where.children, FieldCond("points", ">=", 1234))
    seg.where = Group("all", edited)
    bare, cached = [], []
    s.runner.count(seg, cached=True)  # fill the cache as the TUI has by the time you type
    for v in range(1, 8):
        seg.where = Group("all", (*seg.where.children[:-1], FieldCond("points", ">=", v * 1000)))
        t = time.perf_counter()
        s.runner.count(seg)
        bare.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        s.runner.count(seg, cached=True)
        cached.append((time.perf_counter() - t) * 1000)
    s.close()

    press, latency, debounce, lags = asyncio.run(drive(ws, args.keys))
    print(f"snapshot {db.name}; debounce {debounce * 1000:.0f} ms; {len(latency)} keystrokes")
    print(f"bare query, uncached     median {statistics.median(bare):7.1f} ms  "
          f"p95 {pct(bare, 95):7.1f} ms")
    print(f"bare query, cached conds median {statistics.median(cached):7.1f} ms  "
          f"p95 {pct(cached, 95):7.1f} ms")
    print(f"key press handled in     median {statistics.median(press):7.1f} ms  "
          f"p95 {pct(press, 95):7.1f} ms  max {max(press):.1f} ms")
    print(f"keystroke → count shown  median {statistics.median(latency):7.1f} ms  "
          f"p95 {pct(latency, 95):7.1f} ms  (includes the debounce)")
    print(f"UI event-loop stall      median {statistics.median(lags):7.1f} ms  "
          f"p95 {pct(lags, 95):7.1f} ms  max {max(lags):.1f} ms  (while typing)")
    print(f"  minus debounce         median {statistics.median(latency) - debounce * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
