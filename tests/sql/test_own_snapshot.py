"""Bring your own snapshot (issue 13): minimal schemas, other schemas/names, no PII.

Numbers are checked against SQL written here on the raw tables, never against Kizuna's own.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from queries.campaigns.funnel import policy_funnel
from queries.campaigns.parse import campaign_from_text
from queries.core.errors import ConfigError, SegmentError
from queries.core.workspace import load_workspace
from queries.query.features import features_select
from queries.query.session import open_session
from queries.segments.parse import segment_from_text
from tests import own_snapshot_db as db
from tui.cli.main import app

D = date.fromisoformat(db.AS_OF)


def kizuna(*args: str):
    result = CliRunner().invoke(app, list(args))
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text, text
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}")
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("own")
    return {
        "customers_only": db.customers_only(base / "customers_only.duckdb"),
        "shop": db.shop(base / "shop.duckdb"),
        "no_pii": db.no_pii(base / "no_pii.duckdb"),
    }


@pytest.fixture()
def shop_ws(tmp_path: Path, files) -> Path:
    return db.workspace(tmp_path / "shop", files["shop"], db.SHOP_MAPPING)


def raw(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# -- customers only ----------------------------------------------------------------------------
def test_customers_only_opens_counts_and_says_what_is_unavailable(tmp_path, files):
    ws = db.workspace(tmp_path / "w", files["customers_only"])
    s = open_session(ws)
    try:
        assert s.snapshot.base_size == 5
        assert s.runner.count(segment_from_text("name: all\nwhere: {all: []}", s.catalog)) == 5
        fields = s.catalog.fields
        assert fields["customer_id"].unavailable is None
        assert fields["email"].unavailable == "needs customers.email"
        assert fields["order_count"].unavailable == "needs orders"
        assert fields["purchase_days"].unavailable == "needs orders"
        assert fields["contacts_7d"].unavailable == "needs messages"
        assert all(e.unavailable for e in s.catalog.events.values())
    finally:
        s.close()


def test_features_sql_reads_only_what_exists(tmp_path, files):
    ws = db.workspace(tmp_path / "w", files["customers_only"])
    s = open_session(ws)
    try:
        sql = features_select(s.catalog, s.snapshot.as_of).sql("duckdb")
        for absent in ("kz_orders", "kz_messages", "kz_products", "order_items", "web_events"):
            assert absent not in sql
        assert "birth_date" not in sql  # customers has no such column here
    finally:
        s.close()


def test_fields_cli_lists_unavailable_with_reason(tmp_path, files):
    ws = db.workspace(tmp_path / "w", files["customers_only"])
    r = kizuna("fields", "--json", "--workspace", str(ws))
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    by = {f["name"]: f for f in data["fields"]}
    assert by["total_spend"]["available"] is False
    assert by["total_spend"]["unavailable"] == "needs orders"
    assert by["customer_id"]["available"] is True
    text = kizuna("fields", "--workspace", str(ws)).stdout
    assert "Unavailable in this snapshot" in text and "needs orders" in text


def test_segment_on_unavailable_field_is_a_located_error(tmp_path, files):
    ws = db.workspace(tmp_path / "w", files["customers_only"])
    seg = ws / "segments" / "buyers.yaml"
    seg.write_text(
        "name: buyers\nwhere:\n  all:\n    - {field: order_count, op: '>=', value: 1}\n",
        encoding="utf-8",
    )
    r = kizuna("validate", str(seg), "--workspace", str(ws))
    assert r.exit_code == 1
    assert "buyers.yaml:4" in r.stderr and "order_count" in r.stderr
    assert "needs orders" in r.stderr
    s = open_session(ws)
    try:
        with pytest.raises(SegmentError, match=r"event source `orders` is unavailable.*needs"):
            segment_from_text("name: x\nwhere: {event: orders}", s.catalog)
    finally:
        s.close()


# -- mapping ------------------------------------------------------------------------------------
def test_false_declares_a_column_absent(tmp_path, files):
    extra = db.SHOP_MAPPING.replace('email = "mail"', "email = false")
    s = open_session(db.workspace(tmp_path / "w", files["shop"], extra))
    try:
        assert s.catalog.fields["email"].unavailable == "needs customers.email"
        assert s.catalog.has("customers", "signup_at")
    finally:
        s.close()


def test_a_column_cannot_be_a_sql_word(tmp_path, files):
    extra = db.SHOP_MAPPING.replace('email = "mail"', 'email = "NULL"')
    ws = db.workspace(tmp_path / "w", files["shop"], extra)
    with pytest.raises(ConfigError, match=r"kizuna\.toml:\d+: \[columns\.customers\] email"):
        open_session(ws)


def test_unmapped_table_is_looked_up_in_the_default_schema_only(shop_ws):
    """kz.order_items exists, order_items is not mapped: purchases is unavailable (item 2)."""
    s = open_session(shop_ws)
    try:
        assert not s.catalog.has("order_items")
        assert s.catalog.events["purchases"].unavailable == "needs order_items"
        assert s.catalog.fields["favorite_category"].unavailable == "needs order_items"
    finally:
        s.close()


def test_mapped_name_is_looked_up_in_the_schema_it_names(tmp_path, files):
    """`kunden` alone is main.kunden, which does not exist, although crm.kunden does."""
    extra = db.SHOP_MAPPING.replace('customers = "crm.kunden"', 'customers = "kunden"')
    ws = db.workspace(tmp_path / "w", files["shop"], extra)
    with pytest.raises(ConfigError, match=r"kizuna\.toml:5: \[tables\] customers: .*`kunden`"):
        open_session(ws)
    r = kizuna("check", "--workspace", str(ws))
    assert r.exit_code == 1
    assert "[tables] customers" in r.stderr


def test_error_hints_keep_their_brackets(tmp_path, files):
    """Item 3: `[tables]` in a hint is printed, not eaten as Rich markup."""
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    ws = db.workspace(tmp_path / "w", empty)
    r = kizuna("count", "x", "--workspace", str(ws))
    assert r.exit_code == 1
    assert "under [tables]" in r.stderr


# -- the numbers, against independent SQL --------------------------------------------------------
INDEPENDENT = """
WITH o AS (
  SELECT cust, tag, betrag FROM sales.tx WHERE CAST(tag AS DATE) <= CAST(? AS DATE)
), a AS (
  SELECT cust, count(*) AS n, count(DISTINCT CAST(tag AS DATE)) AS days, sum(betrag) AS spend,
         max(CAST(tag AS DATE)) AS last_day, min(CAST(tag AS DATE)) AS first_day
  FROM o GROUP BY cust
)
SELECT k.kid, coalesce(a.n, 0), coalesce(a.days, 0), coalesce(a.spend, 0), a.last_day, a.first_day
FROM crm.kunden k LEFT JOIN a ON a.cust = k.kid
WHERE k.joined IS NULL OR CAST(k.joined AS DATE) <= CAST(? AS DATE)
ORDER BY k.kid
"""


def _stage(n: int, first: date | None, last: date | None, d: date) -> str:
    if not n:
        return "prospect"
    if (d - first).days < 30:
        return "new"
    gap = (d - last).days
    return (
        "active"
        if gap <= 90
        else "at_risk"
        if gap <= 180
        else "dormant"
        if gap <= 365
        else "churned"
    )


@pytest.mark.parametrize("as_of", ["2026-06-30", "2025-09-15"])
def test_features_match_independent_sql(tmp_path, files, as_of):
    d = date.fromisoformat(as_of)
    ws = db.workspace(tmp_path / "w", files["shop"], db.SHOP_MAPPING, as_of=as_of)
    s = open_session(ws)
    try:
        want = raw(files["shop"], INDEPENDENT, [as_of, as_of])
        cols = "customer_id, order_count, purchase_days, total_spend, avg_order_value, "
        cols += "recency_days, lifecycle_stage"
        got = (
            s.snapshot.cursor()
            .execute(f"SELECT {cols} FROM kz_cache.features ORDER BY customer_id")
            .fetchall()
        )
        got_by = {r[0]: r for r in got}
        assert s.snapshot.base_size == len(want)
        assert any(w[1] != w[2] for w in want), "fixture has two orders on one day"
        for kid, n, days, spend, last, first in want:
            g = got_by[kid]
            assert g[1] == n and g[2] == days
            assert Decimal(str(g[3])) == Decimal(spend)
            if n:
                assert g[4] == pytest.approx(float(Decimal(spend) / n), rel=1e-12)  # not rounded
                assert g[5] == (d - last).days
            else:
                assert g[4] is None and g[5] is None
            assert g[6] == _stage(n, first, last, d)
        # a segment count on an unrounded boundary, against the same independent numbers
        seg = segment_from_text(
            "name: aov\nwhere: {field: avg_order_value, op: '>=', value: 75.5}", s.catalog
        )
        assert s.runner.count(seg) == sum(
            1 for w in want if w[1] and w[3] / w[1] >= Decimal("75.5")
        )
    finally:
        s.close()


def test_backtest_base_is_who_existed_that_day(tmp_path, files):
    as_of = "2025-06-01"
    ws = db.workspace(tmp_path / "w", files["shop"], db.SHOP_MAPPING, as_of=as_of)
    s = open_session(ws)
    try:
        existed = raw(
            files["shop"],
            "SELECT count(*) FROM crm.kunden WHERE joined IS NULL OR CAST(joined AS DATE) <= ?",
            [as_of],
        )[0][0]
        total = raw(files["shop"], "SELECT count(*) FROM crm.kunden")[0][0]
        assert existed < total  # the fixture has later signups
        assert s.snapshot.base_size == existed
        seg = segment_from_text(
            "name: z\nwhere: {field: order_count, op: '=', value: 0}", s.catalog
        )
        zero = raw(
            files["shop"],
            "SELECT count(*) FROM crm.kunden k WHERE (joined IS NULL OR CAST(joined AS DATE) <= ?) "
            "AND NOT EXISTS (SELECT 1 FROM sales.tx t WHERE t.cust = k.kid "
            "AND CAST(t.tag AS DATE) <= ?)",
            [as_of, as_of],
        )[0][0]
        assert s.runner.count(seg) == zero
    finally:
        s.close()


CUSTOM = r"""
[fields.buy_days]
type = "number"
label = "Days with a purchase"
sql = '''(SELECT count(DISTINCT CAST(t.tag AS DATE)) FROM sales.tx t
         WHERE t.cust = c.kid AND CAST(t.tag AS DATE) <= {as_of})'''
