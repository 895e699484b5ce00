"""File writers: RFC 4180 CSV identical to DuckDB's COPY, encodings, guards, limits, splitting."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.presets import PRESETS
from queries.handoff.export.formats import Writer
from queries.handoff.refusals import EncodingFailed, FieldTooLong

TRICKY = [
    "plain",
    "a,b",
    'say "hi"',
    "two\nlines",
    "cr\rhere",
    "#hash",
    "",
    " pad ",
    "tab\there",
    "'q",
    "NULL",
    "日本語",
    None,
]


def _write(tmp: Path, preset, rows, headers, ids=None, encoding="utf-8", **kw) -> list[dict]:
    w = Writer(tmp, "audience", preset, encoding, headers, **kw)
    try:
        w.write(ids or [f"C{i:02d}" for i in range(len(rows))], rows)
        return w.close()
    finally:
        w.abort()


def test_csv_matches_duckdb_copy_byte_for_byte(tmp_path: Path) -> None:
    rows = [
        (
            i,
            v,
            i % 2 == 0,
            1.5 * i,
            Decimal("1.50"),
            date(2026, 3, 1),
            datetime(2026, 3, 1, 10, 0, 0, 123000 * (i % 2)),
        )
        for i, v in enumerate(TRICKY)
    ]
    headers = ["n", "text", "flag", "x", "dec", "day", "ts"]
    (info,) = _write(tmp_path, PRESETS["generic_csv"], rows, headers)
    ours = (tmp_path / "audience.csv.partial").read_bytes()
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (n INT, text VARCHAR, flag BOOLEAN, x DOUBLE, dec DECIMAL(10,2),"
        " day DATE, ts TIMESTAMP)"
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    theirs = tmp_path / "duck.csv"
    con.execute(
        f"COPY (SELECT * FROM t ORDER BY n) TO '{theirs}' (FORMAT csv, HEADER, NEW_LINE '\\r\\n')"
    )
    assert ours == theirs.read_bytes()
    assert info["rows"] == len(rows) and ours.endswith(b"\r\n")
    assert ours.startswith(b"n,text,flag,x,dec,day,ts\r\n")


def test_tsv_quotes_tabs_and_newlines(tmp_path: Path) -> None:
    _write(tmp_path, PRESETS["sfmc"], [("a\tb", "c\nd", "e")], ["A", "B", "C"])
    assert (tmp_path / "audience.tsv.partial").read_bytes() == b'A\tB\tC\r\n"a\tb"\t"c\nd"\te\r\n'


def test_unencodable_character_names_row_customer_and_column(tmp_path: Path) -> None:
    rows = [("C01", "佐藤"), ("C05", "𠮷野")]
    with pytest.raises(EncodingFailed) as exc:
        _write(
            tmp_path,
            PRESETS["generic_csv"],
            rows,
            ["customer_id", "family_name"],
            ids=["C01", "C05"],
            encoding="cp932",
        )
    msg = str(exc.value)
    assert "row 2 (customer C05)" in msg and "`family_name`" in msg and "U+20BB7" in msg
    (tmp_path / "ok").mkdir()
    _write(
        tmp_path / "ok", PRESETS["generic_csv"], [("C02", "髙橋")], ["id", "n"], encoding="cp932"
    )


def test_excel_ja_cp932_guard_and_mask(tmp_path: Path) -> None:
    rows = [("C01", '=HYPERLINK("x")', "+819012345678", "佐藤", "-5", "@x", "\tt")]
    headers = ["顧客ID", "note", "phone", "family_name", "a", "b", "c"]
    mask = [None, None, "phone", "family_name", None, None, None]
    _write(tmp_path, PRESETS["excel_ja"], rows, headers, encoding="cp932", mask=mask)
    text = (tmp_path / "audience.csv.partial").read_bytes().decode("cp932")
    line = text.split("\r\n")[1]
    assert line.startswith('C01,"\'=HYPERLINK(""x"")",')
    assert "'+81 90-****-5678" in line and "佐*" in line and "'-5" in line and "'@x" in line
    assert "'\tt" in line and "佐藤" not in text


def test_excel_ja_utf8_has_a_bom(tmp_path: Path) -> None:
    _write(tmp_path, PRESETS["excel_ja"], [("C01",)], ["顧客ID"])
    data = (tmp_path / "audience.csv.partial").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + "顧客ID\r\n".encode())


def test_mailchimp_limits_fields_to_255_bytes(tmp_path: Path) -> None:
    _write(tmp_path, PRESETS["mailchimp"], [("a" * 255,)], ["Email Address"])
    (tmp_path / "x").mkdir()
    with pytest.raises(FieldTooLong, match=r"row 2 \(customer C07\), column `First Name`: 258"):
        _write(
            tmp_path / "x",
            PRESETS["mailchimp"],
            [("ok", "x"), ("ok", "あ" * 86)],
            ["Email Address", "First Name"],
            ids=["C01", "C07"],
        )


def test_line_audience_splits_files_without_header(tmp_path: Path) -> None:
    preset = dataclasses.replace(PRESETS["line_audience"], split_rows=2)
    rows = [(f"U{i:032x}",) for i in range(5)]
    infos = _write(tmp_path, preset, rows, ["line_user_id"], total=5)
    assert [i["name"] for i in infos] == ["audience-1.txt", "audience-2.txt", "audience-3.txt"]
    assert [i["rows"] for i in infos] == [2, 2, 1]
    first = (tmp_path / "audience-1.txt.partial").read_text()
    assert first == f"U{0:032x}\nU{1:032x}\n"
    assert PRESETS["line_audience"].split_rows == 1_500_000


def test_jsonl_and_parquet_keep_values(tmp_path: Path) -> None:
    rows = [("C01", "佐藤", 6000, date(2026, 3, 1), None), ("C02", 'q"x', None, None, "t\nx")]
    headers = ["customer_id", "family_name", "points", "day", "body"]
    _write(tmp_path, PRESETS["jsonl"], rows, headers)
    lines = (tmp_path / "audience.jsonl.partial").read_text("utf-8").splitlines()
    assert json.loads(lines[0]) == {
        "customer_id": "C01",
        "family_name": "佐藤",
        "points": 6000,
        "day": "2026-03-01",
        "body": None,
    }
    (pq,) = _write(
        tmp_path,
        PRESETS["parquet"],
        rows,
        headers,
        types=["VARCHAR", "VARCHAR", "INTEGER", "DATE", "VARCHAR"],
    )
    got = (
        duckdb.connect()
        .execute(f"SELECT * FROM read_parquet('{tmp_path / 'audience.parquet.partial'}')")
        .fetchall()
    )
    assert got == rows and pq["rows"] == 2
    assert not list(tmp_path.glob(".*.csv*"))  # the staging CSV is gone
