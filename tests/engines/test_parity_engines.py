"""The engine layer without Spark or Postgres: config, allow-lists, dialect rewrites, the
portable features SQL (run back on DuckDB) and the CLI's --engine/--dialect flags."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlglot import exp
from typer.testing import CliRunner

from queries.core.errors import ConfigError
from queries.engines import EngineError, UnsupportedConstruct, engine_settings, make_engine
from queries.engines.dbapi import DbApiEngine
from queries.engines.dialect_classes import split_like
from queries.engines.dialects import DIALECT_NAMES, render
from queries.engines.spark import table_source
from queries.query.features import features_select
from queries.query.session import open_session
from queries.segments.parse import segment_from_text
from tests.segtools import private_workspace
from tests.tui.test_tui_support import async_test, make_app, settle
from tui.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
OTHERS = [d for d in DIALECT_NAMES if d != "duckdb"]


# -- configuration ----------------------------------------------------------------------------
def test_engine_settings_default_and_override(monkeypatch):
    assert engine_settings({}) == ("duckdb", {})
    raw = {
        "engine": {
            "kind": "spark",
            "remote": "sc://spark:15002",
            "tables": {"customers": "crm.customers"},
            "postgres": {"dsn": "host=db user=${KZ_USER}", "schema": "snap"},
        }
    }
    monkeypatch.setenv("KZ_USER", "marketing")
    kind, settings = engine_settings(raw)
    assert kind == "spark"
    assert settings == {"remote": "sc://spark:15002", "tables": {"customers": "crm.customers"}}
    kind, settings = engine_settings(raw, "postgres")
    assert kind == "postgres" and settings == {"dsn": "host=db user=marketing", "schema": "snap"}
    with pytest.raises(ConfigError, match="unknown engine `oracle`"):
        engine_settings({"engine": {"kind": "oracle"}})
    with pytest.raises(ConfigError, match="unknown engine `mysql`"):
        engine_settings({}, "mysql")


def test_spark_table_sources():
    assert table_source("crm.customers") is None
    assert table_source("customers") is None
    assert table_source("/data/orders.parquet") == ("parquet", "/data/orders.parquet")
    assert table_source("s3a://lake/orders/") == ("parquet", "s3a://lake/orders/")
    assert table_source("delta:/lake/orders") == ("delta", "/lake/orders")
    assert table_source({"path": "/d/x", "format": "orc"}) == ("orc", "/d/x")


def test_warehouse_tables_live_in_the_schema():
    eng = make_engine("postgres", {"dsn": "", "schema": "snap", "tables": {"orders": "x.o"}})
    loc = eng.locations({"customers": "crm_customers"})
    assert loc["customers"] == "snap.crm_customers"
    assert loc["orders"] == "x.o"
    assert loc["snapshot_meta"] == "snap.snapshot_meta"


def test_engine_modules_import_no_driver():
    code = (
        "import sys, queries.query.session, queries.engines, queries.engines.spark, "
        "queries.engines.dbapi, queries.engines.dialects, queries.query.features\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('pyspark', 'psycopg', 'py4j', 'trino', 'snowflake', 'google')]\n"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_missing_driver_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import fails
    eng = DbApiEngine("postgres", {"dsn": "host=nowhere"})
    with pytest.raises(EngineError, match=r"pip install 'kizuna\[postgres\]'"):
        eng.run("SELECT 1")


# -- allow-lists and dialect rewrites ------------------------------------------------------------
@pytest.fixture(scope="module")
def ws(tmp_path_factory, fixture_db) -> Path:
    ws = private_workspace(tmp_path_factory.mktemp("engines"), fixture_db)
    with (ws / "kizuna.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[fields.email_host]\ntype = "string"\nsql = "regexp_extract(email, \'@(.*)$\', 1)"\n'
        )
    (ws / "segments" / "hosts.yaml").write_text(
        "name: hosts\nwhere: {all: [{field: email_host, op: '=', value: example.jp}]}\n",
        encoding="utf-8",
    )
    (ws / "segments" / "gold.yaml").write_text(
        "name: gold\nwhere: {all: [{field: loyalty_tier, op: in, value: [gold, platinum]},"
        " {field: lifecycle_stage, op: '!=', value: prospect}]}\n",
        encoding="utf-8",
    )
    return ws


@pytest.fixture(scope="module")
def session(ws):
    s = open_session(ws)
    yield s
    s.close()


@pytest.mark.parametrize("dialect", OTHERS)
def test_unverified_function_is_a_compile_error(session, dialect):
    seg = session.segment("hosts")
    assert session.runner.count(seg) >= 0  # fine on DuckDB, where the field was written
    with pytest.raises(UnsupportedConstruct) as info:
        session.runner.sql(seg, dialect)
    assert info.value.construct == "REGEXP_EXTRACT" and info.value.dialect == dialect
    assert f"cannot run on {dialect}" in str(info.value)


def test_duckdb_assignment_form_is_refused_elsewhere():
    """arm_sql's DuckDB form casts '0x…' to UBIGINT: elsewhere that must not run silently."""
    from queries.campaigns.assignment import Plan, arm_sql

    plan = Plan.build("s", 10, [("A", 1), ("B", 1)])
    duck_form = exp.select(arm_sql(exp.column("cid"), plan))
    for dialect in OTHERS:
        with pytest.raises(UnsupportedConstruct, match="UBIGINT"):
            render(duck_form, dialect)
        render(exp.select(arm_sql(exp.column("cid"), plan, dialect)), dialect)  # portable form


