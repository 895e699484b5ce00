"""Dirty addresses, same recipients: DuckDB, Spark and PostgreSQL agree on a dirtied demo.

A slice of the demo (its first 2,000 customers and their rows) has its addresses dirtied the
way real snapshots are (tabs, ideographic spaces, case, full-width characters, phones in
national formats with dashes/dots/brackets, junk such as `N/A`, shared addresses) and its
suppression list extended with dirty ids, emails and channels. Every example campaign must
select the same people on the three engines, and an export run on Spark or Postgres must
write the same audience file as DuckDB.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from queries.campaigns.funnel import final_audience, policy_funnel
from queries.campaigns.model import Campaign, find_campaign
from queries.campaigns.parse import load_campaign
from queries.handoff.approval import approve, review
from queries.handoff.export.run import export_campaign
from queries.query.session import Session, open_session
from tests.parity_env import DEMO, TABLES, unavailable

pytestmark = pytest.mark.parity

ROOT = Path(__file__).resolve().parents[2]
# the example campaigns, and one campaign per channel over everyone (so shared addresses meet)
EVERYONE = {"everyone_email": "email", "everyone_sms": "sms", "everyone_line": "line"}
CAMPAIGNS = sorted(p.stem for p in (ROOT / "campaigns").glob("*.yaml")) + sorted(EVERYONE)
PARTS = {"email": "subject: \"{{ given_name | default: 'お客' }}様\", body: \"<p>hi</p>\"",
         "sms": 'text: "hi"',
         "line": 'text: "hi"'}  # fmt: skip
KEEP = 2000
PAD = ["", " ", "\t", "\u3000", "\r\n", "\u200b", "\ufeff"]


def _wide(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _dirty_phone(rng: random.Random, e164: str) -> str:
    national = "0" + e164[3:]
    a, b, c = national[:3], national[3:7], national[7:]
    return rng.choice(
        [
            f"{a}-{b}-{c}",
            f"+81 {national[1:3]} {b} {c}",
            _wide(f"{a}-{b}-{c}"),
            f"({a}){b}-{c}",
            f"{a}.{b}.{c}",
            f"{a}\t{b}\t{c}",
            rng.choice(["N/A", "-", "x", ""]),
        ]
    )


def _dirty_text(rng: random.Random, text: str) -> str:
    body = rng.choice([text, text.upper(), text.title(), _wide(text)])
    return rng.choice(PAD) + body + rng.choice(PAD)


def build_dirty(target: Path) -> Path:
    """The demo's first KEEP customers (and their rows), addresses and suppression dirtied."""
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH '{DEMO.as_posix()}' AS demo (READ_ONLY)")
        con.execute(
            f"CREATE TABLE customers AS SELECT * FROM demo.customers ORDER BY customer_id "
            f"LIMIT {KEEP}"
        )
        ids = "(SELECT customer_id FROM customers)"
        for t in TABLES:
            if t == "customers":
                continue
            cols = {r[0] for r in con.execute(f"DESCRIBE demo.{t}").fetchall()}
            if t == "order_items":
                kept = f"SELECT order_id FROM demo.orders WHERE customer_id IN {ids}"
                where = f"WHERE order_id IN ({kept})"
            elif "customer_id" in cols and t != "suppression_list":
                where = f"WHERE customer_id IN {ids}"
            else:
                where = ""
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM demo.{t} {where}")
        rng = random.Random(10)
        rows = con.execute(
            "SELECT customer_id, email, phone, line_user_id FROM customers ORDER BY customer_id"
        ).fetchall()
        clean = {r[0]: r for r in rows}
        updates = []
        for cid, email, phone, line in rows:
            if rng.random() < 0.08:  # share another customer's addresses
                _, email, phone, line = clean[rng.choice(list(clean))]
            updates.append(
                (
                    _dirty_text(rng, email) if email and rng.random() < 0.5 else email,
                    _dirty_phone(rng, phone) if phone and rng.random() < 0.5 else phone,
                    rng.choice(PAD) + line + rng.choice(PAD) if line else line,
                    cid,
                )
            )
        con.executemany(
            "UPDATE customers SET email = ?, phone = ?, line_user_id = ? WHERE customer_id = ?",
            updates,
        )
        chosen = rng.sample(list(clean), 60)
        for i, cid in enumerate(chosen):
            chan = rng.choice(["all", "ALL ", "email", "Email\t", "sms", " line"])
            if i % 2:
                row = (cid + rng.choice(PAD[1:]), None, chan)
            else:
                row = (None, _dirty_text(rng, clean[cid][1]), chan)
            con.execute(
                "INSERT INTO suppression_list VALUES (?, ?, ?, 'dirty', TIMESTAMP '2026-01-01')",
                list(row),
            )
    finally:
        con.close()
    return target


