"""Benchmark: Kizuna's count (compile + execute) against hand-written SQL, at 1M customers.

Run:  python bench/bench_segments.py [--customers 1000000] [--repeat 7]

Builds (or reuses) bench/scale-<N>.duckdb with `kizuna demo`, times the features cache
build on a cold cache, then for each typical segment runs Kizuna's count and the same
question written by hand as one SQL statement, interleaved, and prints medians and ratios.
Both run in the same process on the same read-only connection, so the ratio is fair even
on a noisy shared machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from queries.demo import generate_demo  # noqa: E402
from queries.parse import segment_from_text  # noqa: E402
from queries.session import open_session  # noqa: E402

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
WHERE c.customer_id IN (SELECT customer_id FROM web_events
                        WHERE event_type = 'cart_add'
                          AND CAST(event_at AS DATE) BETWEEN {D} - 2 AND {D})
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id
                  AND CAST(o.ordered_at AS DATE) BETWEEN {D} - 2 AND {D})
""",
    ),
    (
        "DESIGN example",
        """
name: design
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
WHERE c.loyalty_tier IN ('gold', 'platinum') AND c.email_opt_in
  AND (c.prefecture IN ('東京都', '大阪府') OR c.points >= 5000)
  AND c.customer_id IN (
      SELECT o.customer_id FROM order_items i JOIN orders o ON i.order_id = o.order_id
      JOIN products p ON p.product_id = i.product_id
      WHERE p.category = 'skincare' AND CAST(o.ordered_at AS DATE) BETWEEN {D} - 179 AND {D}
      GROUP BY o.customer_id HAVING count(*) >= 2)
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id
                  AND CAST(o.ordered_at AS DATE) BETWEEN {D} - 29 AND {D})
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    db = HERE / f"scale-{args.customers}.duckdb"
    if not db.exists():
        print(f"building {db.name} …", flush=True)
        t = time.perf_counter()
        generate_demo(db, customers=args.customers)
        print(f"  generated in {time.perf_counter() - t:.1f}s")
    ws = HERE / ".cache" / f"ws-{args.customers}"
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    t = time.perf_counter()
    session = open_session(ws)
    cold = time.perf_counter() - t
    built = session.snapshot.features_built_s
    session.close()
    t = time.perf_counter()
    session = open_session(ws)
    warm = time.perf_counter() - t
    print(f"features cache: cold open {cold:.2f}s (build {built:.2f}s"
          f" on first open), warm reopen {warm:.3f}s; base {session.snapshot.base_size:,}")
    runner = session.runner
    print(f"{'segment':<20} {'count':>9} {'kizuna ms':>10} {'hand ms':>9} {'ratio':>6}")
    for name, seg_yaml, hand_sql in CASES:
        k_times, h_times = [], []
        n_k = n_h = None
        for i in range(args.repeat + 1):
            t = time.perf_counter()
            seg = segment_from_text(seg_yaml, session.catalog)
            n_k = runner.count(seg)
            dk = time.perf_counter() - t
            t = time.perf_counter()
            cur = session.snapshot.cursor()
            n_h = cur.execute(hand_sql).fetchall()[0][0]
            cur.close()
            dh = time.perf_counter() - t
            if i:  # the first round warms caches for both
                k_times.append(dk)
                h_times.append(dh)
        mk, mh = statistics.median(k_times), statistics.median(h_times)
        flag = "" if n_k == n_h else f"  MISMATCH hand={n_h}"
        print(f"{name:<20} {n_k:>9,} {mk * 1000:>10.1f} {mh * 1000:>9.1f} {mk / mh:>6.2f}{flag}")
    session.close()


if __name__ == "__main__":
    main()
