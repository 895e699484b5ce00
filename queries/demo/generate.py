"""Deterministic demo snapshot generator: realistic loyalty data written by DuckDB SQL."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from queries.demo import sql
from queries.demo import vocab as data

AS_OF = datetime(2026, 11, 20)
HISTORY_DAYS = 5 * 365 + 1
START = AS_OF.date() - timedelta(days=HISTORY_DAYS - 1)
TABLES = (
    "customers",
    "products",
    "orders",
    "order_items",
    "web_events",
    "messages",
    "nps_responses",
    "suppression_list",
    "snapshot_meta",
)
# DuckDB spills its sorts, joins and staging tables to disk past this, so any size generates
# in bounded memory (10M customers: ~4.5 GB peak instead of ~36 GB) with the same output.
MEMORY_LIMIT = "4GB"

# Category weights (same order as demo_data.CATEGORIES) for favourite and browsing picks.
_CAT_FEMALE = (0.30, 0.25, 0.13, 0.07, 0.10, 0.08, 0.01, 0.06)
_CAT_MALE = (0.15, 0.02, 0.15, 0.10, 0.10, 0.13, 0.30, 0.05)
_CAT_ANY = (0.28, 0.22, 0.14, 0.07, 0.11, 0.08, 0.05, 0.05)


def _pick(u_expr: str, weights: Sequence[float]) -> str:
    """SQL CASE choosing an index by cumulative weights for a uniform draw expression."""
    total = sum(weights)
    acc = 0.0
    parts = []
    for idx, w in enumerate(weights[:-1]):
        acc += w / total
        parts.append(f"WHEN {u_expr} < {acc:.6f} THEN {idx}")
    return f"(CASE {' '.join(parts)} ELSE {len(weights) - 1} END)"


def _count_case(col: str) -> str:
    """SQL CASE mapping a category index to its number of products."""
    arms = " ".join(f"WHEN {i} THEN {c[1]}" for i, c in enumerate(data.CATEGORIES))
    return f"(CASE {col} {arms} END)"


def _lit(value: str) -> str:
    """Quote a string as a SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def _forced(seed: int, tag: str, n: int, count: int) -> str:
    """Comma list of customer numbers that always get a rare feature (tiny demos too)."""
    return ", ".join(str(1 + int(data.draw(seed, tag, k) * n)) for k in range(count))


def _params(n: int, seed: int) -> dict[str, object]:
    """Values substituted into the SQL templates."""
    shared_a = 1 + int(data.draw(seed, "shared", 0) * (n - 1))
    camps = data.campaigns(AS_OF.date())
    camp_rows = ", ".join(
        f"({ci}, {_lit(cid)}, {_lit(ch)}, {(d - START).days}, {hour}, {_lit(tgt)}, {reach})"
        for ci, (cid, ch, d, hour, tgt, reach) in enumerate(camps)
    )
    assert len(camps) < 256
    mix = int(hashlib.sha256(f"kizuna-demo:{seed}".encode()).hexdigest()[:15], 16)
    fav = (
        f"CASE WHEN gender = 'male' THEN {_pick('u(1, i, 9)', _CAT_MALE)} "
        f"ELSE {_pick('u(1, i, 9)', _CAT_FEMALE)} END"
    )
    return {
        "mix": mix,
        "seed": int(seed),
        "n": n,
        "start": START.isoformat(),
        "start_us": int(
            (datetime.combine(START, datetime.min.time()) - datetime(1970, 1, 1))
            / timedelta(microseconds=1)
        ),
        "dmax": HISTORY_DAYS - 1,
        "as_of": AS_OF.isoformat(sep=" "),
        "as_of_date": AS_OF.date().isoformat(),
        "cid_width": max(6, len(str(n))),
        "k_exp": 0.9,
        "forced_unenc": _forced(seed, "unenc", n, 4),
        "forced_takahashi": _forced(seed, "takahashi", n, 2),
        "forced_yamazaki": _forced(seed, "yamazaki", n, 2),
        "forced_leap": _forced(seed, "leap", n, 4),
        "shared_a": shared_a,
        "shared_b": shared_a + 1,
        "fav_cat": fav,
        "cat_any_3": _pick("u(3, e * 8 + l, 2)", _CAT_ANY),
        "cat_any_5": _pick("u(5, ee, 4)", _CAT_ANY),
        "cat_any_10": _pick("u(10, abn.ee, 4)", _CAT_ANY),
        "cat_count_y": _count_case("y.cat"),
        "cat_count_ev": _count_case("ev.cat"),
        "n_terms": len(data.SEARCH_TERMS),
        "terms": "[" + ", ".join(_lit(t) for t in data.SEARCH_TERMS) + "]",
        "n_orphans": 3 + n // 2000,
        "campaigns": camp_rows,
    }


