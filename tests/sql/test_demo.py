"""Tests for the deterministic demo snapshot generator."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from queries.demo.generate import AS_OF, TABLES, generate_demo

N = 2000
END = "TIMESTAMP '2026-11-20 23:59:59'"

SCHEMA: dict[str, list[tuple[str, str]]] = {
    "customers": [
        ("customer_id", "VARCHAR"),
        ("email", "VARCHAR"),
        ("phone", "VARCHAR"),
        ("line_user_id", "VARCHAR"),
        ("family_name", "VARCHAR"),
        ("given_name", "VARCHAR"),
        ("gender", "VARCHAR"),
        ("birth_date", "DATE"),
        ("prefecture", "VARCHAR"),
        ("signup_at", "TIMESTAMP"),
        ("signup_channel", "VARCHAR"),
        ("loyalty_tier", "VARCHAR"),
        ("points", "INTEGER"),
        ("email_opt_in", "BOOLEAN"),
        ("sms_opt_in", "BOOLEAN"),
        ("line_opt_in", "BOOLEAN"),
        ("preferred_channel", "VARCHAR"),
    ],
    "products": [
        ("product_id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("category", "VARCHAR"),
        ("brand", "VARCHAR"),
        ("price", "INTEGER"),
    ],
    "orders": [
        ("order_id", "VARCHAR"),
        ("customer_id", "VARCHAR"),
        ("ordered_at", "TIMESTAMP"),
        ("channel", "VARCHAR"),
        ("total", "INTEGER"),
        ("coupon_code", "VARCHAR"),
    ],
    "order_items": [
        ("order_id", "VARCHAR"),
        ("product_id", "VARCHAR"),
        ("quantity", "INTEGER"),
        ("unit_price", "INTEGER"),
    ],
    "web_events": [
        ("customer_id", "VARCHAR"),
        ("event_at", "TIMESTAMP"),
        ("event_type", "VARCHAR"),
        ("product_id", "VARCHAR"),
        ("search_term", "VARCHAR"),
    ],
    "messages": [
        ("message_id", "VARCHAR"),
        ("customer_id", "VARCHAR"),
        ("campaign_id", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("sent_at", "TIMESTAMP"),
        ("opened_at", "TIMESTAMP"),
        ("clicked_at", "TIMESTAMP"),
    ],
    "nps_responses": [
        ("customer_id", "VARCHAR"),
        ("responded_at", "TIMESTAMP"),
        ("score", "INTEGER"),
    ],
    "suppression_list": [
        ("customer_id", "VARCHAR"),
        ("email", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("added_at", "TIMESTAMP"),
    ],
    "snapshot_meta": [("as_of", "TIMESTAMP"), ("source", "VARCHAR")],
}


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """Tiny fixture helper: a read-only connection to a generated snapshot."""
    return duckdb.connect(str(path), read_only=True)


def _checksums(path: Path) -> dict[str, str]:
    """SHA-256 of every table's rows in stored order."""
    con = _open(path)
    try:
        return {
            t: hashlib.sha256(
                repr(con.execute(f"SELECT * FROM {t}").fetchall()).encode()
            ).hexdigest()
            for t in TABLES
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate the small snapshots used by this module once."""
    d = tmp_path_factory.mktemp("demo")
    generate_demo(d / "a.duckdb", customers=N, seed=7)
    generate_demo(d / "b.duckdb", customers=N, seed=7)
    generate_demo(d / "c.duckdb", customers=N, seed=8)
    return d


@pytest.fixture()
def con(demo_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only connection to the seed-7 snapshot."""
    c = _open(demo_dir / "a.duckdb")
    yield c
    c.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """First column of the first row."""
    return con.execute(sql).fetchone()[0]


def test_same_seed_is_identical(demo_dir: Path) -> None:
    assert _checksums(demo_dir / "a.duckdb") == _checksums(demo_dir / "b.duckdb")


def test_different_seed_differs(demo_dir: Path) -> None:
    a, c = _checksums(demo_dir / "a.duckdb"), _checksums(demo_dir / "c.duckdb")
    for table in ("customers", "orders", "order_items", "web_events", "messages"):
        assert a[table] != c[table], table
    assert a["products"] == c["products"]  # the catalog is fixed


def test_schema_exact(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    got: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        got.setdefault(table, []).append((column, dtype))
    assert got == SCHEMA
    pk = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = 'customers' AND constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert pk == [(["customer_id"],)]


def test_snapshot_meta(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT * FROM snapshot_meta").fetchall() == [
        (datetime(2026, 11, 20), "kizuna demo generator seed=7")
    ]
    assert datetime(2026, 11, 20) == AS_OF


def test_counts_and_identifiers(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM customers") == N
    assert _one(con, "SELECT count(DISTINCT customer_id) FROM customers") == N
    assert _one(con, "SELECT min(customer_id) FROM customers") == "C000001"
    assert _one(con, "SELECT count(*) FROM products") == 300
    assert _one(con, "SELECT min(product_id) || max(product_id) FROM products") == "P0001P0300"
    assert _one(con, "SELECT count(*) - count(DISTINCT order_id) FROM orders") == 0
    assert _one(con, "SELECT count(*) - count(DISTINCT message_id) FROM messages") == 0
    assert set(con.execute("SELECT DISTINCT category FROM products").fetchall()) == {
        (c,)
        for c in (
            "skincare",
            "makeup",
            "haircare",
            "fragrance",
            "bodycare",
            "supplements",
            "menscare",
            "accessories",
        )
    }


def test_nothing_after_as_of_day(con: duckdb.DuckDBPyConnection) -> None:
    latest = _one(
        con,
        """SELECT max(t) FROM (
        SELECT max(ordered_at) t FROM orders UNION ALL SELECT max(event_at) FROM web_events
        UNION ALL SELECT max(greatest(sent_at, opened_at, clicked_at)) FROM messages
        UNION ALL SELECT max(responded_at) FROM nps_responses
        UNION ALL SELECT max(added_at) FROM suppression_list
        UNION ALL SELECT max(signup_at) FROM customers)""",
    )
    assert latest <= datetime(2026, 11, 20, 23, 59, 59)
    assert _one(con, "SELECT min(ordered_at) FROM orders") < datetime(2022, 6, 1)


def test_orders_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            """SELECT count(*) FROM orders o LEFT JOIN (
        SELECT order_id, sum(quantity * unit_price) s FROM order_items GROUP BY 1) i
        USING (order_id) WHERE i.s IS NULL OR o.total <> i.s""",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM order_items WHERE product_id NOT IN "
            "(SELECT product_id FROM products)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders WHERE customer_id NOT IN "
            "(SELECT customer_id FROM customers)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) "
            "WHERE o.ordered_at < c.signup_at",
        )
        == 0
    )


def test_purchase_frequency_skewed(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute("""SELECT least(n, 10), count(*) FROM (
        SELECT c.customer_id, count(o.order_id) n FROM customers c
        LEFT JOIN orders o USING (customer_id) GROUP BY 1) GROUP BY 1""").fetchall()
    )
    assert 0.05 * N < counts[0] < 0.15 * N  # prospects
    assert counts[1] > 0.4 * N  # many one-time buyers
    assert counts[10] > 0.01 * N  # a long tail of frequent buyers


def test_lifecycle_mix(con: duckdb.DuckDBPyConnection) -> None:
    stages = dict(
        con.execute("""SELECT CASE
        WHEN f::DATE > DATE '2026-11-20' - 30 THEN 'new'
        WHEN l::DATE > DATE '2026-11-20' - 90 THEN 'active'
        WHEN l::DATE > DATE '2026-11-20' - 180 THEN 'at_risk'
        WHEN l::DATE > DATE '2026-11-20' - 365 THEN 'dormant' ELSE 'churned' END, count(*)
        FROM (SELECT customer_id, min(ordered_at) f, max(ordered_at) l FROM orders GROUP BY 1)
        GROUP BY 1""").fetchall()
    )
    for stage in ("new", "active", "at_risk", "dormant", "churned"):
        assert stages.get(stage, 0) >= 0.01 * N, stages


def test_seasonality(con: duckdb.DuckDBPyConnection) -> None:
    by_month = dict(
        con.execute(
            "SELECT month(ordered_at), count(*) FROM orders "
            "WHERE year(ordered_at) IN (2024, 2025) GROUP BY 1"
        ).fetchall()
    )
    assert by_month[12] > 1.4 * by_month[2]
    assert by_month[11] > by_month[10]
    assert by_month[8] > by_month[4]


def test_shared_email_exactly_once(con: duckdb.DuckDBPyConnection) -> None:
    dup = con.execute(
        "SELECT email, count(*) FROM customers GROUP BY 1 HAVING count(*) > 1"
    ).fetchall()
    assert len(dup) == 1 and dup[0][1] == 2
    assert (
        _one(
            con,
            "SELECT count(*) FROM customers WHERE email NOT SIMILAR TO "
            "'[a-z0-9._]+@example\\.(jp|com|co\\.jp)'",
        )
        == 0
    )


def test_contact_fields(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT phone, line_user_id, line_opt_in, sms_opt_in FROM customers"
    ).fetchall()
    phones = [r[0] for r in rows if r[0] is not None]
    assert 0.10 * N < N - len(phones) < 0.20 * N
    assert all(re.fullmatch(r"\+81[789]0\d{8}", p) for p in phones)
    lines = [r[1] for r in rows if r[1] is not None]
    assert 0.3 * N < len(lines) < 0.5 * N
    assert all(re.fullmatch(r"U[0-9a-f]{32}", u) for u in lines)
    assert not any(r[2] for r in rows if r[1] is None)  # no LINE opt-in without a LINE id
    assert not any(r[3] for r in rows if r[0] is None)
    assert set(con.execute("SELECT DISTINCT preferred_channel FROM customers").fetchall()) == {
        ("email",),
        ("sms",),
        ("line",),
    }


def test_opt_outs_and_missing_values(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("""SELECT count(*) FILTER (NOT email_opt_in),
        count(*) FILTER (NOT sms_opt_in AND phone IS NOT NULL),
        count(*) FILTER (NOT line_opt_in AND line_user_id IS NOT NULL),
        count(*) FILTER (given_name IS NULL), count(*) FILTER (birth_date IS NULL),
        count(*) FILTER (gender IS NULL), count(*) FILTER (prefecture IS NULL)
        FROM customers""").fetchone()
    assert all(v > 0 for v in row), row


def test_tiers_and_points(con: duckdb.DuckDBPyConnection) -> None:
    tiers = dict(con.execute("SELECT loyalty_tier, count(*) FROM customers GROUP BY 1").fetchall())
    assert set(tiers) == {"regular", "silver", "gold", "platinum"}
    assert tiers["regular"] > tiers["silver"] > tiers["gold"] > tiers["platinum"] > 0
    lo, hi = con.execute("SELECT min(points), max(points) FROM customers").fetchone()
    assert lo == 0 and 1000 < hi <= 50000


def test_names(con: duckdb.DuckDBPyConnection) -> None:
    names = [
        f + (g or "")
        for f, g in con.execute("SELECT family_name, given_name FROM customers").fetchall()
    ]
    families = {n for (n,) in con.execute("SELECT family_name FROM customers").fetchall()}
    assert {"佐藤", "鈴木", "高橋", "田中"} <= families
    rare = [n for n in names if "髙" in n or "﨑" in n]
    assert any("髙" in n for n in rare) and any("﨑" in n for n in rare)
    for n in rare:
        n.encode("cp932")  # IBM-extension kanji: encodable
    bad = []
    for n in names:
        try:
            n.encode("cp932")
        except UnicodeEncodeError:
            bad.append(n)
    assert 3 <= len(bad) <= 0.01 * N


def test_birthdays(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM customers WHERE month(birth_date) = 2 AND day(birth_date) = 29",
        )
        >= 3
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM customers WHERE month(birth_date) = 12 AND day(birth_date) >= 28",
        )
        > 0
    )
    lo, hi = con.execute("SELECT min(birth_date), max(birth_date) FROM customers").fetchone()
    assert lo.year >= 1940 and hi.year <= 2010


