"""Snapshots that are not the demo: minimal schemas, other schemas and names, no PII.

Each builder writes a DuckDB file and returns it; `workspace()` writes a kizuna.toml next to it.
The `shop` snapshot is deterministic pseudo-random data (amounts with cents, several orders on
one day, customers who sign up after a backtest day), and its decoys — a `main.orders` with
other numbers and a `kz.order_items` — must never be read.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

AS_OF = "2026-06-30"


def customers_only(path: Path) -> Path:
    """Only customers.customer_id: nothing else in the snapshot."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (customer_id VARCHAR)")
    con.executemany("INSERT INTO customers VALUES (?)", [(f"K{i}",) for i in range(1, 6)])
    con.close()
    return path


def shop(path: Path, seed: int = 13) -> Path:
    """crm.kunden + sales.tx (other schemas and names), plus decoys in main and kz."""
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA crm; CREATE SCHEMA sales; CREATE SCHEMA kz")
    con.execute(
        "CREATE TABLE crm.kunden (kid VARCHAR, joined TIMESTAMP, rang VARCHAR, mail VARCHAR)"
    )
    con.execute(
        "CREATE TABLE sales.tx (tid INTEGER, cust VARCHAR, tag TIMESTAMP, betrag DECIMAL(10, 2))"
    )
    start = datetime(2025, 1, 1)
    kunden = []
    for i in range(1, 41):
        joined = None if i % 13 == 0 else start + timedelta(days=rng.randrange(0, 540))
        mail = f"k{i}@example.com" if i % 3 else None
        kunden.append((f"S{i:03d}", joined, rng.choice(["gold", "silver", None]), mail))
    con.executemany("INSERT INTO crm.kunden VALUES (?, ?, ?, ?)", kunden)
    tx = []
    tid = 0
    for kid, joined, _, _ in kunden:
        first = joined or start
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            day = first + timedelta(days=rng.randrange(0, 400), hours=rng.randrange(0, 24))
            n = 1 + (rng.random() < 0.3)  # sometimes two orders on one day
            for k in range(n):
                tid += 1
                cents = rng.randrange(100, 20000)
                tx.append(
                    (tid, kid, day + timedelta(minutes=k), f"{cents // 100}.{cents % 100:02d}")
                )
    con.executemany("INSERT INTO sales.tx VALUES (?, ?, ?, CAST(? AS DECIMAL(10, 2)))", tx)
    # decoys: same logical names in other places, with other numbers
    con.execute(
        "CREATE TABLE main.orders AS SELECT tid + 100000 AS order_id, cust AS customer_id, "
        "tag AS ordered_at, 'web' AS channel, betrag * 100 AS total, NULL AS coupon_code "
        "FROM sales.tx"
    )
    con.execute(
        "CREATE TABLE kz.order_items (order_id INTEGER, product_id VARCHAR, quantity INTEGER, "
        "unit_price INTEGER)"
    )
    con.execute("INSERT INTO kz.order_items VALUES (1, 'P1', 1, 100)")
    con.close()
    return path


SHOP_MAPPING = """\
[tables]
customers = "crm.kunden"
orders = "sales.tx"

[columns.customers]
customer_id = "kid"
signup_at = "joined"
loyalty_tier = "rang"
email = "mail"

[columns.orders]
order_id = "tid"
customer_id = "cust"
ordered_at = "tag"
total = "betrag"
"""


def no_pii(path: Path) -> Path:
    """Customers without personal data: no email, phone, LINE id, names or birth date."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE customers (customer_id VARCHAR, signup_at TIMESTAMP, loyalty_tier VARCHAR, "
        "prefecture VARCHAR, gender VARCHAR, points INTEGER)"
    )
    rows = [
        (f"N{i}", datetime(2026, 1, 1) + timedelta(days=i), None, None, ["f", "m", "x"][i % 3], i)
        for i in range(1, 13)
    ]
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, ordered_at TIMESTAMP, "
        "total INTEGER)"
    )
    con.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?)",
        [
            (f"O{i}", f"N{i % 5 + 1}", datetime(2026, 3, 1) + timedelta(days=i), 1000 + i)
            for i in range(9)
        ],
    )
    con.close()
    return path


def workspace(root: Path, db: Path, toml_extra: str = "", as_of: str | None = AS_OF) -> Path:
    """A workspace folder whose kizuna.toml points at `db`, plus `toml_extra` settings."""
    (root / "segments").mkdir(parents=True, exist_ok=True)
    (root / "campaigns").mkdir(exist_ok=True)
    snap = f'[snapshot]\npath = "{db.as_posix()}"\n'
    if as_of:
        snap += f'as_of = "{as_of}"\n'
    head, sep, tail = toml_extra.partition("[")
    # top-level keys (currency) must come before the first table
    (root / "kizuna.toml").write_text(head + snap + sep + tail, encoding="utf-8")
    return root
