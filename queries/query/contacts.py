"""The workspace contact ledger read as a table: whom each campaign's latest export contacts.

One Parquet file per campaign, `.kizuna/ledger/<campaign>.parquet`, with the columns in
`COLUMNS`; the frequency cap reads every campaign's file but the one being exported (its
re-export replaces it, so a handoff is never counted twice). Writing is handoff/ledger.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.core.workspace import Workspace

COLUMNS = ("campaign", "customer_id", "channel", "contacted_at", "export_id")
TABLE = "kizuna_contact_ledger"  # the ledger's name when the funnel is printed for other engines


def folder(ws: Workspace) -> Path:
    return ws.state_dir / "ledger"


def file_for(ws: Workspace, stem: str) -> Path:
    return folder(ws) / f"{stem}.parquet"


def other_files(ws: Workspace, stem: str) -> list[Path]:
    """Every campaign's ledger file except this campaign's own (its re-export replaces it)."""
    d = folder(ws)
    if not d.is_dir():
        return []
    return sorted(p.resolve() for p in d.glob("*.parquet") if p.stem != stem)


TYPES = {"contacted_at": "TIMESTAMP"}  # every other column is VARCHAR


def column_types() -> list[tuple[str, str]]:
    """(name, DuckDB type) of the ledger columns, for loading it into another engine."""
    return [(c, TYPES.get(c, "VARCHAR")) for c in COLUMNS]


def relation(
    files: list[str] | list[Path], alias: str, dialect: str, table: str = TABLE
) -> exp.Expr | None:
    """The ledger as a table: read_parquet over the files in DuckDB, `table` elsewhere (what
    the funnel prints for another dialect; `on_engine` also loads it where it runs)."""
    if not files:
        return None
    if dialect == "duckdb":
        paths = exp.Array(expressions=[exp.Literal.string(str(p)) for p in files])
        this: exp.Expr = exp.Anonymous(this="read_parquet", expressions=[paths])
    else:
        this = exp.to_identifier(table)
    return exp.Table(this=this, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def on_engine(
    engine: Any, files: list[str] | list[Path], alias: str, table: str = TABLE
) -> exp.Expr | None:
    """The ledger as a relation the engine reads: read_parquet on DuckDB; elsewhere the files
    are loaded as `table` first (once per set of files)."""
    if files and engine.dialect != "duckdb":
        engine.register_parquet(table, [str(f) for f in files], column_types())
    return relation(files, alias, engine.dialect, table)
