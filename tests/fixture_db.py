"""A tiny hand-made snapshot whose expected counts can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb

# as-of day D = 2026-03-01 (a non-leap year, so 29 Feb birthdays count as 28 Feb)
SCHEMA = """
CREATE TABLE customers (customer_id VARCHAR PRIMARY KEY, email VARCHAR, phone VARCHAR,
  line_user_id VARCHAR, family_name VARCHAR, given_name VARCHAR, gender VARCHAR,
  birth_date DATE, prefecture VARCHAR, signup_at TIMESTAMP, signup_channel VARCHAR,
  loyalty_tier VARCHAR, points INTEGER, email_opt_in BOOLEAN, sms_opt_in BOOLEAN,
  line_opt_in BOOLEAN, preferred_channel VARCHAR);
CREATE TABLE products (product_id VARCHAR, name VARCHAR, category VARCHAR, brand VARCHAR,
  price INTEGER);
CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, ordered_at TIMESTAMP,
  channel VARCHAR, total INTEGER, coupon_code VARCHAR);
CREATE TABLE order_items (order_id VARCHAR, product_id VARCHAR, quantity INTEGER,
  unit_price INTEGER);
CREATE TABLE web_events (customer_id VARCHAR, event_at TIMESTAMP, event_type VARCHAR,
  product_id VARCHAR, search_term VARCHAR);
CREATE TABLE messages (message_id VARCHAR, customer_id VARCHAR, campaign_id VARCHAR,
  channel VARCHAR, sent_at TIMESTAMP, opened_at TIMESTAMP, clicked_at TIMESTAMP);
CREATE TABLE nps_responses (customer_id VARCHAR, responded_at TIMESTAMP, score INTEGER);
CREATE TABLE suppression_list (customer_id VARCHAR, email VARCHAR, channel VARCHAR,
  reason VARCHAR, added_at TIMESTAMP);