"""


def test_custom_field_sql_follows_as_of(tmp_path, files):
    counts = {}
    for as_of in ("2026-06-30", "2025-06-30"):
        ws = db.workspace(tmp_path / as_of, files["shop"], db.SHOP_MAPPING + CUSTOM, as_of=as_of)
        s = open_session(ws)
        try:
            seg = segment_from_text(
                "name: b\nwhere: {field: buy_days, op: '>=', value: 2}", s.catalog
            )
            counts[as_of] = s.runner.count(seg)
            want = raw(
                files["shop"],
                "SELECT count(*) FROM crm.kunden k WHERE (joined IS NULL OR CAST(joined AS DATE)"
                " <= CAST(? AS DATE)) AND (SELECT count(DISTINCT CAST(tag AS DATE)) FROM "
                "sales.tx t WHERE t.cust = k.kid AND CAST(t.tag AS DATE) <= CAST(? AS DATE)) >= 2",
                [as_of, as_of],
            )[0][0]
            assert counts[as_of] == want
        finally:
            s.close()
    assert counts["2026-06-30"] > counts["2025-06-30"]


def test_currency_labels_follow_the_workspace(tmp_path, files):
    ws = db.workspace(tmp_path / "usd", files["shop"], 'currency = "USD"\n' + db.SHOP_MAPPING)
    s = open_session(ws)
    try:
        assert s.catalog.fields["total_spend"].label == "Total spend ($)"
        assert s.catalog.events["orders"].fields["total"].label == "Order total ($)"
    finally:
        s.close()
    assert "¥" in open_session_label(tmp_path / "jpy", files["shop"])
    bad = db.workspace(tmp_path / "bad", files["shop"], 'currency = "yen!"\n' + db.SHOP_MAPPING)
    with pytest.raises(ConfigError, match="currency"):
        load_workspace(bad)


def open_session_label(root: Path, path: Path) -> str:
    s = open_session(db.workspace(root, path, db.SHOP_MAPPING))
    try:
        return s.catalog.fields["avg_order_value"].label
    finally:
        s.close()


# -- policy -------------------------------------------------------------------------------------
CAMPAIGN = """\
name: hello
who: {where: {all: []}}
how: {channel: CHANNEL, destination: generic_csv}
what:
  variants:
    - {name: A, weight: 100, subject: "Hi", text: "Hello", body: "Hello"}