def test_current_date_is_never_portable():
    q = exp.select(exp.CurrentDate())
    for dialect in OTHERS:
        with pytest.raises(UnsupportedConstruct, match="CURRENT_DATE"):
            render(q, dialect)


def test_bigquery_like_patterns():
    assert split_like("%abc%", "!") == (True, "abc", True)
    assert split_like("ab!%c%", "!") == (False, "ab%c", True)
    assert split_like("%!!x", "!") == (True, "!x", False)
    assert split_like("a%b", "!") is None
    assert split_like("a_b%", "!") is None
    inner = exp.Escape(
        this=exp.Like(this=exp.column("x"), expression=exp.Literal.string("a%b")),
        expression=exp.Literal.string("!"),
    )
    with pytest.raises(UnsupportedConstruct, match="bigquery"):
        render(exp.select(inner), "bigquery")
    ok = exp.Escape(
        this=exp.Like(this=exp.column("x"), expression=exp.Literal.string("50!%%")),
        expression=exp.Literal.string("!"),
    )
    assert render(exp.select(ok), "bigquery") == "SELECT STARTS_WITH(x, '50%')"


def test_postgres_and_spark_rewrites():
    q = exp.select(
        exp.Round(this=exp.column("a"), decimals=exp.Literal.number(2)),
        exp.ArgMax(this=exp.column("s"), expression=exp.column("t")),
        exp.DateDiff(
            this=exp.cast(exp.column("a"), "DATE"),
            expression=exp.cast(exp.column("b"), "DATE"),
            unit=exp.var("DAY"),
        ),
    )
    pg = render(q, "postgres")
    assert "ROUND(CAST(a AS DECIMAL), 2)" in pg
    assert "(ARRAY_AGG(s ORDER BY t DESC NULLS LAST) FILTER(WHERE NOT t IS NULL))[1]" in pg
    assert "(CAST(a AS DATE) - CAST(b AS DATE))" in pg
    assert "DATEDIFF(CAST(a AS DATE), CAST(b AS DATE))" in render(q, "spark")
    assert render(exp.select(exp.column("customers", quoted=True)), "snowflake") == (
        "SELECT customers"
    )


# -- the portable features SQL, checked on DuckDB itself ------------------------------------------
def test_portable_features_equal_the_duckdb_features(session):
    """features.sql after the portability rewrites still computes exactly the same table."""
    portable = features_select(session.catalog, session.snapshot.as_of)
    cur = session.snapshot.cursor()
    try:
        got = cur.execute(f"SELECT * FROM ({portable.sql('duckdb')}) ORDER BY 1").fetchall()
        want = cur.execute("SELECT * FROM kz_cache.features ORDER BY 1").fetchall()
    finally:
        cur.close()
    assert got == want and len(got) == 8