def _pools(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Load name, place and catalog pools as temp tables; return the pool sizes."""
    fam, famx = data.expand(data.FAMILY_NAMES), data.expand(data.UNENCODABLE_FAMILY)
    given = [
        data.expand(data.GIVEN_FEMALE + data.GIVEN_NEUTRAL[:3]),
        data.expand(data.GIVEN_MALE + data.GIVEN_NEUTRAL[3:]),
        data.expand(data.GIVEN_FEMALE + data.GIVEN_MALE + data.GIVEN_NEUTRAL),
        data.expand(data.UNENCODABLE_GIVEN),
    ]
    con.execute("CREATE TEMP TABLE fam(pool INTEGER, idx INTEGER, k VARCHAR, r VARCHAR)")
    con.execute("CREATE TEMP TABLE gvn(pool INTEGER, idx INTEGER, k VARCHAR, r VARCHAR)")
    for table, pools in (("fam", [fam, famx]), ("gvn", given)):
        for pool, (kanji, romaji) in enumerate(pools):
            con.execute(
                f"INSERT INTO {table} SELECT ?, i, ($2::VARCHAR[])[i + 1], ($3::VARCHAR[])[i + 1] "
                "FROM range(len($2::VARCHAR[])) r(i)",
                [pool, kanji, romaji],
            )
    prefs = [name for name, w in data.PREFECTURES for _ in range(w)]
    con.execute(
        "CREATE TEMP TABLE pref AS SELECT i AS idx, ($1::VARCHAR[])[i + 1] AS name "
        "FROM range(len($1::VARCHAR[])) r(i)",
        [prefs],
    )
    con.execute(
        "CREATE TEMP TABLE prod(product_id VARCHAR, name VARCHAR, category VARCHAR, "
        "brand VARCHAR, price INTEGER, cat_idx INTEGER, idx INTEGER)"
    )
    con.executemany("INSERT INTO prod VALUES (?, ?, ?, ?, ?, ?, ?)", data.products())
    con.execute(
        "CREATE TABLE products AS SELECT product_id, name, category, brand, price "
        "FROM prod ORDER BY product_id"
    )
    return {
        "n_fam": len(fam[0]),
        "n_famx": len(famx[0]),
        "n_gf": len(given[0][0]),
        "n_gm": len(given[1][0]),
        "n_ga": len(given[2][0]),
        "n_gx": len(given[3][0]),
        "n_pref": len(prefs),
    }


_STEPS: tuple[tuple[str, str], ...] = (
    ("calendar", sql.CALENDAR),
    ("customers", sql.CUSTOMERS_STAGE),
    ("emails", sql.EMAILS),
    ("orders", sql.ORDERS_STAGE),
    ("order lines", sql.ITEM_LINES),
    ("order items", sql.ITEMS_FINAL),
    ("loyalty tiers", sql.CUSTOMERS_FINAL),
    ("suppression list", sql.SUPPRESSION),
    ("messages", sql.MESSAGES),
    ("web events", sql.WEB_EVENTS),
    ("nps responses", sql.NPS),
    ("snapshot meta", sql.META),
)


def _run(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Execute a ;-separated script statement by statement."""
    for stmt in text.split(";\n"):
        if stmt.strip():
            con.execute(stmt)


def generate_demo(
    out: Path,
    customers: int = 25_000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    memory_limit: str = MEMORY_LIMIT,
) -> None:
    """Write a deterministic demo snapshot with `customers` customers to `out` (atomically),
    spilling to a scratch folder beside it past `memory_limit`."""
    if customers < 10:
        raise ValueError("the demo needs at least 10 customers")
    say = progress or (lambda _msg: None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    spill = out.with_name(out.name + ".spill")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(spill, ignore_errors=True)
    params = _params(customers, seed)
    con = duckdb.connect(
        str(tmp), config={"memory_limit": memory_limit, "temp_directory": str(spill)}
    )
    try:
        con.execute("SET enable_progress_bar = false")
        _run(con, sql.MACROS.format(**params))
        say("catalog and name pools")
        params.update(_pools(con))
        for label, template in _STEPS:
            say(label)
            _run(con, template.format(**params))
        say("compacting")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            stale.unlink(missing_ok=True)
        raise
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    out.with_name(out.name + ".wal").unlink(missing_ok=True)
    os.replace(tmp, out)


def row_counts(path: Path) -> dict[str, int]:
    """Row count per demo table of a snapshot file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
    finally:
        con.close()


def _main(argv: list[str]) -> None:
    """`python -m queries.demo OUT [CUSTOMERS] [SEED]`: generate and print timing and counts."""
    out = Path(argv[0]) if argv else Path("demo.duckdb")
    n = int(argv[1]) if len(argv) > 1 else 25_000
    seed = int(argv[2]) if len(argv) > 2 else 7
    t0 = time.perf_counter()
    generate_demo(out, n, seed, progress=lambda m: print(f"{time.perf_counter() - t0:7.2f}s {m}"))
    print(f"done in {time.perf_counter() - t0:.2f}s, {out.stat().st_size / 1e6:.1f} MB")
    for table, count in row_counts(out).items():
        print(f"{table:18} {count:>10,}")


if __name__ == "__main__":
    _main(sys.argv[1:])
