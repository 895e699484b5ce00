"""Export without messages through DuckDB's COPY: the same file as the Python writer writes.

The COPY path exists for speed only; these tests pin that it changes nothing a user receives:
identical bytes for CSV (see test_export.py) and, for Parquet, the same columns with the same
types and values in the same order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from queries.handoff.export.write import write_export
from queries.query.session import Session
from tests.handoff_tools import approved, write_campaign


def _parquet(path: Path) -> tuple[list[tuple[str, str]], list[tuple]]:
    con = duckdb.connect(":memory:")
    try:
        rel = con.sql(f"SELECT * FROM read_parquet('{path.as_posix()}')")
        return list(zip(rel.columns, map(str, rel.types))), rel.fetchall()
    finally:
        con.close()


def test_parquet_by_copy_equals_the_python_writer(workspace: Path, session: Session) -> None:
    write_campaign(workspace, dest="parquet")
    c, rec = approved(session)
    a = write_export(session, c, rec, workspace / "exports", "E1", messages=False, fast=True)
    b = write_export(session, c, rec, workspace / "exports", "E2", messages=False, fast=False)
    assert a["fast_path"] is True and b["fast_path"] is False
    schema_a, rows_a = _parquet(Path(a["folder"]) / "audience.parquet")
    schema_b, rows_b = _parquet(Path(b["folder"]) / "audience.parquet")
    assert schema_a == schema_b
    assert rows_a == rows_b
    assert len(rows_a) == a["counts"]["recipients"] > 0
    assert [name for name, _ in schema_a][:3] == ["customer_id", "email", "variant"]