def test_cart_abandoners(con: duckdb.DuckDBPyConnection) -> None:
    n = _one(
        con,
        """WITH ca AS (SELECT customer_id, max(event_at) t FROM web_events
        WHERE event_type = 'cart_add' AND event_at >= TIMESTAMP '2026-11-18' GROUP BY 1)
        SELECT count(*) FROM ca WHERE NOT EXISTS (SELECT 1 FROM orders o
        WHERE o.customer_id = ca.customer_id AND o.ordered_at >= ca.t)""",
    )
    assert 0.003 * N <= n <= 0.05 * N


def test_web_events_shape(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""SELECT event_type, count(*), count(product_id), count(search_term)
        FROM web_events GROUP BY 1""").fetchall()
    by_type = {r[0]: r[1:] for r in rows}
    assert set(by_type) == {"page_view", "product_view", "cart_add", "search", "app_open"}
    for et, (total, with_product, with_term) in by_type.items():
        assert with_product == (total if et in ("product_view", "cart_add") else 0)
        assert with_term == (total if et == "search" else 0)
    terms = [
        t
        for (t,) in con.execute(
            "SELECT DISTINCT search_term FROM web_events WHERE search_term IS NOT NULL"
        ).fetchall()
    ]
    assert any(t.isascii() for t in terms) and any(not t.isascii() for t in terms)


def test_messages(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM messages WHERE clicked_at IS NOT NULL "
            "AND (opened_at IS NULL OR clicked_at < opened_at)",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM messages WHERE opened_at < sent_at") == 0
    assert _one(con, "SELECT min(sent_at) FROM messages") >= datetime(2025, 11, 21)
    assert {c for (c,) in con.execute("SELECT DISTINCT channel FROM messages").fetchall()} == {
        "email",
        "sms",
        "line",
    }
    heavy = _one(
        con,
        """SELECT count(*) FROM (SELECT customer_id FROM messages
        WHERE sent_at >= TIMESTAMP '2026-11-14' GROUP BY 1 HAVING count(*) >= 3)""",
    )
    assert heavy >= 5
    unconsented = _one(
        con,
        """SELECT count(*) FROM messages m JOIN customers c USING (customer_id)
        WHERE (m.channel = 'email' AND NOT c.email_opt_in) OR (m.channel = 'sms' AND NOT
        c.sms_opt_in) OR (m.channel = 'line' AND NOT c.line_opt_in)""",
    )
    assert unconsented == 0


def test_nps(con: duckdb.DuckDBPyConnection) -> None:
    share = _one(con, "SELECT count(DISTINCT customer_id) FROM nps_responses") / N
    assert 0.12 < share < 0.28
    scores = dict(con.execute("SELECT score, count(*) FROM nps_responses GROUP BY 1").fetchall())
    assert set(scores) <= set(range(11)) and len(scores) >= 9
    assert scores.get(8, 0) > scores.get(2, 0)


def test_suppression(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT customer_id, email, channel, reason FROM suppression_list"
    ).fetchall()
    assert all((cid is None) != (email is None) for cid, email, _, _ in rows)
    with_id = {cid for cid, _, _, _ in rows if cid}
    assert 0.01 * N < len(with_id) < 0.04 * N
    assert any(email for _, email, _, _ in rows)
    assert {ch for _, _, ch, _ in rows} <= {"all", "email", "sms", "line"}
    assert {"unsubscribed", "bounced"} <= {r for _, _, _, r in rows}
    late = _one(
        con,
        """SELECT count(*) FROM messages m JOIN suppression_list s
        ON s.customer_id = m.customer_id AND s.channel IN ('all', m.channel)
        AND s.added_at::DATE <= m.sent_at::DATE""",
    )
    assert late == 0


def test_overwrites_atomically(tmp_path: Path) -> None:
    out = tmp_path / "demo.duckdb"
    out.write_text("not a database")
    generate_demo(out, customers=50, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]
    c = _open(out)
    try:
        assert _one(c, "SELECT count(*) FROM customers") == 50
    finally:
        c.close()


def test_rejects_tiny(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path / "x.duckdb", customers=1)