"""


def _campaign(ch: str) -> str:
    text = CAMPAIGN.replace("CHANNEL", ch)
    if ch != "email":
        text = text.replace('subject: "Hi", ', "").replace(', body: "Hello"', "")
    else:
        text = text.replace('text: "Hello", ', "")
    return text


def test_no_address_column_refuses_the_channel(tmp_path, files):
    s = open_session(db.workspace(tmp_path / "w", files["no_pii"]))
    try:
        for ch in ("email", "sms", "line"):
            with pytest.raises(SegmentError, match=rf"channel `{ch}` is unavailable.*needs"):
                campaign_from_text(_campaign(ch), s.catalog, "c.yaml")
    finally:
        s.close()


def test_no_consent_column_refuses_unless_the_workspace_states_it(tmp_path, files):
    s = open_session(db.workspace(tmp_path / "w", files["shop"], db.SHOP_MAPPING))
    try:
        with pytest.raises(
            SegmentError, match=r"c\.yaml:3 at `how\.channel`.*needs customers\.email_opt_in"
        ):
            campaign_from_text(_campaign("email"), s.catalog, "c.yaml")
    finally:
        s.close()
    stated = 'currency = "JPY"\n[consent]\nemail = "all"\n' + db.SHOP_MAPPING
    s = open_session(db.workspace(tmp_path / "w2", files["shop"], stated))
    try:
        c = campaign_from_text(_campaign("email"), s.catalog, "c.yaml")
        f = policy_funnel(s, c)
        steps = {st.key: st for st in f.steps}
        have_mail = raw(
            files["shop"],
            "SELECT count(DISTINCT lower(trim(mail))) FROM crm.kunden WHERE (joined IS NULL OR "
            "CAST(joined AS DATE) <= CAST(? AS DATE)) AND mail LIKE '%_@_%'",
            [db.AS_OF],
        )[0][0]
        assert f.recipients + f.holdout == have_mail  # consent from [consent]; usable address
        assert "CANNOT RUN" in steps["suppression"].label and steps["suppression"].off
        assert "ledger only" in steps["frequency_cap"].label
        assert "consent source" in steps["consent"].label
    finally:
        s.close()


# -- kizuna check and init --db ------------------------------------------------------------
def test_check_reports_found_unavailable_and_why(shop_ws):
    r = kizuna("check", "--workspace", str(shop_ws))
    assert r.exit_code == 0, r.stderr
    assert "crm.kunden" in r.stdout and "sales.tx" in r.stdout
    data = json.loads(kizuna("check", "--json", "--workspace", str(shop_ws)).stdout)
    tables = {t["name"]: t for t in data["tables"]}
    assert tables["orders"]["found"]["total"] == "betrag"
    assert tables["order_items"]["physical"] is None
    assert "`main.order_items`" in tables["order_items"]["why"]  # not kz.order_items
    assert data["unavailable_fields"]["phone"] == "needs customers.phone"
    assert data["channels"]["email"].startswith("consent for email cannot be checked")


def test_check_locates_custom_sql_errors(tmp_path, files):
    extra = db.SHOP_MAPPING + '\n[fields.bad]\ntype = "number"\nsql = "no_such_column + 1"\n'
    ws = db.workspace(tmp_path / "w", files["shop"], extra)
    r = kizuna("check", "--workspace", str(ws))
    assert r.exit_code == 1
    line = next(
        i
        for i, t in enumerate((ws / "kizuna.toml").read_text().splitlines(), 1)
        if t.startswith("sql =")
    )
    assert f"kizuna.toml:{line}: [fields.bad] sql" in r.stderr


def test_init_db_maps_what_it_recognises(tmp_path):
    path = tmp_path / "guess.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA crm; CREATE SCHEMA shop")
    con.execute(
        "CREATE TABLE crm.customer_master (cust_id VARCHAR, created_at TIMESTAMP, "
        "email_address VARCHAR, shoe_size INTEGER)"
    )
    con.execute(
        "CREATE TABLE shop.transactions (transaction_id INTEGER, customer_id VARCHAR, "
        "order_date DATE, amount DOUBLE)"
    )
    con.execute("INSERT INTO crm.customer_master VALUES ('a', '2026-01-01', 'a@x.jp', 40)")
    con.execute("INSERT INTO shop.transactions VALUES (1, 'a', '2026-02-01', 10.5)")
    con.close()
    ws = tmp_path / "ws"
    r = kizuna("init", str(ws), "--db", str(path))
    assert r.exit_code == 0, r.stderr
    toml = (ws / "kizuna.toml").read_text()
    assert 'customers = "crm.customer_master"' in toml
    assert 'orders = "shop.transactions"' in toml
    assert 'customer_id = "cust_id"' in toml and 'signup_at = "created_at"' in toml
    assert 'ordered_at = "order_date"' in toml and 'total = "amount"' in toml
    assert '# phone = "..."' in toml  # what it could not recognise is a comment
    r = kizuna("check", "--workspace", str(ws))
    assert r.exit_code == 0, r.stderr
    s = open_session(ws)
    try:
        assert (
            s.runner.count(
                segment_from_text(
                    "name: x\nwhere: {field: total_spend, op: '=', value: 10.5}", s.catalog
                )
            )
            == 1
        )
    finally:
        s.close()


def test_init_with_a_missing_db_is_an_error(tmp_path):
    ws = tmp_path / "nope"
    r = kizuna("init", str(ws), "--db", str(tmp_path / "missing.duckdb"))
    assert r.exit_code == 1
    assert "Created workspace" not in r.stdout
    assert "no such snapshot" in r.stderr
    assert not ws.exists()


# -- item 8: breakdown default and sample order ---------------------------------------------------
def test_breakdown_default_has_values_and_sample_leads_with_them(tmp_path, files):
    s = open_session(db.workspace(tmp_path / "w", files["no_pii"]))
    try:
        # loyalty_tier and prefecture exist but are empty; lifecycle_stage has values
        assert s.runner.default_breakdown_field() == "lifecycle_stage"
        rows = s.runner.sample(segment_from_text("name: a\nwhere: {all: []}", s.catalog), 5)
        keys = list(rows[0])
        assert keys[0] == "customer_id"
        empty = [k for k in keys if all(r[k] is None for r in rows)]
        assert empty and keys[-len(empty) :] == empty  # empty columns last
        assert "email" not in keys  # unavailable columns are not sampled
    finally:
        s.close()
    s = open_session(db.workspace(tmp_path / "w2", files["customers_only"]))
    try:
        assert s.runner.default_breakdown_field() is None  # nothing but the id
    finally:
        s.close()


def test_init_guess_reads_names_made_of_words():
    """`cd_customers` / `cd_purchases` (the CDNOW shop's names) are recognised by their words."""
    from queries.query.init_map import guess

    rows = [
        ("crm", "cd_customers", "cust_no"),
        ("crm", "cd_customers", "first_purchase"),
        ("sales", "cd_purchases", "cust_no"),
        ("sales", "cd_purchases", "purchase_date"),
        ("sales", "cd_purchases", "dollar_value"),
        ("main", "OrderLines", "order_id"),
    ]
    tables, columns, notes = guess(rows)
    assert tables["customers"] == "crm.cd_customers"
    assert tables["orders"] == "sales.cd_purchases"
    assert tables["order_items"] == "OrderLines"
    assert columns["orders"] == {
        "customer_id": "cust_no",
        "ordered_at": "purchase_date",
        "total": "dollar_value",
    }
    assert "customers.signup_at: no column recognised in crm.cd_customers" in notes


def test_backtest_on_a_snapshot_without_coupons_uses_the_base_of_that_day(tmp_path, files):
    """`kizuna backtest` reads the backtest base; orders without coupon_code still measure."""
    from queries.measure.backtest import backtest
    from queries.segments.model import Group, Segment

    as_of = "2025-06-01"
    ws = db.workspace(tmp_path / "w", files["shop"], db.SHOP_MAPPING, as_of=as_of)
    s = open_session(ws)
    try:
        bt = backtest(s, Segment("everyone", Group("all")), "30d")
        existed, converters, revenue = raw(
            files["shop"],
            "WITH k AS (SELECT kid FROM crm.kunden WHERE joined IS NULL OR "
            "CAST(joined AS DATE) <= CAST(? AS DATE)), o AS (SELECT cust, betrag FROM sales.tx "
            "WHERE CAST(tag AS DATE) BETWEEN CAST(? AS DATE) + 1 AND CAST(? AS DATE) + 30) "
            "SELECT (SELECT count(*) FROM k), (SELECT count(DISTINCT cust) FROM o "
            "WHERE cust IN (SELECT kid FROM k)), (SELECT sum(betrag) FROM o "
            "WHERE cust IN (SELECT kid FROM k))",
            [as_of, as_of, as_of],
        )[0]
        assert bt.base_outcome.people == existed
        assert bt.base_outcome.converters == converters
        assert Decimal(str(bt.base_outcome.revenue)) == revenue
    finally:
        s.close()


def test_typed_amounts_accept_any_currency_symbol():
    from tui.widgets.value_parse import parse_number

    assert parse_number("¥5,000") == 5000
    assert parse_number("$12.50") == 12.5
    assert parse_number("€9") == 9
    assert parse_number("￥３，０００") == 3000  # full-width, through an IME


@pytest.mark.parametrize("preset", ["braze", "sfmc"])
def test_export_from_a_snapshot_without_names_or_opt_ins(tmp_path, files, preset):
    """Preset columns the snapshot has no data for are empty; consent from [consent]."""
    import csv

    stated = '[consent]\nemail = "all"\n' + db.SHOP_MAPPING
    ws = db.workspace(tmp_path / "w", files["shop"], stated)
    (ws / "campaigns" / "hello.yaml").write_text(
        _campaign("email").replace("generic_csv", preset), encoding="utf-8"
    )
    r = kizuna("approve", "hello", "--by", "tester", "--workspace", str(ws))
    assert r.exit_code == 0, r.stderr
    r = kizuna("export", "hello", "--workspace", str(ws))
    assert r.exit_code == 0, r.stderr
    (folder,) = (ws / "exports" / "hello").iterdir()
    audience = next(folder.glob("audience.*"))
    delim = "\t" if audience.suffix == ".tsv" else ","
    with audience.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=delim))
    want = raw(
        files["shop"],
        "SELECT count(DISTINCT lower(trim(mail))) FROM crm.kunden WHERE (joined IS NULL OR "
        "CAST(joined AS DATE) <= CAST(? AS DATE)) AND mail LIKE '%_@_%'",
        [db.AS_OF],
    )[0][0]
    assert len(rows) == want
    names = [k for k in rows[0] if k in ("first_name", "FirstName", "First Name")]
    assert all(not r[k] for r in rows for k in names)  # no given_name in this snapshot
