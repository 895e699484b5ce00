"""Benchmark: Kizuna's count against the SQL an expert would write, in-process and whole-process.

Run:  python bench/bench_segments.py [--customers 1000000] [--repeat 9] [--skip-features]

Builds (or reuses) bench/scale-<N>.duckdb (`kizuna demo --customers N`) and prints, each
side measured in the same run and interleaved round by round (median and p95, ms):
  1. the features cache build on a cold cache, in a child process (time and peak memory);
  2. per typical segment, `runner.count` (parse + compile + execute) against the best hand
     SQL for the same question (aggregate + SEMI/ANTI JOIN for event conditions, sargable
     time ranges) on the same read-only connection;
  3. the per-condition cache: the first count with the cache empty, and the re-count after
     editing an event condition (a new value each time), against the uncached count;
  4. whole process: `kizuna count SEGMENT --json` against `python -c` importing duckdb,
     opening the snapshot read-only and running the hand SQL (what you wait for in a shell),
     with the compiled SQL cached (nothing changed since the last count) and with
     .kizuna/cache/sql emptied before each run (the first count after an edit).
The hand SQL's answer is checked against Kizuna's every time (MISMATCH is printed otherwise).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import interleave, ratio, snapshot, summary, workspace  # noqa: E402
from queries.query.session import open_session  # noqa: E402
from queries.segments.model import Compare, EventCond, Group  # noqa: E402
from queries.segments.parse import segment_from_text  # noqa: E402

D = "DATE '2026-11-20'"  # the demo's as-of day

CASES: list[tuple[str, str, str]] = [
    (
        "attribute-only",
        """
name: attr
where:
  all:
    - {field: loyalty_tier, op: in, value: [gold, platinum]}
    - {field: prefecture, op: in, value: [東京都, 神奈川県, 大阪府]}
    - {field: email_opt_in, op: is_true}
    - {field: points, op: between, value: [1000, 20000]}
""",
        """
SELECT count(*) FROM customers
WHERE loyalty_tier IN ('gold', 'platinum') AND prefecture IN ('東京都', '神奈川県', '大阪府')
  AND email_opt_in AND points BETWEEN 1000 AND 20000
""",
    ),
    (
        "rfm",
        """
name: rfm
where:
  all:
    - {field: rfm_r, op: ">=", value: 4}
    - {field: rfm_f, op: ">=", value: 3}
    - {field: rfm_m, op: ">=", value: 4}
    - {field: email_opt_in, op: is_true}
""",
        """
SELECT count(*) FROM customers c JOIN kz_cache.features f USING (customer_id)
WHERE f.rfm_r >= 4 AND f.rfm_f >= 3 AND f.rfm_m >= 4 AND c.email_opt_in
""",
    ),
    (
        "cart abandoners 3d",
        """
name: cart
where:
  all:
    - event: web
      where: {all: [{field: event_type, op: "=", value: cart_add}]}
      within: 3d
    - not:
        event: orders
        within: 3d
""",
        f"""
SELECT count(*) FROM customers c
SEMI JOIN (SELECT customer_id FROM web_events
           WHERE event_type = 'cart_add' AND event_at >= {D} - 2 AND event_at < {D} + 1) w
  USING (customer_id)
ANTI JOIN (SELECT customer_id FROM orders
           WHERE ordered_at >= {D} - 2 AND ordered_at < {D} + 1) o
  USING (customer_id)
""",
    ),
    (
        "event segment",
        """
name: event_segment
where:
  all:
    - {field: loyalty_tier, op: in, value: [gold, platinum]}
    - {field: email_opt_in, op: is_true}
    - any:
        - {field: prefecture, op: in, value: [東京都, 大阪府]}
        - {field: points, op: ">=", value: 5000}
    - event: purchases
      where: {all: [{field: category, op: "=", value: skincare}]}
      count: {op: ">=", value: 2}
      within: 180d
    - not:
        event: orders
        within: 30d
""",
        f"""
SELECT count(*) FROM customers c
SEMI JOIN (SELECT o.customer_id FROM orders o
           JOIN order_items i ON i.order_id = o.order_id
           JOIN products p ON p.product_id = i.product_id
           WHERE p.category = 'skincare'
             AND o.ordered_at >= {D} - 179 AND o.ordered_at < {D} + 1
           GROUP BY o.customer_id HAVING count(*) >= 2) s
  USING (customer_id)
ANTI JOIN (SELECT customer_id FROM orders
           WHERE ordered_at >= {D} - 29 AND ordered_at < {D} + 1) r
  USING (customer_id)
