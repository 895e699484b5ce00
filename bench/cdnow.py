"""A real shop's data, mapped with kizuna.toml only: the CDNOW CD-shop transactions.

The `lifetimes` package (PyPI) ships the CDNOW master file: 23,570 customers who first bought
in the first quarter of 1997 and their 69,659 purchase records until June 1998 (customer id,
day, number of CDs, dollar value). Only the data file is needed, not the library:

    pip install --no-deps lifetimes==0.11.3     # or: pip download --no-deps lifetimes==0.11.3
    python bench/cdnow.py [--wheel Lifetimes-0.11.3-py3-none-any.whl] [--out /tmp/cdnow]

It loads the file into a DuckDB snapshot in the shop's own schemas and names
(`crm.cd_customers`, `sales.cd_purchases`), makes a workspace with `kizuna init --db` (which
guesses the mapping), completes the mapping in kizuna.toml, runs `kizuna check`, and then
compares Kizuna's numbers with SQL written here on the raw tables, customer by customer:
order_count, purchase_days, total_spend, avg_order_value, recency_days and lifecycle_stage,
a segment count, and the backtest base at --as-of 1997-01-15. It prints the timings and exits
1 on any mismatch.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

DATA = "lifetimes/datasets/CDNOW_master.txt"


def cdnow_text(wheel: Path | None) -> str:
    """The CDNOW master file from the installed `lifetimes` package or a downloaded wheel."""
    if wheel is not None:
        with zipfile.ZipFile(wheel) as z:
            return z.read(DATA).decode("ascii")
    spec = importlib.util.find_spec("lifetimes")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("install the data first: pip install --no-deps lifetimes==0.11.3 (or --wheel)")
    root = Path(next(iter(spec.submodule_search_locations)))
    return (root / "datasets" / "CDNOW_master.txt").read_text(encoding="ascii")


def build_snapshot(text: str, path: Path) -> tuple[int, int]:
    """crm.cd_customers (id, first purchase day) and sales.cd_purchases, as the shop has them."""
    rows = []
    for line in io.StringIO(text):
        parts = line.split()
        if len(parts) != 4 or not parts[1].isdigit():
            continue  # the header line
        cid, day, cds, dollars = parts
        rows.append((cid, f"{day[:4]}-{day[4:6]}-{day[6:]}", int(cds), dollars))
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA crm; CREATE SCHEMA sales")
    con.execute(
        "CREATE TABLE sales.cd_purchases (cust_no VARCHAR, purchase_date DATE, "
        "cds INTEGER, dollar_value DECIMAL(10, 2))"
    )
    csv = path.with_suffix(".csv")  # one bulk load (row-by-row inserts are slow)
    csv.write_text("".join(f"{c},{d},{n},{v}\n" for c, d, n, v in rows), encoding="ascii")
    con.execute(
        "INSERT INTO sales.cd_purchases SELECT * FROM read_csv(?, header = false, columns = "
        "{'c': 'VARCHAR', 'd': 'DATE', 'n': 'INTEGER', 'v': 'DECIMAL(10, 2)'})",
        [str(csv)],
    )
    csv.unlink()
    # the customer master: every customer and the day they joined (their first purchase)
    con.execute(
        "CREATE TABLE crm.cd_customers AS SELECT cust_no, min(purchase_date) AS first_purchase "
        "FROM sales.cd_purchases GROUP BY cust_no"
    )
    n = con.execute("SELECT count(*) FROM crm.cd_customers").fetchone()[0]
    con.close()
    return n, len(rows)


# What the analyst adds after `kizuna init --db` (which finds the tables but cannot know that
# `first_purchase` is when a customer joined, nor `cust_no` in the purchases table).
MAPPING = """\
currency = "USD"
[snapshot]
path = "{db}"

[tables]
customers = "crm.cd_customers"
orders = "sales.cd_purchases"

[columns.customers]
customer_id = "cust_no"
signup_at = "first_purchase"

[columns.orders]
customer_id = "cust_no"
ordered_at = "purchase_date"
total = "dollar_value"
order_id = false

[fields.cds_bought]
type = "number"
label = "CDs bought"
sql = '''(SELECT coalesce(sum(p.cds), 0) FROM sales.cd_purchases p
          WHERE p.cust_no = c.cust_no AND p.purchase_date <= {{as_of}})'''
"""

INDEPENDENT = """
WITH a AS (
  SELECT cust_no, count(*) AS n, count(DISTINCT purchase_date) AS days,
         sum(dollar_value) AS spend, min(purchase_date) AS first_day,
         max(purchase_date) AS last_day, sum(cds) AS cds
  FROM sales.cd_purchases WHERE purchase_date <= CAST(? AS DATE) GROUP BY cust_no
)
SELECT k.cust_no, coalesce(a.n, 0), coalesce(a.days, 0), coalesce(a.spend, 0),
       a.first_day, a.last_day, coalesce(a.cds, 0)
