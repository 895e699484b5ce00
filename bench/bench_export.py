"""Benchmark: export without messages against DuckDB's own COPY, and approval, at scale.

Run:  python bench/bench_export.py [--customers 1000000] [--repeat 5] [--messages |
      --messages-only]

Builds (or reuses) bench/scale-<N>.duckdb (`kizuna demo --customers N`), writes campaigns
addressed to every customer (policies off, no holdout: N recipients) in a scratch workspace
and prints, median and p95 over --repeat runs, each pair interleaved round by round:
  1. approval: review (policy funnel + preflight over every recipient) + approve;
  2. `export` generic CSV without messages, end to end (worker process, funnel, audience,
     holdout, campaign.json, manifest, ledger, fsync and renames) against
     `COPY (the same audience query) TO file (FORMAT csv)` on the same connection: once with
     the worker started cold (`kizuna export`), once with it warm (the TUI starts it when
     the export screen opens; its start is not timed);
  3. the same for Parquet against `COPY … (FORMAT parquet)`;
  4. with --messages, the CSV export with rendered subject and body, the same export
     without messages and the COPY of the same rows without messages, interleaved (rows/s).
Targets: CSV and Parquet ≤ 1.4x COPY; approval ≤ 3 s at 1M and linear in N.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlglot import exp  # noqa: E402

from bench.common import interleave, ratio, snapshot, summary  # noqa: E402
from queries.campaigns.funnel import policy_query  # noqa: E402
from queries.campaigns.parse import load_campaign  # noqa: E402
from queries.campaigns.presets import PRESETS, columns_for  # noqa: E402
from queries.engines.jobs import Job  # noqa: E402
from queries.handoff.approval import approve, review  # noqa: E402
from queries.handoff.export import spare  # noqa: E402
from queries.handoff.export.request import Place  # noqa: E402
from queries.handoff.export.rows import fast_select  # noqa: E402
from queries.handoff.export.run import export_campaign, place_for  # noqa: E402
from queries.query import address_book  # noqa: E402
from queries.query.session import open_session  # noqa: E402

CAMPAIGN = """\
name: bench export
who:
  where: {all: []}
how: {channel: email, destination: DEST}
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
DESTS = {"csv": "generic_csv", "parquet": "parquet"}