WHERE c.loyalty_tier IN ('gold', 'platinum') AND c.email_opt_in
  AND (c.prefecture IN ('東京都', '大阪府') OR c.points >= 5000)
""",
    ),
    (
        "deep nested",
        """
name: deep
where:
  all:
    - any:
        - all:
            - {field: lifecycle_stage, op: in, value: [at_risk, dormant]}
            - {field: total_spend, op: ">=", value: 30000}
        - all:
            - {field: loyalty_tier, op: "=", value: platinum}
            - not: {field: prefecture, op: "=", value: 東京都}
    - not:
        any:
          - {field: contacts_7d, op: ">=", value: 3}
          - {field: email_opt_in, op: is_false}
    - any:
        - {field: given_name, op: is_not_null}
        - {field: family_name, op: starts_with, value: 佐}
""",
        """
SELECT count(*) FROM customers c JOIN kz_cache.features f USING (customer_id)
WHERE ((f.lifecycle_stage IN ('at_risk', 'dormant') AND f.total_spend >= 30000)
       OR (c.loyalty_tier = 'platinum' AND c.prefecture IS DISTINCT FROM '東京都'))
  AND NOT (f.contacts_7d >= 3 OR c.email_opt_in = FALSE) IS TRUE
  AND (c.given_name IS NOT NULL OR c.family_name LIKE '佐%')
""",
    ),
]


HAND_PROCESS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
if len(sys.argv) > 3:
    con.execute(f"ATTACH '{sys.argv[3]}' AS kz_cache (READ_ONLY)")
print(con.execute(sys.argv[2]).fetchone()[0])
"""


def features_build(db: Path) -> None:
    """Time a cold features cache build in a child process, with its peak memory."""
    ws = workspace("features-cold", db)
    shutil.rmtree(ws / ".kizuna", ignore_errors=True)
    code = "import sys; from queries.query.session import open_session; open_session(sys.argv[1])"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(ws)], check=True, cwd=HERE.parent)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    note = "" if peak > before else " (peak no higher than an earlier child's)"
    print(
        f"features cache build, cold, whole child process: {took:.2f}s, "
        f"peak RSS {peak / 1024:.0f} MB{note}"
    )
    shutil.rmtree(ws / ".kizuna", ignore_errors=True)


def in_process(session, repeat: int) -> None:
    """Kizuna's count against the hand SQL on the same connection."""
    runner = session.runner
    print(f"\n{'segment':<20} {'count':>9}  kizuna / hand")
    for name, seg_yaml, hand_sql in CASES:
        got: dict[str, int] = {}

        def k(seg_yaml=seg_yaml, got=got) -> None:
            got["k"] = runner.count(segment_from_text(seg_yaml, session.catalog))

        def h(hand_sql=hand_sql, got=got) -> None:
            cur = session.snapshot.cursor()
            got["h"] = cur.execute(hand_sql).fetchall()[0][0]
            cur.close()

        t = interleave({"kizuna": k, "hand": h}, repeat)
        flag = "" if got["k"] == got["h"] else f"  MISMATCH hand={got['h']}"
        print(f"{name:<20} {got['k']:>9,}  {ratio(t['kizuna'], t['hand'])}{flag}")
        print(f"{'':<31}kizuna {summary(t['kizuna'])}")
        print(f"{'':<31}hand   {summary(t['hand'])}")


def edited(seg, value: int, what: str = "count"):
    """The event segment with its purchases count threshold (or window, days) set to `value`."""
    kids = []
    for c in seg.where.children:
        if isinstance(c, EventCond) and c.event == "purchases":
            if what == "count":
                c = dataclasses.replace(c, count=Compare(">=", value))
            else:
                c = dataclasses.replace(c, within=f"{value}d")
        kids.append(c)
    seg.where = Group("all", tuple(kids))
    return seg


