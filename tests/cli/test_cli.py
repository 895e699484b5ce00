"""The `kizuna` CLI over the fixture workspace: output shapes, exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlglot
from typer.testing import CliRunner

from tests.segtools import private_workspace
from tui.cli.main import app

TOKYO = "name: Tokyo\nwhere:\n  all:\n    - {field: prefecture, op: '=', value: 東京都}\n"
# opted in (C01 C02 C04 C07 C08) -> points >= 5000 (C01 C02) -> order in 30 days (C01)
FUNNEL = """\
name: Funnel
where:
  all:
    - {field: email_opt_in, op: is_true}
    - {field: points, op: '>=', value: 5000}
    - {event: orders, within: 30d}
"""


@pytest.fixture()
def ws(tmp_path, fixture_db) -> Path:
    ws = private_workspace(tmp_path, fixture_db)
    (ws / "segments" / "tokyo.yaml").write_text(TOKYO, encoding="utf-8")
    (ws / "segments" / "funnel.yaml").write_text(FUNNEL, encoding="utf-8")
    return ws


def kizuna(ws: Path | None, *args: str):
    argv = list(args) + (["--workspace", str(ws)] if ws is not None else [])
    result = CliRunner().invoke(app, argv)
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text, text
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}")
    return result


def test_count_json(ws):
    r = kizuna(ws, "count", "tokyo", "--json")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    # 東京都: C01 C05 C08
    assert data["count"] == 3
    assert data["base"] == 8
    assert data["segment"] == "Tokyo"
    assert data["as_of"] == "2026-03-01"
    assert data["percent_of_base"] == 37.5


def test_count_plain_text(ws):
    r = kizuna(ws, "count", "tokyo")
    assert r.exit_code == 0
    assert "Tokyo" in r.stdout and "3" in r.stdout and "2026-03-01" in r.stdout


def test_count_by_path(ws):
    r = kizuna(ws, "count", str(ws / "segments" / "funnel.yaml"), "--json")
    assert json.loads(r.stdout)["count"] == 1


def test_count_waterfall(ws):
    r = kizuna(ws, "count", "funnel", "--waterfall", "--json")
    data = json.loads(r.stdout)
    assert data["count"] == 1
    assert [(s["count"], s["removed"]) for s in data["waterfall"]] == [(5, 3), (2, 3), (1, 1)]
    assert data["waterfall"][0]["condition"] == "email_opt_in is true"
    text = kizuna(ws, "count", "funnel", "--waterfall").stdout
    assert "email_opt_in is true" in text
    assert "all customers" in text


def test_count_as_of(ws):
    # as of 2026-02-01 the only order in 30 days (01-03..02-01) is C02's O3; C02 passes the
    # first two steps, so the funnel ends with C02
    r = kizuna(ws, "count", "funnel", "--json", "--as-of", "2026-02-01")
    data = json.loads(r.stdout)
    assert (data["as_of"], data["count"]) == ("2026-02-01", 1)
    r2 = kizuna(ws, "why", "funnel", "C02", "--json", "--as-of", "2026-02-01")
    assert json.loads(r2.stdout)["member"] is True


def test_sample_json_masked(ws):
    r = kizuna(ws, "sample", "tokyo", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["masked"] is True
    assert data["count"] == 3
    by_id = {row["customer_id"]: row for row in data["rows"]}
    assert set(by_id) == {"C01", "C05", "C08"}
    assert by_id["C01"]["email"] == "t***@example.jp"
    assert by_id["C01"]["phone"] == "+81 90-****-5678"
    assert "taro@example.jp" not in r.stdout
    assert "+819012345678" not in r.stdout


def test_sample_unmask_and_n(ws):
    data = json.loads(kizuna(ws, "sample", "tokyo", "--json", "--unmask", "-n", "2").stdout)
    # `count` is the audience size (as in `count --json`); the rows shown are `sample_size`
    assert data["masked"] is False and data["count"] == 3 and data["sample_size"] == 2
    emails = {row["email"] for row in data["rows"]}
    assert emails <= {"taro@example.jp", "100%_sure@example.jp", "'; DROP TABLE customers; --"}


def test_sample_table(ws):
    r = kizuna(ws, "sample", "tokyo")
    assert r.exit_code == 0
    assert "sample of 3" in r.stdout
    assert "taro@example.jp" not in r.stdout and "+819012345678" not in r.stdout


def test_why(ws):
    r = kizuna(ws, "why", "funnel", "C01")
    assert r.exit_code == 0
    assert "C01" in r.stdout and "is IN" in r.stdout
    r2 = kizuna(ws, "why", "funnel", "C02", "--json")
    data = json.loads(r2.stdout)
    assert data["member"] is False
    assert [c["verdict"] for c in data["conditions"]] == [True, True, False]
    assert data["conditions"][2]["value"] == "0"


def test_why_unknown_customer_exits_1(ws):
    r = kizuna(ws, "why", "funnel", "C99")
    assert r.exit_code == 1
    assert "C99" in r.stderr


@pytest.mark.parametrize(
    "dialect", ["duckdb", "spark", "trino", "bigquery", "snowflake", "postgres"]
)
def test_sql(ws, dialect):
    r = kizuna(ws, "sql", "funnel", "--dialect", dialect)
    assert r.exit_code == 0
    tree = sqlglot.parse_one(r.stdout, read=dialect)
    assert tree.find(sqlglot.exp.Select) is not None
    if dialect == "spark":
        assert "`customers`" in r.stdout


def test_sql_bad_dialect_is_usage_error(ws):
    r = kizuna(ws, "sql", "funnel", "--dialect", "oracle")
    assert r.exit_code == 2
    assert "oracle" in r.stderr


def test_fields(ws):
    r = kizuna(ws, "fields")
    assert r.exit_code == 0
    assert "loyalty_tier" in r.stdout and "purchases" in r.stdout
    data = json.loads(kizuna(ws, "fields", "--json").stdout)
    names = {f["name"] for f in data["fields"]}
    assert {"loyalty_tier", "points", "lifecycle_stage", "birth_date"} <= names
    assert {e["name"] for e in data["events"]} == {"orders", "purchases", "web", "messages", "nps"}
    email = next(f for f in data["fields"] if f["name"] == "email")
    assert email["pii"] is True


def test_validate_ok_and_bad(ws):
    good = ws / "segments" / "tokyo.yaml"
    r = kizuna(ws, "validate", str(good))
    assert r.exit_code == 0
    assert "ok" in r.stdout
    bad = ws / "segments" / "bad.yaml"
    bad.write_text("name: Bad\nwhere:\n  all:\n    - {field: pointz, op: '>', value: 1}\n")
    r = kizuna(ws, "validate", str(bad))
    assert r.exit_code == 1
    err = r.stderr.replace("\n", "")
    assert f"{bad}:4" in err and "pointz" in err and "did you mean `points`?" in err


def test_init(tmp_path):
    target = tmp_path / "new_ws"
    r = kizuna(None, "init", str(target))
    assert r.exit_code == 0, r.output
    assert (target / "kizuna.toml").is_file()
    for sub in ("segments", "campaigns", "templates"):
        assert (target / sub).is_dir()
    # a second init refuses to overwrite
    r2 = kizuna(None, "init", str(target))
    assert r2.exit_code == 1
    assert "already exists" in r2.stderr


def test_init_with_db_then_count(tmp_path, fixture_db):
    target = tmp_path / "w2"
    r = kizuna(None, "init", str(target), "--db", str(fixture_db))
    assert r.exit_code == 0
    assert fixture_db.as_posix() in (target / "kizuna.toml").read_text()


# -- user errors: exit 1, a short message, no traceback ------------------------------------


def test_unknown_segment_exits_1_with_hint(ws):
    r = kizuna(ws, "count", "tokio")
    assert r.exit_code == 1
    assert "tokio" in r.stderr
    assert "did you mean `tokyo`?" in r.stderr.replace("\n", "")


@pytest.mark.parametrize(
    "cmd", [["count", "broken"], ["sample", "broken"], ["why", "broken", "C01"], ["sql", "broken"]]
)
def test_invalid_segment_exits_1(ws, cmd):
    (ws / "segments" / "broken.yaml").write_text("name: B\nwhere:\n  all:\n    - {field: x\n")
    r = kizuna(ws, *cmd)
    assert r.exit_code == 1, (cmd, r.output)
    assert "broken.yaml" in r.stderr.replace("\n", "")
    assert "YAML syntax error" in r.stderr


def test_bad_as_of_exits_1(ws):
    r = kizuna(ws, "count", "tokyo", "--as-of", "2026-13-45")
    assert r.exit_code == 1
    assert "2026-13-45" in r.stderr


def test_missing_workspace_exits_1(tmp_path):
    r = kizuna(tmp_path / "nowhere", "count", "tokyo")
    assert r.exit_code == 1
    assert "does not exist" in r.stderr


def test_missing_snapshot_exits_1(tmp_path):
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text('[snapshot]\npath = "missing.duckdb"\n')
    r = kizuna(ws, "count", "tokyo")
    assert r.exit_code == 1
    assert "does not exist" in r.stderr


# -- usage errors: exit 2 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["count"],  # missing argument
        ["count", "tokyo", "--no-such-option"],
        ["sample", "tokyo", "-n", "0"],
        ["sample", "tokyo", "-n", "many"],
        ["no-such-command"],
        ["why", "funnel"],
    ],
)
def test_usage_errors_exit_2(ws, args):
    r = kizuna(ws, *args)
    assert r.exit_code == 2, r.output