def workspace(n: int) -> Path:
    """A scratch workspace over the scale snapshot, reusing any features cache built for it."""
    db = snapshot(n)
    ws = HERE / ".cache" / f"ws-export-{n}"
    if ws.exists():
        shutil.rmtree(ws / "exports", ignore_errors=True)
        shutil.rmtree(ws / ".kizuna" / "approvals", ignore_errors=True)
        shutil.rmtree(ws / ".kizuna" / "ledger", ignore_errors=True)
    for sub in ("segments", "campaigns", ".kizuna/cache"):
        (ws / sub).mkdir(parents=True, exist_ok=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n', "utf-8")
    for fmt, dest in DESTS.items():
        text = CAMPAIGN.replace("DEST", dest)
        (ws / "campaigns" / f"bench_export_{fmt}.yaml").write_text(text, "utf-8")
    for other in (HERE / ".cache").glob("*/.kizuna/cache/features-*.duckdb"):
        target = ws / ".kizuna" / "cache" / other.name
        if not target.exists():
            shutil.copy2(other, target)
    return ws


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


WS = HERE  # the scratch workspace (set in main)
PLACE: list[Place] = []  # where its exports open their session (set in main)


def clear(ws: Path) -> None:
    """Remove earlier runs' export folders (untimed: deleting files is not exporting)."""
    for folder in (ws / "exports").glob("bench_export_*/*"):
        shutil.rmtree(folder)


BARE_COPY = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
con.execute(f"ATTACH '{sys.argv[3]}' AS kz_cache (READ_ONLY)")
con.execute(sys.argv[2])
"""


def cli_process(s: Any, ws: Path, c: Any, repeat: int) -> None:
    """`kizuna export --no-messages` as a person runs it (the whole process, its writer
    started as the CLI loads) against a bare python+duckdb process running the same COPY."""
    kizuna = str(Path(sys.executable).with_name("kizuna"))
    cmd = [kizuna, "export", c.stem, "--replace", "--no-messages", "--workspace", str(ws)]
    q = policy_query(s, c)
    cols = columns_for(PRESETS["generic_csv"], c, q.fields, False)
    target = ws / "exports" / "duckdb-copy.csv"
    lit = exp.Literal.string(str(target)).sql("duckdb")
    sql = f"COPY ({fast_select(q, cols).sql('duckdb')}) TO {lit} (FORMAT csv, HEADER true)"
    features = s.snapshot.features_path
    bare = [sys.executable, "-c", BARE_COPY, str(s.ws.db_path), sql, str(features)]
    t = interleave(
        {
            "kizuna export": lambda: subprocess.run(cmd, check=True, capture_output=True),
            "python+duckdb COPY": lambda: subprocess.run(bare, check=True, capture_output=True),
        },
        repeat,
        setup={
            "kizuna export": lambda: clear(ws),
            "python+duckdb COPY": lambda: target.unlink(missing_ok=True),
        },
    )
    print(
        f"\nwhole process, csv without messages: `kizuna export` vs a python+duckdb process "
        f"running the COPY: {ratio(t['kizuna export'], t['python+duckdb COPY'])}"
    )
    for k, v in t.items():
        print(f"  {k:<20} {summary(v)}")


def warm() -> None:
    """Earlier runs cleared; the export worker started, imported and its session open, as
    the TUI's export screen does while the marketer reads it."""
    clear(WS)
    spare.prewarm(wait=True, place=PLACE[0])


def cold() -> None:
    """Earlier runs cleared; no worker waiting (`kizuna export` starts its own)."""
    clear(WS)
    spare.discard()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--messages", action="store_true", help="also the export with messages")
    ap.add_argument(
        "--messages-only", action="store_true", help="approval once, then only --messages"
    )
    ap.add_argument(
        "--cli", action="store_true", help="also the whole `kizuna export` process (csv)"
    )
    ap.add_argument(
        "--python-writer",
        action="store_true",
        help="with --messages: also the export with messages through the Python writer",
    )
    args = ap.parse_args()
    args.messages = args.messages or args.messages_only
    ws = workspace(args.customers)
    global WS
    WS = ws
    t0 = time.perf_counter()
    s = open_session(ws, progress=lambda m: print(m, flush=True))
    PLACE.append(place_for(s.ws, s.engine.kind))
    camps = {
        fmt: load_campaign(ws / "campaigns" / f"bench_export_{fmt}.yaml", s.catalog, ws, s.store)
        for fmt in DESTS
    }
    book = address_book.ensure(s, progress=lambda m: print(m, flush=True))  # once per snapshot
    print(
        f"snapshot scale-{args.customers}; session {time.perf_counter() - t0:.1f}s "
        f"(address book built in {book.built_s:.1f}s, 0 when cached); "
        f"{args.repeat} runs each, median and p95"
    )

    n, cpu = 0, []

    def approval() -> None:
        nonlocal n
        c0 = time.process_time()  # this process and DuckDB's threads
        for c in camps.values():
            rv = review(s, c)
            approve(s, rv, "bench")
            n = rv.funnel.recipients
        cpu.append((time.process_time() - c0) / len(camps))

    rounds = 1 if args.messages_only else max(1, args.repeat // 2)
    t = interleave({"approval": approval}, rounds, warmup=0)
    per = [x / len(camps) for x in t["approval"]]
    print(
        f"approval (funnel + preflight over {n:,} recipients) {summary(per)}  (target 3 s at 1M)"
        f"; CPU median {statistics.median(cpu):.2f} s, {statistics.median(per) / n * 1e3:.2f} µs"
        " per recipient"
    )

    for fmt, dest in DESTS.items() if not args.messages_only else ():
        c = camps[fmt]
        q = policy_query(s, c)
        cols = columns_for(PRESETS[dest], c, q.fields, False)
        target = ws / "exports" / f"duckdb-copy.{fmt}"
        lit = exp.Literal.string(str(target)).sql("duckdb")
        opts = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
        sql = f"COPY ({fast_select(q, cols).sql('duckdb')}) TO {lit} ({opts})"
        runs = []

        def kizuna(c=c, runs=runs) -> None:
            runs.append(export_campaign(s, c, messages=False, replace=True))

        def copy(sql=sql) -> None:
            Job().run(s.snapshot.cursor, sql)

        t = interleave(
            {"export": kizuna, "export, cold worker": kizuna, "COPY": copy},
            args.repeat,
            setup={
                "export": warm,
                "export, cold worker": cold,
                "COPY": lambda target=target: target.unlink(missing_ok=True),
            },
        )
        size = target.stat().st_size / 1e6
        target.unlink()
        m = runs[-1].manifest
        print(
            f"\n{fmt}: export --no-messages vs COPY: {ratio(t['export'], t['COPY'])}"
            f"  (target <= 1.4x)"
        )
        print(
            f"  export {summary(t['export'])}  "
            f"({n / statistics.median(t['export']) * 1000:,.0f} rows/s, "
            f"COPY path {m.fast_path}, {runs[-1].files[0].bytes / 1e6:.0f} MB)"
        )
        print(
            f"  COPY   {summary(t['COPY'])}  "
            f"({n / statistics.median(t['COPY']) * 1000:,.0f} rows/s, {size:.0f} MB)"
        )
        cold_ms = t["export, cold worker"]
        print(
            f"  export, cold worker (kizuna export): {summary(cold_ms)}; vs COPY "
            f"{ratio(cold_ms, t['COPY'])}"
        )
        laps = runs[-1].timings_s
        print(
            f"  last export's worker phases: {', '.join(f'{k} {v:.2f}s' for k, v in laps.items())}"
            f"; worker {runs[-1].elapsed_s:.2f}s"
        )

    if args.cli:
        cli_process(s, ws, camps["csv"], args.repeat)

    if args.messages:
        c, runs = camps["csv"], {}

        def export(messages: bool | None, fast: bool = True) -> None:
            runs[messages, fast] = export_campaign(s, c, messages=messages, replace=True, fast=fast)

        q = policy_query(s, c)
        cols = columns_for(PRESETS["generic_csv"], c, q.fields, False)
        target = ws / "exports" / "duckdb-copy.csv"
        lit = exp.Literal.string(str(target)).sql("duckdb")
        sql = f"COPY ({fast_select(q, cols).sql('duckdb')}) TO {lit} (FORMAT csv, HEADER true)"
        sides = {
            "with messages": lambda: export(None),
            "cold worker": lambda: export(None),
            "no messages": lambda: export(False),
            "COPY": lambda: Job().run(s.snapshot.cursor, sql),
        }
        if args.python_writer:  # the same file through the Python writer (the fallback)
            sides["Python writer"] = lambda: export(None, fast=False)
        warmed = {k: warm for k in sides if k not in ("cold worker", "COPY")}
        unlink = {"COPY": lambda: target.unlink(missing_ok=True)}  # (as the exports' folders)
        t = interleave(sides, args.repeat, setup=warmed | unlink | {"cold worker": cold})
        target.unlink()
        full = runs[None, True]
        print(
            f"\ncsv with rendered messages (subject + body, 2 variants; worker warm but "
            f"'cold worker'): "
            f"vs no messages {ratio(t['with messages'], t['no messages'])}; "
            f"vs COPY without messages {ratio(t['with messages'], t['COPY'])}"
        )
        for k, v in t.items():
            rate = n / statistics.median(v) * 1000
            print(f"  {k:<14} {summary(v)}  ({rate:,.0f} rows/s)")
        laps = ", ".join(f"{k} {v:.2f}s" for k, v in full.timings_s.items())
        print(
            f"  with messages: COPY path {full.manifest.fast_path}, session opened ahead "
            f"{full.session_ahead}, "
            f"{full.files[0].bytes / 1e6:.0f} MB; worker phases: {laps}; "
            f"worker {full.elapsed_s:.2f}s"
        )
    s.close()


if __name__ == "__main__":
    main()
