"""Small helpers shared by the engine tests: build segments from YAML snippets, list members."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from queries.query.session import Session, open_session
from queries.segments.model import Segment
from queries.segments.parse import segment_from_text
from tests.fixture_db import SCHEMA

ALL_IDS = ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08"]


def seg_yaml(*conds: str, kind: str = "all", name: str = "t") -> str:
    """A segment file whose `where` is `kind:` over the given YAML condition snippets.

    Each snippet is YAML for one list item; multi-line snippets are indented under `- `.
    """
    lines = [f"name: {name}", "where:", f"  {kind}:"]
    for cond in conds:
        first, *rest = cond.strip("\n").split("\n")
        lines.append(f"    - {first}")
        lines.extend(f"      {line}" for line in rest)
    return "\n".join(lines) + "\n"


def make(session: Session, *conds: str, kind: str = "all", name: str = "t") -> Segment:
    return segment_from_text(seg_yaml(*conds, kind=kind, name=name), session.catalog)


def ids(session: Session, seg: Segment) -> list[str]:
    """Members by running the printed DuckDB SQL, cross-checked against runner.count."""
    sql = session.runner.sql(seg, "duckdb")
    cur = session.snapshot.cursor()
    try:
        rows = cur.execute(sql).fetchall()
    finally:
        cur.close()
    got = [r[0] for r in rows]
    assert got == sorted(got), "audience SQL is ordered by customer_id"
    assert len(set(got)) == len(got), "no duplicates"
    assert session.runner.count(seg) == len(got), "count agrees with the member list"
    return got


def members(session: Session, *conds: str, kind: str = "all") -> list[str]:
    return ids(session, make(session, *conds, kind=kind))


def build_db(path: Path, customers: list[tuple], as_of: str | None = None) -> Path:
    """A snapshot with the fixture schema and only the given customers (17-tuples)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA)
        if as_of is not None:
            con.execute("DELETE FROM snapshot_meta")
            con.execute("INSERT INTO snapshot_meta VALUES (?, 'custom')", [as_of])
        con.executemany("INSERT INTO customers VALUES (" + ",".join("?" * 17) + ")", customers)
    finally:
        con.close()
    return path


def customer(cid: str, **kw) -> tuple:
    """A customers row with sensible defaults; override columns by name."""
    row = {
        "customer_id": cid,
        "email": f"{cid.lower()}@example.jp",
        "phone": None,
        "line_user_id": None,
        "family_name": "山田",
        "given_name": "花子",
        "gender": "female",
        "birth_date": None,
        "prefecture": "東京都",
        "signup_at": "2020-01-01 00:00:00",
        "signup_channel": "web",
        "loyalty_tier": "regular",
        "points": 0,
        "email_opt_in": True,
        "sms_opt_in": False,
        "line_opt_in": False,
        "preferred_channel": "email",
    }
    unknown = set(kw) - set(row)
    assert not unknown, unknown
    row.update(kw)
    return tuple(row.values())


def workspace_for(root: Path, db: Path) -> Path:
    ws = root / "ws"
    (ws / "segments").mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.as_posix()}"\n')
    return ws


def session_for(root: Path, db: Path, as_of: str | None = None) -> Session:
    ws = root / "ws"
    if not ws.exists():
        workspace_for(root, db)
    return open_session(ws, as_of=as_of)


def private_workspace(folder: Path, fixture_db: Path) -> Path:
    """A workspace over a private copy of the fixture snapshot.

    DuckDB shares one database instance per file path within a process, and a Kizuna session
    locks that instance's configuration; a second session on the same file in this process
    then cannot build or attach its features cache (see test_hygiene's xfail test). A copy at
    a path of our own keeps these tests independent of sessions other test files hold open.
    """
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "snapshot.duckdb"
    shutil.copyfile(fixture_db, db)
    return workspace_for(folder, db)