CREATE TABLE snapshot_meta (as_of TIMESTAMP, source VARCHAR);
INSERT INTO snapshot_meta VALUES ('2026-03-01 00:00:00', 'fixture');
"""

# id, email, phone, line, family, given, gender, birth, pref, signup, sch, tier, points,
# email_opt, sms_opt, line_opt, pref_channel
LINE_A, LINE_D = "U" + "a" * 32, "U" + "d" * 32  # usable LINE ids: U + 32 hex
CUSTOMERS = [
    (
        "C01",
        "taro@example.jp",
        "+819012345678",
        LINE_A,
        "佐藤",
        "太郎",
        "male",
        "1990-03-01",
        "東京都",
        "2020-01-05 10:00:00",
        "web",
        "gold",
        6000,
        True,
        True,
        True,
        "email",
    ),
    (
        "C02",
        "hanako@example.jp",
        "+819011112222",
        None,
        "髙橋",
        "花子",
        "female",
        "1985-02-28",
        "大阪府",
        "2021-06-01 09:00:00",
        "store",
        "platinum",
        12000,
        True,
        False,
        False,
        "sms",
    ),
    (
        "C03",
        "o'brien@example.com",
        None,
        None,
        "O'Brien",
        None,
        None,
        "2000-02-29",
        None,
        "2025-12-20 12:00:00",
        "app",
        "regular",
        0,
        False,
        False,
        False,
        "email",
    ),
    (
        "C04",
        "jiro@example.jp",
        "+818033334444",
        LINE_D,
        "山﨑",
        "次郎",
        "male",
        "1978-12-31",
        "北海道",
        "2019-03-03 08:00:00",
        "referral",
        "silver",
        4999,
        True,
        True,
        True,
        "line",
    ),
    (
        "C05",
        "100%_sure@example.jp",
        "+819055556666",
        None,
        "𠮷野",
        "三郎",
        "male",
        None,
        "東京都",
        "2026-02-25 18:00:00",
        "web",
        "regular",
        50,
        None,
        True,
        False,
        "sms",
    ),
    (
        "C06",
        "taro@example.jp",
        None,
        None,
        "佐藤",
        "太郎",
        "male",
        "1990-03-05",
        "神奈川県",
        "2022-01-01 00:00:00",
        "store",
        "gold",
        5000,
        False,
        False,
        False,
        "email",
    ),
    (
        "C07",
        "back\\\\slash@example.jp",
        "+819077778888",
        None,
        "鈴木",
        "一",
        "other",
        "1999-01-01",
        "京都府",
        "2023-04-01 10:00:00",
        "app",
        None,
        None,
        True,
        True,
        False,
        "email",
    ),
    (
        "C08",
        "'; DROP TABLE customers; --",
        None,
        None,
        "田中",
        "恵",
        "female",
        "1970-03-07",
        "東京都",
        "2018-07-07 07:07:00",
        "web",
        "regular",
        100,
        True,
        False,
        False,
        "email",
    ),
]

PRODUCTS = [
    ("P1", "化粧水", "skincare", "Brand A", 3000),
    ("P2", "口紅", "makeup", "Brand B", 2500),
    ("P3", "シャンプー", "haircare", "Brand C", 1500),
]

# order id, customer, time, channel, total, coupon
ORDERS = [
    ("O1", "C01", "2026-02-20 10:00:00", "web", 6000, None),  # skincare x2
    ("O2", "C01", "2025-10-01 10:00:00", "store", 3000, "WELCOME"),  # skincare x1
    ("O3", "C02", "2026-01-15 10:00:00", "app", 2500, None),  # makeup
    ("O4", "C02", "2025-12-01 10:00:00", "web", 3000, None),  # skincare
    ("O5", "C04", "2024-01-10 10:00:00", "store", 1500, None),  # haircare (churned)
    ("O6", "C06", "2026-03-01 23:30:00", "web", 3000, None),  # skincare, on D itself
    ("O7", "C06", "2026-03-02 09:00:00", "web", 9000, None),  # after D: ignored
    ("O8", "C07", "2025-09-15 10:00:00", "app", 2500, None),  # makeup
]
ITEMS = [
    ("O1", "P1", 2, 3000),
    ("O2", "P1", 1, 3000),
    ("O3", "P2", 1, 2500),
    ("O4", "P1", 1, 3000),
    ("O5", "P3", 1, 1500),
    ("O6", "P1", 1, 3000),
    ("O7", "P1", 3, 3000),
    ("O8", "P2", 1, 2500),
]
WEB = [
    ("C03", "2026-02-28 21:00:00", "cart_add", "P1", None),
    ("C03", "2026-02-27 21:00:00", "search", None, "化粧水"),
    ("C05", "2026-03-01 08:00:00", "cart_add", "P2", None),
    ("C01", "2026-02-19 08:00:00", "cart_add", "P1", None),
]
MESSAGES = [
    ("M1", "C01", "camp1", "email", "2026-02-27 10:00:00", "2026-02-27 11:00:00", None),
    ("M2", "C01", "camp2", "email", "2026-02-28 10:00:00", None, None),
    ("M3", "C01", "camp3", "sms", "2026-03-01 10:00:00", None, None),
    (
        "M4",
        "C02",
        "camp1",
        "email",
        "2026-02-27 10:00:00",
        "2026-02-27 12:00:00",
        "2026-02-27 12:01:00",
    ),
]
NPS = [
    ("C01", "2026-01-10 10:00:00", 10),
    ("C02", "2025-11-01 10:00:00", 6),
    ("C02", "2026-02-01 10:00:00", 9),
    ("C04", "2025-01-01 10:00:00", 3),
]
SUPPRESSION = [
    ("C08", None, "all", "complaint", "2026-01-01 00:00:00"),
    (None, "jiro@example.jp", "email", "unsubscribed", "2026-01-02 00:00:00"),
]


def build_fixture(path: Path) -> Path:
    """Write the fixture snapshot to `path`."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    con.executemany("INSERT INTO customers VALUES (" + ",".join("?" * 17) + ")", CUSTOMERS)
    con.executemany("INSERT INTO products VALUES (?,?,?,?,?)", PRODUCTS)
    con.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?)", ORDERS)
    con.executemany("INSERT INTO order_items VALUES (?,?,?,?)", ITEMS)
    con.executemany("INSERT INTO web_events VALUES (?,?,?,?,?)", WEB)
    con.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?)", MESSAGES)
    con.executemany("INSERT INTO nps_responses VALUES (?,?,?)", NPS)
    con.executemany("INSERT INTO suppression_list VALUES (?,?,?,?,?)", SUPPRESSION)
    con.close()
    return path
