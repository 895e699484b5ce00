"""Writing the contact ledger: stage an export's contacts, commit them, recover after a crash.

The ledger read as a table (for frequency caps) is queries/query/contacts.py.

One Parquet file per campaign, `.kizuna/ledger/<campaign>.parquet`, with the columns in
`COLUMNS`. A re-export replaces its campaign's file, so a handoff is never counted twice. The
file is staged next to its final name and committed only once the export folder exists;
`recover` finishes or discards a commit a crash interrupted.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.core.private_fs import make_private, private_dir, write_private
from queries.core.workspace import Workspace
from queries.query.contacts import column_types, file_for, folder

STALE_S = 3600  # a staged file this old with no pending note is a crashed export's


def rows_select(
    status: exp.Expr, stem: str, channel: str, contacted_at: datetime, export_id: str
) -> exp.Select:
    """The ledger rows of one export: every recipient (holdout excluded) of a status relation."""
    cid = exp.column("customer_id", quoted=True)
    ts = exp.cast(
        exp.Literal.string(contacted_at.strftime("%Y-%m-%d %H:%M:%S")),
        exp.DataType.build("TIMESTAMP"),
    )
    return (
        exp.select(
            exp.alias_(exp.Literal.string(stem), "campaign", quoted=True),
            exp.alias_(exp.cast(cid.copy(), exp.DataType.build("VARCHAR")), "customer_id"),
            exp.alias_(exp.Literal.string(channel), "channel", quoted=True),
            exp.alias_(ts, "contacted_at", quoted=True),
            exp.alias_(exp.Literal.string(export_id), "export_id", quoted=True),
        )
        .from_(status)
        .where(
            exp.and_(
                exp.Is(this=exp.column("kz_step", quoted=True), expression=exp.Null()),
                exp.NEQ(
                    this=exp.column("kz_arm", quoted=True), expression=exp.Literal.string(HOLDOUT)
                ),
            )
        )
        .order_by(cid)
    )


def _pending(ws: Workspace, stem: str) -> Path:
    return folder(ws) / f"{stem}.pending.json"


def stage(cursor: Any, select: exp.Select, ws: Workspace, stem: str, meta: dict) -> Path:
    """Write the export's ledger rows beside the final file; `commit` puts them in force."""
    partial = _partial(ws, stem, meta)
    target = exp.Literal.string(str(partial)).sql("duckdb")
    cursor.execute(f"COPY ({select.sql('duckdb')}) TO {target} (FORMAT parquet)")
    return _staged(ws, stem, meta, partial)


def stage_rows(batches: Iterable[list[tuple]], ws: Workspace, stem: str, meta: dict) -> Path:
    """`stage` for rows that come from another engine (a local DuckDB writes the file)."""
    import duckdb

    partial = _partial(ws, stem, meta)
    con = duckdb.connect(":memory:")
    try:
        defs = ", ".join(f'"{n}" {t}' for n, t in column_types())
        con.execute(f"CREATE TABLE l ({defs})")
        unnest = ", ".join(f"unnest(?::{t}[])" for _, t in column_types())
        for rows in batches:
            if rows:  # one column list per parameter: far faster than executemany
                con.execute(f"INSERT INTO l SELECT {unnest}", [list(c) for c in zip(*rows)])
        target = exp.Literal.string(str(partial)).sql("duckdb")
        con.execute(f"COPY (SELECT * FROM l ORDER BY customer_id) TO {target} (FORMAT parquet)")
    finally:
        con.close()
    return _staged(ws, stem, meta, partial)


def _partial(ws: Workspace, stem: str, meta: dict) -> Path:
    d = private_dir(folder(ws), anchor=ws.root)
    return d / f".{stem}.{meta['export_id']}.parquet.partial"


def _staged(ws: Workspace, stem: str, meta: dict, partial: Path) -> Path:
    """fsync the staged file and note it as pending, so `recover` can finish or discard it."""
    d = folder(ws)
    make_private(partial)
    _fsync(partial)
    note = {**meta, "partial": str(partial)}
    write_private(_pending(ws, stem), json.dumps(note))
    _fsync(d)
    return partial


def commit(ws: Workspace, stem: str) -> None:
    """Replace the campaign's ledger file with the staged one."""
    pending = _pending(ws, stem)
    note = json.loads(pending.read_text(encoding="utf-8"))
    os.replace(note["partial"], file_for(ws, stem))
    pending.unlink()
    _fsync(folder(ws))


def discard(ws: Workspace, stem: str) -> None:
    """Drop a staged ledger file (the export did not finish)."""
    pending = _pending(ws, stem)
    try:
        note = json.loads(pending.read_text(encoding="utf-8"))
        Path(note["partial"]).unlink(missing_ok=True)
    except (OSError, ValueError, KeyError):
        pass
    pending.unlink(missing_ok=True)


def recover(ws: Workspace, locked: bool = False) -> list[str]:
    """Finish commits whose export folder exists, discard the others; returns what was done.

    Only under the workspace export lock (`locked`: the caller holds it; else it is taken if
    free), so an export that is running elsewhere never has its staged rows discarded."""
    d = folder(ws)
    if locked:
        return _recover(ws)
    if not d.is_dir() or not (any(d.glob("*.pending.json")) or any(d.glob(".*.partial"))):
        return []  # nothing to finish or discard (and no lock to take)
    from queries.handoff.locks import try_export_lock

    with try_export_lock(ws) as free:
        return _recover(ws) if free else []


def _recover(ws: Workspace) -> list[str]:
    done: list[str] = []
    d = folder(ws)
    if not d.is_dir():
        return done
    for pending in sorted(d.glob("*.pending.json")):
        stem = pending.name[: -len(".pending.json")]
        try:
            note = json.loads(pending.read_text(encoding="utf-8"))
            finished = Path(note["folder"]).is_dir() and Path(note["partial"]).is_file()
        except (OSError, ValueError, KeyError):
            finished = False
        if finished:
            commit(ws, stem)
            done.append(f"committed {stem}")
        else:
            discard(ws, stem)
            done.append(f"discarded {stem}")
    staged = set()
    for pending in d.glob("*.pending.json"):
        try:
            staged.add(json.loads(pending.read_text(encoding="utf-8"))["partial"])
        except (OSError, ValueError, KeyError):
            pass
    for stray in d.glob(".*.parquet.partial"):
        if str(stray) not in staged and time.time() - stray.stat().st_mtime > STALE_S:
            stray.unlink(missing_ok=True)
    return done


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
