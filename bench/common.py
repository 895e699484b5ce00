"""Shared helpers for the benchmarks: the scale snapshot, interleaved timing, median and p95."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def snapshot(n: int) -> Path:
    """bench/scale-<n>.duckdb, generated once (DuckDB spills past its memory limit) and reused."""
    db = HERE / f"scale-{n}.duckdb"
    if not db.is_file():
        from queries.demo.generate import generate_demo

        print(f"generating {db.name} (once; reused by every benchmark) …", flush=True)
        t = time.perf_counter()
        generate_demo(db, customers=n, progress=lambda m: print(f"  {m}", flush=True))
        print(f"  generated in {time.perf_counter() - t:.1f}s", flush=True)
    return db


def workspace(name: str, db: Path) -> Path:
    """A scratch workspace bench/.cache/<name> over `db` (its features cache kept between runs)."""
    ws = HERE / ".cache" / name
    (ws / "segments").mkdir(parents=True, exist_ok=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n', "utf-8")
    return ws


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def interleave(
    fns: dict[str, Callable[[], object]],
    repeat: int,
    warmup: int = 1,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Run each function in turn, round after round, so load on the box hits all alike.

    Returns the wall times in ms per name (warm-up rounds dropped). The order inside a
    round alternates so neither side always runs right after the other's cache warm-up.
    `setup[name]`, if given, runs untimed right before each run of that name (what happens
    before a person starts waiting)."""
    names = list(fns)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(warmup + repeat):
        order = names if r % 2 == 0 else names[::-1]
        for k in order:
            if setup and k in setup:
                setup[k]()
            t = time.perf_counter()
            fns[k]()
            dt = (time.perf_counter() - t) * 1000
            if r >= warmup:
                times[k].append(dt)
    return times


def summary(ms: list[float]) -> str:
    """`median X ms  p95 Y ms` for a list of timings."""
    return f"median {statistics.median(ms):8.1f} ms  p95 {pct(ms, 95):8.1f} ms"


def ratio(a: list[float], b: list[float]) -> str:
    """Median and p95 of a against b (each statistic on its own side)."""
    return (
        f"{statistics.median(a) / statistics.median(b):5.2f}x median, "
        f"{pct(a, 95) / pct(b, 95):5.2f}x p95"
    )