@pytest.mark.parametrize("dialect", OTHERS)
def test_features_render_for_every_engine(session, dialect):
    sql = render(features_select(session.catalog, date(2026, 3, 1)), dialect)
    flat = sql.upper()
    assert " FILTER(" not in flat.replace("FILTER(WHERE NOT", "")  # only PG's ARG_MAX form
    assert "DATE) - 7" not in flat and "CURRENT_DATE" not in flat
    assert "KZ_CACHE" not in flat


def test_inline_features_cte_selects_the_same_ids(session):
    """A warehouse without temp tables gets the features as CTEs in front of each query."""
    eng = DbApiEngine("trino", {}, connect=lambda: None)
    eng.defer_features(lambda: features_select(session.catalog, session.snapshot.as_of))
    seg = session.segment("gold")
    query = session.runner.audience_query(seg, features=eng.features_table)
    query = query.order_by(session.catalog.customer_id())
    inlined = eng.prepare(query)
    assert inlined.args.get("with_") is not None
    assert "kz_features" in render(inlined, "trino")
    cur = session.snapshot.cursor()
    try:
        got = [r[0] for r in cur.execute(inlined.sql("duckdb")).fetchall()]
    finally:
        cur.close()
    assert got == session.runner.members(seg)


def test_members_and_engine_identity(session):
    seg = segment_from_text("name: all\nwhere: {all: []}\n", session.catalog)
    assert session.runner.members(seg) == [f"C0{i}" for i in range(1, 9)]
    assert session.engine.kind == "duckdb" and session.engine.dialect == "duckdb"


# -- CLI ----------------------------------------------------------------------------------------
def cli(ws: Path, *args: str):
    result = CliRunner().invoke(app, [*args, "--workspace", str(ws)])
    assert "Traceback" not in result.output
    return result


def test_cli_engine_and_dialect_flags(ws):
    r = cli(ws, "sql", "gold", "--dialect", "postgres")
    assert r.exit_code == 0 and 'LEFT JOIN "features" AS f' in r.stdout
    r = cli(ws, "sql", "gold", "--engine", "duckdb")
    assert r.exit_code == 0 and '"kz_cache"."features"' in r.stdout
    r = cli(ws, "sql", "gold", "--engine", "spark", "--dialect", "postgres")
    assert r.exit_code == 2
    r = cli(ws, "count", "gold", "--engine", "oracle")
    assert r.exit_code == 2 and "unknown engine" in r.stderr
    r = cli(ws, "count", "gold", "--engine", "duckdb", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["engine"] == "duckdb"
    r = cli(ws, "sql", "hosts", "--dialect", "spark")
    assert r.exit_code == 1 and "REGEXP_EXTRACT" in r.stderr and "spark" in r.stderr
    for cmd in (["tui"], ["preview", "x"], ["approve", "x", "--by", "me"], ["export", "x"]):
        r = cli(ws, *cmd, "--engine", "oracle")
        assert r.exit_code == 2 and "unknown engine" in r.stderr, cmd


@async_test
async def test_tui_opens_on_the_engine_it_is_given(ws):
    """`kizuna tui --engine K` opens the session on K (here DuckDB, named explicitly)."""
    app = make_app(ws, engine="duckdb")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.session is not None and app.session.engine.kind == "duckdb"


def test_cli_engine_that_cannot_connect_is_a_user_error(ws, tmp_path):
    bad = tmp_path / "bad_ws"
    bad.mkdir()
    (bad / "segments").mkdir()
    (bad / "segments" / "gold.yaml").write_text(
        (ws / "segments" / "gold.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (bad / "kizuna.toml").write_text(
        '[engine]\nkind = "postgres"\ndsn = "host=127.0.0.1 port=1 connect_timeout=2"\n',
        encoding="utf-8",
    )
    r = cli(bad, "count", "gold")
    assert r.exit_code == 1
    assert "postgres" in r.stderr
