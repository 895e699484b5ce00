"""Holdout and variant assignment: the SQL and the Python twin agree; proportions hold."""

from __future__ import annotations

import duckdb
import pytest
from sqlglot import exp

from queries.campaigns.assignment import BUCKETS, HOLDOUT, Plan, arm_sql, bucket, bucket_sql

IDS_SQL = "SELECT 'C' || lpad(CAST(i AS VARCHAR), 7, '0') AS cid FROM range({n}) t(i)"
CID = exp.column("cid")


def _run(sql: str) -> list[tuple]:
    return duckdb.connect().execute(sql).fetchall()


def test_bucket_known_value() -> None:
    # md5('C0000001:s') begins with these 8 hex digits; the bucket is that number mod 10000
    import hashlib

    digest = hashlib.md5(b"C0000001:s").hexdigest()
    assert bucket("C0000001", "s") == int(digest[:8], 16) % BUCKETS


@pytest.mark.parametrize("salt", ["winback-2026-11", "誕生日", "it's"])
def test_sql_bucket_equals_python(salt: str) -> None:
    duck = bucket_sql(CID, salt, "duckdb").sql("duckdb")
    portable = bucket_sql(CID, salt, "postgres").sql("duckdb")  # the digit-by-digit form
    rows = _run(f"SELECT cid, {duck}, {portable} FROM ({IDS_SQL.format(n=20000)})")
    assert all(b1 == b2 == bucket(cid, salt) for cid, b1, b2 in rows)


def test_sql_arm_equals_python() -> None:
    plan = Plan.build("ab-test", 12.5, [("A", 2), ("B", 1), ("C", 1)])
    rows = _run(f"SELECT cid, {arm_sql(CID, plan).sql('duckdb')} FROM ({IDS_SQL.format(n=20000)})")
    assert all(arm == plan.arm(cid) for cid, arm in rows)


def test_integer_ids_hash_as_text() -> None:
    plan = Plan.build("s", 10, [("A", 1), ("B", 1)])
    rows = _run(f"SELECT i, {arm_sql(exp.column('i'), plan).sql('duckdb')} FROM range(2000) t(i)")
    assert all(arm == plan.arm(str(i)) for i, arm in rows)


def test_proportions_and_stability() -> None:
    plan = Plan.build("winback", 10, [("A", 60), ("B", 40)])
    ids = [f"C{i:07d}" for i in range(100_000)]
    first = [plan.arm(i) for i in ids]
    assert first == [plan.arm(i) for i in ids]  # identical across runs
    share = {k: 100 * first.count(k) / len(ids) for k in (HOLDOUT, "A", "B")}
    assert share[HOLDOUT] == pytest.approx(10, abs=1)
    assert share["A"] == pytest.approx(54, abs=1)  # 60% of the remaining 90%
    assert share["B"] == pytest.approx(36, abs=1)
    assert plan.shares() == {HOLDOUT: 10.0, "A": 54.0, "B": 36.0}


def test_sql_proportions_on_100k() -> None:
    plan = Plan.build("s2", 5, [("A", 1), ("B", 1), ("C", 2)])
    rows = _run(
        f"SELECT {arm_sql(CID, plan).sql('duckdb')} AS a, count(*) "
        f"FROM ({IDS_SQL.format(n=100000)}) GROUP BY a"
    )
    got = {a: n / 1000 for a, n in rows}
    expected = {HOLDOUT: 5, "A": 23.75, "B": 23.75, "C": 47.5}
    assert got == pytest.approx(expected, abs=1)


def test_plan_boundaries() -> None:
    plan = Plan.build("s", 10, [("A", 1), ("B", 1)])
    assert plan.holdout == 1000 and plan.arms == (("A", 5500), ("B", 10000))
    assert Plan.build("s", 0, [("only", 3)]).arms == (("only", 10000),)
    assert Plan.build("s", 0.25, [("A", 1)]).holdout == 25
    assert plan.arm_of_bucket(999) == HOLDOUT and plan.arm_of_bucket(1000) == "A"
    assert plan.arm_of_bucket(5499) == "A" and plan.arm_of_bucket(5500) == "B"
    with pytest.raises(ValueError):
        Plan.build("s", 100, [("A", 1)])
    with pytest.raises(ValueError):
        Plan.build("s", 0, [])


@pytest.mark.parametrize(
    "dialect", ["duckdb", "spark", "trino", "bigquery", "snowflake", "postgres"]
)
def test_prints_for_every_engine(dialect: str) -> None:
    plan = Plan.build("s", 10, [("A", 1), ("B", 1)])
    sql = arm_sql(exp.column("customer_id", "c"), plan, dialect).sql(dialect)
    assert "'holdout'" in sql and "MD5" in sql.upper()
    if dialect != "duckdb":
        assert "UBIGINT" not in sql  # only portable functions off DuckDB