FROM crm.cd_customers k LEFT JOIN a USING (cust_no)
WHERE k.first_purchase <= CAST(? AS DATE)
"""


def stage(n: int, first: date | None, last: date | None, d: date) -> str:
    if not n:
        return "prospect"
    if (d - first).days < 30:
        return "new"
    gap = (d - last).days
    if gap <= 90:
        return "active"
    return "at_risk" if gap <= 180 else "dormant" if gap <= 365 else "churned"


def compare(ws: Path, db: Path, as_of: str | None) -> list[str]:
    """Kizuna's features and a segment count against the independent SQL; the mismatches."""
    from queries.query.session import open_session
    from queries.segments.parse import segment_from_text

    s = open_session(ws, as_of=as_of)
    problems: list[str] = []
    try:
        d = s.snapshot.as_of
        raw = duckdb.connect(str(db), read_only=True)
        want = raw.execute(INDEPENDENT, [d.isoformat(), d.isoformat()]).fetchall()
        raw.close()
        got = {
            r[0]: r
            for r in s.snapshot.cursor()
            .execute(
                "SELECT customer_id, order_count, purchase_days, total_spend, avg_order_value, "
                "recency_days, lifecycle_stage FROM kz_cache.features"
            )
            .fetchall()
        }
        if s.snapshot.base_size != len(want):
            problems.append(f"base {s.snapshot.base_size} != {len(want)}")
        for cid, n, days, spend, first, last, _ in want:
            g = got[cid]
            expect = (
                n,
                days,
                Decimal(spend),
                (Decimal(spend) / n) if n else None,
                (d - last).days if n else None,
                stage(n, first, last, d),
            )
            have = (g[1], g[2], Decimal(str(g[3])), g[4], g[5], g[6])
            same = (
                have[0] == expect[0]
                and have[1] == expect[1]
                and have[2] == expect[2]
                and (expect[3] is None) == (have[3] is None)
                and (expect[3] is None or abs(Decimal(str(have[3])) - expect[3]) < Decimal("1e-9"))
                and have[4:] == expect[4:]
            )
            if not same:
                problems.append(f"{cid}: kizuna {have} != sql {expect}")
        seg = segment_from_text(
            "name: loyal lapsed\nwhere:\n  all:\n"
            "    - {field: purchase_days, op: '>=', value: 3}\n"
            "    - {field: avg_order_value, op: '>=', value: 30}\n"
            "    - {field: lifecycle_stage, op: in, value: [at_risk, dormant]}\n"
            "    - {field: cds_bought, op: '>=', value: 5}\n",
            s.catalog,
        )
        n_kz = s.runner.count(seg)
        n_sql = sum(
            1
            for _, n, days, spend, first, last, cds in want
            if days >= 3
            and n
            and Decimal(spend) / n >= 30
            and stage(n, first, last, d) in ("at_risk", "dormant")
            and cds >= 5
        )
        print(
            f"  as of {d}: base {len(want):,}; segment 'loyal lapsed' kizuna {n_kz:,} sql {n_sql:,}"
        )
        if n_kz != n_sql:
            problems.append(f"segment count {n_kz} != {n_sql}")
        if as_of is not None:  # `kizuna backtest` on the base of that day, 30 days ahead
            from queries.measure.backtest import backtest
            from queries.segments.model import Group, Segment

            bt = backtest(s, Segment("everyone", Group("all")), "30d")
            raw = duckdb.connect(str(db), read_only=True)
            buyers = raw.execute(
                "SELECT count(DISTINCT p.cust_no) FROM sales.cd_purchases p JOIN "
                "crm.cd_customers k USING (cust_no) WHERE k.first_purchase <= CAST(? AS DATE) "
                "AND p.purchase_date BETWEEN CAST(? AS DATE) + 1 AND CAST(? AS DATE) + 30",
                [d, d, d],
            ).fetchone()[0]
            raw.close()
            print(
                f"  backtest 30d: base {bt.base_outcome.people:,} people, "
                f"{bt.base_outcome.converters:,} bought (sql {buyers:,})"
            )
            if (bt.base_outcome.people, bt.base_outcome.converters) != (len(want), buyers):
                problems.append("backtest base or converters differ")
        counts: dict[str, int] = {}
        for _, n, _, _, first, last, _ in want:
            counts[stage(n, first, last, d)] = counts.get(stage(n, first, last, d), 0) + 1
        print(f"  lifecycle (sql): {dict(sorted(counts.items()))}")
    finally:
        s.close()
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="a downloaded lifetimes wheel (else installed)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/kizuna-cdnow"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db, ws = args.out / "cdnow.duckdb", args.out / "ws"
    kizuna = [str(Path(sys.executable).with_name("kizuna"))]

    t0 = time.perf_counter()
    customers, purchases = build_snapshot(cdnow_text(args.wheel), db)
    print(
        f"snapshot: {customers:,} customers, {purchases:,} purchases "
        f"({time.perf_counter() - t0:.1f}s)"
    )

    t1 = time.perf_counter()
    if (ws / "kizuna.toml").exists():
        (ws / "kizuna.toml").unlink()
    subprocess.run([*kizuna, "init", str(ws), "--db", str(db)], check=True)
    guessed = (ws / "kizuna.toml").read_text()
    print(f"kizuna init --db ({time.perf_counter() - t1:.1f}s) guessed:")
    print("\n".join("  " + ln for ln in guessed.splitlines() if ln and not ln.startswith("# ")))
    for step in ("guessed", "completed"):
        if step == "completed":
            (ws / "kizuna.toml").write_text(MAPPING.format(db=db.as_posix()), encoding="utf-8")
        t2 = time.perf_counter()
        check = subprocess.run(
            [*kizuna, "check", "--workspace", str(ws)], capture_output=True, text=True
        )
        took = time.perf_counter() - t2
        print(f"kizuna check ({step} mapping): exit {check.returncode} ({took:.1f}s)")
        if check.returncode != 0:
            print(check.stdout, check.stderr)
            sys.exit(1)

    problems = []
    for as_of in (None, "1997-03-31", "1997-01-15"):
        t = time.perf_counter()
        problems += compare(ws, db, as_of)
        print(f"  compared customer by customer ({time.perf_counter() - t:.1f}s)")
    print(f"total {time.perf_counter() - t0:.1f}s; mismatches: {len(problems)}")
    for p in problems[:20]:
        print("  ", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