def cache(session, repeat: int) -> None:
    """The per-condition cache against uncached counts of the same segments."""
    runner, cc = session.runner, session.snapshot.cond_cache
    seg_yaml = dict((n, y) for n, y, _ in CASES)["event segment"]
    seg = segment_from_text(seg_yaml, session.catalog)

    def clear() -> None:
        for table in cc.clear():
            session.snapshot.conn.execute(f'DROP TABLE IF EXISTS kz_mem."{table}"')

    def first() -> None:  # what the builder shows first; its waterfall then fills the cache
        clear()
        runner.count(seg, cached=True)

    t = interleave({"empty cache": first, "uncached": lambda: runner.count(seg)}, repeat)
    print(
        f"\nfirst count, cache empty vs uncached: {ratio(t['empty cache'], t['uncached'])}"
        f"  (target <= 1.1x)"
    )
    print(f"  empty cache {summary(t['empty cache'])}\n  uncached    {summary(t['uncached'])}")
    clear()
    runner.waterfall(seg, cached=True)  # as the builder: count, then the waterfall fills
    values = iter(range(3, 10_000))
    pending: dict[str, int] = {}

    def recount() -> None:
        pending["v"] = next(values)
        runner.count(edited(seg, pending["v"]), cached=True)

    def uncached() -> None:
        runner.count(edited(seg, pending.get("v", 3)))

    t = interleave({"re-count": recount, "uncached": uncached}, repeat)
    print(
        f"re-count after editing an event condition vs uncached: "
        f"{ratio(t['re-count'], t['uncached'])}  (target <= 0.5x)"
    )
    print(f"  re-count {summary(t['re-count'])}\n  uncached {summary(t['uncached'])}")
    # editing the window (or the event filter) needs that condition's table anew
    days = iter(range(179, 0, -1))

    def recount_window() -> None:
        pending["d"] = next(days)
        runner.count(edited(seg, pending["d"], "window"), cached=True)

    def uncached_window() -> None:
        runner.count(edited(seg, pending.get("d", 179), "window"))

    t = interleave({"re-count": recount_window, "uncached": uncached_window}, repeat)
    print(
        f"re-count after editing an event condition's window vs uncached: "
        f"{ratio(t['re-count'], t['uncached'])}"
    )
    print(f"  re-count {summary(t['re-count'])}\n  uncached {summary(t['uncached'])}")
    clear()


def whole_process(db: Path, ws: Path, features: Path, repeat: int) -> None:
    """`kizuna count --json` against a python+duckdb process running the hand SQL."""
    kizuna = str(Path(sys.executable).with_name("kizuna"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    print(f"\nwhole process (median/p95 of {repeat} runs each, interleaved)")
    for name, seg_yaml, hand_sql in CASES:
        slug = name.split()[0].replace("-", "_")
        (ws / "segments" / f"{slug}.yaml").write_text(seg_yaml, "utf-8")
        got: dict[str, int] = {}
        k_cmd = [kizuna, "count", slug, "--json", "--workspace", str(ws)]
        h_cmd = [sys.executable, "-c", HAND_PROCESS, str(db), hand_sql, str(features)]

        def k(k_cmd=k_cmd, got=got) -> None:
            out = subprocess.run(k_cmd, capture_output=True, text=True, check=True, env=env)
            got["k"] = json.loads(out.stdout)["count"]

        def h(h_cmd=h_cmd, got=got) -> None:
            out = subprocess.run(h_cmd, capture_output=True, text=True, check=True, env=env)
            got["h"] = int(out.stdout)

        def cold(k_cmd=k_cmd, got=got) -> None:
            shutil.rmtree(ws / ".kizuna" / "cache" / "sql", ignore_errors=True)
            out = subprocess.run(k_cmd, capture_output=True, text=True, check=True, env=env)
            got["c"] = json.loads(out.stdout)["count"]

        t = interleave({"kizuna": k, "hand": h, "cold": cold}, repeat)
        flag = "" if got["k"] == got["h"] == got["c"] else f"  MISMATCH hand={got['h']}"
        print(f"{name:<20} {ratio(t['kizuna'], t['hand'])}  (target <= 1.3x){flag}")
        print(f"{'':<20} kizuna count --json {summary(t['kizuna'])}  (compiled SQL cached)")
        print(f"{'':<20} same, cache emptied {summary(t['cold'])}  {ratio(t['cold'], t['hand'])}")
        print(f"{'':<20} python+duckdb       {summary(t['hand'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--skip-features", action="store_true", help="skip the cold cache build")
    ap.add_argument("--only", choices=["features", "count", "cache", "process"], default=None)
    args = ap.parse_args()
    db = snapshot(args.customers)
    print(f"snapshot {db.name}; {args.repeat} timed rounds after one warm-up, interleaved")
    if not args.skip_features and args.only in (None, "features"):
        features_build(db)
    ws = workspace(f"ws-{args.customers}", db)
    session = open_session(ws)
    features = session.snapshot.features_path
    try:
        if args.only in (None, "count"):
            in_process(session, args.repeat)
        if args.only in (None, "cache"):
            cache(session, args.repeat)
    finally:
        session.close()
    if args.only in (None, "process"):
        whole_process(db, ws, features, args.repeat)


if __name__ == "__main__":
    main()