def load_postgres(dsn: str, db: Path, schema: str) -> None:
    """The dirty snapshot's tables in `schema`, rows sent as they are (tabs, CR/LF kept)."""
    import psycopg

    from tests.parity_env import PG_TYPES

    con = duckdb.connect(str(db), read_only=True)
    try:
        with psycopg.connect(dsn, autocommit=True) as pg:
            pg.execute(f"CREATE SCHEMA {schema}")
            for t in TABLES:
                desc = con.execute(f"DESCRIBE {t}").fetchall()
                defs = ", ".join(f'"{c}" {PG_TYPES[ty]}' for c, ty, *_ in desc)
                pg.execute(f'CREATE TABLE {schema}."{t}" ({defs})')
                with pg.cursor() as cur, cur.copy(f'COPY {schema}."{t}" FROM STDIN') as copy:
                    for row in con.execute(f"SELECT * FROM {t}").fetchall():
                        copy.write_row(row)
                pg.execute(f'ANALYZE {schema}."{t}"')
    finally:
        con.close()


@pytest.fixture(scope="module")
def dirty_ws(tmp_path_factory: pytest.TempPathFactory, spark: Session, pg: Session) -> Path:
    ws = tmp_path_factory.mktemp("dirty_ws")
    db = build_dirty(ws / "dirty.duckdb")
    for folder in ("segments", "campaigns", "templates"):
        shutil.copytree(ROOT / folder, ws / folder)
    for stem, channel in EVERYONE.items():
        (ws / "campaigns" / f"{stem}.yaml").write_text(
            f"name: {stem}\nwho:\n  where: {{all: []}}\nhow: {{channel: {channel}}}\n"
            f"what:\n  variants:\n    - {{name: A, {PARTS[channel]}}}\n"
            f"holdout: {{percent: 10, salt: {stem}}}\n",
            encoding="utf-8",
        )
    pq = ws / "parquet"
    pq.mkdir()
    con = duckdb.connect(str(db), read_only=True)
    try:
        for t in TABLES:
            con.execute(f"COPY {t} TO '{(pq / t).as_posix()}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    dsn = pg.engine.settings.get("dsn")  # type: ignore[attr-defined]
    if not dsn:
        unavailable("no Postgres server from the parity fixtures")
    load_postgres(dsn, db, "dirty")
    tables = "\n".join(f'{t} = "{(pq / t).as_posix()}.parquet"' for t in TABLES)
    (ws / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{db.as_posix()}"\n\n'
        '[engine.spark]\nmaster = "local[2]"\n'
        '[engine.spark.conf]\n"spark.sql.shuffle.partitions" = "4"\n'
        f"[engine.spark.tables]\n{tables}\n"
        f'[engine.postgres]\ndsn = "{dsn}"\nschema = "dirty"\n',
        encoding="utf-8",
    )
    return ws


@pytest.fixture(scope="module")
def engines(dirty_ws: Path) -> Iterator[dict[str, Session]]:
    """The dirty snapshot on DuckDB, Spark (a session beside the parity one) and Postgres."""
    out = {kind: open_session(dirty_ws, engine=kind) for kind in ("duckdb", "spark", "postgres")}
    yield out
    for s in out.values():
        s.close()


def camp(s: Session, name: str) -> Campaign:
    return load_campaign(find_campaign(name, s.ws.campaigns_dir), s.catalog, s.ws.root, s.store)


def shape(s: Session, name: str) -> tuple:
    f = policy_funnel(s, camp(s, name))
    return f.base, [(st.key, st.count, st.removed, st.by_reason) for st in f.steps], f.arms


def test_the_dirt_reaches_the_policy_steps(engines: dict[str, Session]) -> None:
    """The dirty slice exercises consent (unusable phones) and dedupe (shared addresses)."""
    duck = engines["duckdb"]
    removed = {}
    for name in CAMPAIGNS:
        _, steps, _ = shape(duck, name)
        for key, _, gone, by in steps:
            removed.setdefault(key, 0)
            removed[key] += gone
            if key == "consent":
                removed.setdefault("unusable", 0)
                removed["unusable"] += sum(n for r, n in by.items() if r.startswith("no usable"))
    assert removed["unusable"] > 0 and removed["dedupe"] > 0 and removed["suppression"] > 0


@pytest.mark.parametrize("name", CAMPAIGNS)
def test_dirty_addresses_select_the_same_people(engines: dict[str, Session], name: str) -> None:
    duck = engines["duckdb"]
    want = final_audience(duck, camp(duck, name))
    assert want, f"{name}: nobody past the funnel on the dirty slice"
    want_shape = shape(duck, name)
    for kind in ("spark", "postgres"):
        s = engines[kind]
        assert final_audience(s, camp(s, name)) == want, kind
        assert shape(s, name) == want_shape, kind


@pytest.mark.parametrize("name", CAMPAIGNS)
def test_dirty_addresses_export_the_same_files(
    engines: dict[str, Session], name: str, tmp_path: Path
) -> None:
    duck = engines["duckdb"]
    approve(duck, review(duck, camp(duck, name)), "parity", force=True)
    try:
        files = {}
        for kind, s in engines.items():
            result = export_campaign(
                s, camp(s, name), out=tmp_path / kind, force=True, replace=True
            )
            files[kind] = {
                f.name: f.sha256 for f in result.files if f.name.startswith(("audience", "holdout"))
            }
        assert files["spark"] == files["duckdb"]
        assert files["postgres"] == files["duckdb"]
    finally:
        for folder in ("approvals", "ledger"):
            shutil.rmtree(duck.ws.state_dir / folder, ignore_errors=True)
