"""Benchmark: export throughput (rows/s) for a 1M-row audience against DuckDB's own COPY.

Run:  python bench/bench_export.py [--customers 1000000] [--skip-messages]

Builds (or reuses) bench/scale-<N>.duckdb with `kizuna demo`, writes a campaign addressed to
every customer (policies off and no holdout, so the audience is every customer: N rows) in a
scratch workspace, approves it, then in the same run:
  1. export, generic CSV without messages (`kizuna export --no-messages`): the whole
     export end to end: worker process, policy funnel, audience, holdout, campaign.json,
     manifest, ledger, fsync and renames;
  2. DuckDB's own `COPY (same audience query) TO file (FORMAT csv)` on the same connection;
  3. export, generic CSV with rendered subject and body for every recipient;
and prints each rate (1 and 2: best of --repeat runs, interleaved), the ratio of 1 to 2
(target ≥ 0.7) for the whole export, the worker alone and its funnel + audience phases, and
the worker's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlglot import exp  # noqa: E402

from queries.approval import approve, review  # noqa: E402
from queries.campaign import load_campaign  # noqa: E402
from queries.demo import generate_demo  # noqa: E402
from queries.export import export_campaign  # noqa: E402
from queries.export_rows import fast_select  # noqa: E402
from queries.funnel import policy_query  # noqa: E402
from queries.jobs import Job  # noqa: E402
from queries.presets import PRESETS, columns_for  # noqa: E402
from queries.session import open_session  # noqa: E402

CAMPAIGN = """\
name: bench export
who:
  where: {all: []}
how: {channel: email, destination: generic_csv}
what:
  variants:
    - name: A
      subject: "{{ family_name }}様、{{ points | default: 0 }}ポイントのお知らせ"
      body: "<p>{{ family_name }} {{ given_name | default: '' }} 様</p><p>クーポン {{ coupon }}</p>"
    - name: B
      subject: "{{ given_name | default: 'お客' }}様へ特別なご案内"
      body: "<p>{{ favorite_category | default: '人気' }}の新作です。コード {{ coupon }}</p>"
  coupon: {prefix: BN, length: 8}
policy: {require_consent: false, suppression: false, max_contacts: none, dedupe_by: none}
"""


def workspace(n: int) -> Path:
    """A scratch workspace over the scale snapshot, reusing any features cache built for it."""
    db = HERE / f"scale-{n}.duckdb"
    if not db.is_file():
        print(f"generating {db} …", flush=True)
        generate_demo(db, customers=n, seed=7, progress=lambda m: print(m, flush=True))
    ws = HERE / ".cache" / "ws-export"
    if ws.exists():
        shutil.rmtree(ws / "exports", ignore_errors=True)
        shutil.rmtree(ws / ".kizuna" / "approvals", ignore_errors=True)
        shutil.rmtree(ws / ".kizuna" / "ledger", ignore_errors=True)
    for sub in ("segments", "campaigns", ".kizuna/cache"):
        (ws / sub).mkdir(parents=True, exist_ok=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n', "utf-8")
    (ws / "campaigns" / "bench_export.yaml").write_text(CAMPAIGN, "utf-8")
    for other in (HERE / ".cache").glob("*/.kizuna/cache/features-*.duckdb"):
        target = ws / ".kizuna" / "cache" / other.name
        if not target.exists():
            shutil.copy2(other, target)
    return ws


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--skip-messages", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for export and COPY")
    args = ap.parse_args()
    ws = workspace(args.customers)
    t0 = time.perf_counter()
    s = open_session(ws, progress=lambda m: print(m, flush=True))
    c = load_campaign(ws / "campaigns" / "bench_export.yaml", s.catalog, ws, s.store)
    print(f"session {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    rv = review(s, c)
    approve(s, rv, "bench")
    n = rv.funnel.recipients
    print(f"approve (policy funnel + preflight over {n:,}): {time.perf_counter() - t0:.1f}s")

    q = policy_query(s, c)
    cols = columns_for(PRESETS["generic_csv"], c, q.fields, False)
    target = ws / "exports" / "duckdb-copy.csv"
    lit = exp.Literal.string(str(target)).sql("duckdb")
    sql = f"COPY ({fast_select(q, cols).sql('duckdb')}) TO {lit} (FORMAT csv, HEADER true)"
    t_export = t_copy = float("inf")
    for _ in range(args.repeat):  # interleaved, best of N: the box may be busy
        t0 = time.perf_counter()
        run = export_campaign(s, c, messages=False)
        if time.perf_counter() - t0 < t_export:
            t_export, plain = time.perf_counter() - t0, run
        shutil.rmtree(run.folder)
        t0 = time.perf_counter()
        Job().run(s.snapshot.cursor, sql)
        t_copy = min(t_copy, time.perf_counter() - t0)
    copy_mb = target.stat().st_size / 1e6
    target.unlink()
    m = plain.manifest
    laps = m["timings_s"]
    size = plain.files[0]["bytes"]

    worker = m["elapsed_s"]
    write = laps["funnel"] + laps["audience"]
    rate = f"{n / t_copy:>10,.0f} rows/s"
    print(f"DuckDB COPY (same query):     {rate}  ({t_copy:.2f}s, {copy_mb:.0f} MB)")
    print(
        f"export --no-messages, whole:  {n / t_export:>10,.0f} rows/s  ({t_export:.2f}s: "
        f"process start + session {t_export - worker:.2f}s, worker {worker:.2f}s; "
        f"{size / 1e6:.0f} MB, COPY path {m['fast_path']}, worker peak {peak_child_mb():.0f} MB)"
    )
    print(f"  worker phases: {', '.join(f'{k} {v:.2f}s' for k, v in laps.items())}")
    print(f"  funnel + audience file:     {n / write:>10,.0f} rows/s  ({write:.2f}s)")
    whole, inner, phase = t_copy / t_export, t_copy / worker, t_copy / write
    print(
        f"ratio to COPY: whole export {whole:.2f}x, in the worker {inner:.2f}x, "
        f"funnel + audience file {phase:.2f}x  (target ≥ 0.70)"
    )

    if not args.skip_messages:
        t0 = time.perf_counter()
        full = export_campaign(s, c)
        t_full = time.perf_counter() - t0
        size = full.files[0]["bytes"]
        laps = full.manifest["timings_s"]
        print(
            f"export with messages, whole:  {n / t_full:>10,.0f} rows/s  ({t_full:.2f}s, "
            f"{size / 1e6:.0f} MB, worker peak {peak_child_mb():.0f} MB)"
        )
        print(f"  worker phases: {', '.join(f'{k} {v:.2f}s' for k, v in laps.items())}")
    s.close()


if __name__ == "__main__":
    main()
