"""Normalised addresses and suppression rows, computed once per snapshot in Python.

The rules (addresses.py: NFKC, phonenumbers) are hard to express the same way in every SQL
dialect, so they run here once and the results become two small tables every engine reads:
`kizuna_addresses` (one row per customer: the raw id as text, the trimmed id and the
normalised email, phone and LINE id, NULL where unusable) and `kizuna_suppression` (the
suppression list with trimmed ids, normalised emails and lower-cased channels). On DuckDB they
are Parquet files in the workspace cache keyed by the snapshot's identity (reopening the same
snapshot reuses them); other engines load them like the contact ledger.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from queries.core import addresses as rules
from queries.core.i18n import _
from queries.engines.jobs import Job

ADDRESSES = "kizuna_addresses"
SUPPRESSION = "kizuna_suppression"
ADDRESS_FIELDS = ("email", "phone", "line_user_id")
ADDRESS_COLUMNS = [
    ("customer_id", "VARCHAR"),
    ("customer_key", "VARCHAR"),
    ("email", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("line_user_id", "VARCHAR"),
]
SUPPRESSION_COLUMNS = [
    ("customer_key", "VARCHAR"),
    ("email", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("reason", "VARCHAR"),
]
BATCH = 50_000
STALE_S = 3600  # a staging file this old is a crashed build's; a remote session's file, a day

_books: weakref.WeakKeyDictionary[Any, Book] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True)
class Book:
    """The two Parquet files of one snapshot and how long building them took (0 if cached)."""

    addresses: Path
    suppression: Path
    region: str
    built_s: float
    customers: int = 0


def _source_query(session: Any) -> exp.Select:
    """customer id as text and the raw email, phone and LINE id of every customer."""
    catalog = session.catalog
    comp = session.runner.compiler()
    cols: list[exp.Expr] = [exp.cast(catalog.customer_id(), exp.DataType.build("VARCHAR"))]
    text = exp.DataType.build("VARCHAR")
    for name in ADDRESS_FIELDS:
        f = catalog.fields.get(name)
        usable = f is not None and not f.unavailable  # a column the snapshot lacks is NULL
        cols.append(comp.field_expr(f) if usable else exp.cast(exp.Null(), text))
    return comp.base_from(exp.select(*cols))


def _suppression_query(session: Any) -> exp.Select:
    """The suppression list's id, email, channel and reason as text (NULL where a column is
    absent); no rows when the snapshot has no suppression list."""
    catalog, m = session.catalog, session.catalog.mapping
    text = exp.DataType.build("VARCHAR")
    names = ("customer_id", "email", "channel", "reason")
    if not catalog.has("suppression_list"):
        return exp.select(*(exp.cast(exp.Null(), text) for _ in names)).where(exp.false())
    cols = [
        exp.cast(m.col("suppression_list", c, "s"), text)
        if catalog.has("suppression_list", c)
        else exp.cast(exp.Null(), text)
        for c in names
    ]
    return exp.select(*cols).from_(m.table("suppression_list", "s"))


def _write(target: Path, columns: list[tuple[str, str]], batches: Iterable[list[tuple]]) -> int:
    """Write rows to a Parquet file through a disk-backed DuckDB (memory stays bounded)."""
    stage = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.stage")
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    for p in (stage, partial):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(stage))
    n = 0
    try:
        defs = ", ".join(f'"{c}" {t}' for c, t in columns)
        con.execute(f"CREATE TABLE t ({defs})")
        unnest = ", ".join(f"unnest(?::{t}[])" for _, t in columns)
        for rows in batches:
            if rows:
                con.execute(f"INSERT INTO t SELECT {unnest}", [list(c) for c in zip(*rows)])
                n += len(rows)
        out = exp.Literal.string(str(partial)).sql("duckdb")
        con.execute(f"COPY t TO {out} (FORMAT parquet)")
    finally:
        con.close()
        stage.unlink(missing_ok=True)
        Path(str(stage) + ".wal").unlink(missing_ok=True)
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return n


def _address_rows(session: Any, norm: rules.Normaliser, job: Job | None) -> Iterable[list[tuple]]:
    for rows in session.runner.stream(_source_query(session), job, BATCH):
        yield [
            (
                None if cid is None else str(cid),
                rules.customer_key(cid),
                norm.email(em),
                norm.phone(ph),
                norm.line_user_id(ln),
            )
            for cid, em, ph, ln in rows
        ]


def _suppression_rows(session: Any, job: Job | None) -> Iterable[list[tuple]]:
    for rows in session.runner.stream(_suppression_query(session), job, BATCH):
        yield [
            (rules.customer_key(cid), rules.email(em), rules.channel_name(ch), reason)
            for cid, em, ch, reason in rows
        ]


def _sweep(cache: Path) -> None:
    """Remove staging files of crashed builds and old remote sessions' books."""
    now = time.time()
    old = [(p, STALE_S) for p in [*cache.glob(".addresses-*"), *cache.glob(".suppression-*")]]
    old += [(p, 24 * STALE_S) for p in cache.glob("*-remote-*.parquet")]
    for p, age in old:
        try:
            if now - p.stat().st_mtime > age:
                p.unlink()
        except OSError:  # another process removed it first
            pass


def _key(session: Any, region: str) -> str | None:
    """The cache key of this snapshot's book; None where the snapshot has no stable identity
    (a remote engine: built once per session)."""
    snap = session.snapshot
    if getattr(snap, "features_path", None) is None:
        return None
    salt = "|".join((rules.VERSION, region, session.catalog.fingerprint()))
    return snap.identity.key(hashlib.sha256(salt.encode()).hexdigest())


def ensure(
    session: Any, job: Job | None = None, progress: Callable[[str], None] | None = None
) -> Book:
    """The snapshot's address book, built on first use (cached on disk for DuckDB)."""
    snap = session.snapshot
    with _lock:
        book = _books.get(snap)
        if book is not None:
            return book
        region = rules.default_region(session.ws.raw)
        key = _key(session, region)
        cache = session.ws.cache_dir
        if key is None:
            tag = hashlib.sha256(f"{snap.engine.describe()}|{os.getpid()}|{id(snap)}".encode())
            key = "remote-" + tag.hexdigest()[:16]
        addr = cache / f"addresses-{key}.parquet"
        supp = cache / f"suppression-{key}.parquet"
        if addr.is_file() and supp.is_file() and not key.startswith("remote-"):
            book = Book(addr, supp, region, 0.0)
        else:
            cache.mkdir(parents=True, exist_ok=True)
            _sweep(cache)
            if progress:
                progress(_("Normalising addresses (email, phone, LINE) …"))
            start = time.perf_counter()
            n = _write(addr, ADDRESS_COLUMNS, _address_rows(session, rules.Normaliser(region), job))
            _write(supp, SUPPRESSION_COLUMNS, _suppression_rows(session, job))
            book = Book(addr, supp, region, time.perf_counter() - start, n)
        _books[snap] = book
        return book


def _relation(
    session: Any | None, name: str, alias: str, dialect: str, job: Job | None = None
) -> exp.Table:
    """The table `name` as the engine reads it (read_parquet on DuckDB, loaded elsewhere);
    printed for another dialect (session None) as a plain table name."""
    as_alias = exp.TableAlias(this=exp.to_identifier(alias))
    if session is None:
        return exp.Table(this=exp.to_identifier(name), alias=as_alias)
    book = ensure(session, job)
    path = book.addresses if name == ADDRESSES else book.suppression
    columns = ADDRESS_COLUMNS if name == ADDRESSES else SUPPRESSION_COLUMNS
    engine = session.engine
    if engine.dialect == "duckdb":
        paths = exp.Array(expressions=[exp.Literal.string(str(path))])
        this: exp.Expr = exp.Anonymous(this="read_parquet", expressions=[paths])
        return exp.Table(this=this, alias=as_alias)
    engine.register_parquet(name, [str(path)], columns)
    return exp.Table(this=exp.to_identifier(name), alias=as_alias)


def addresses(session: Any | None, alias: str, dialect: str = "duckdb") -> exp.Table:
    """`kizuna_addresses` for the funnel (see `_relation`)."""
    return _relation(session, ADDRESSES, alias, dialect)


def suppression(session: Any | None, alias: str, dialect: str = "duckdb") -> exp.Table:
    """`kizuna_suppression` for the funnel (see `_relation`)."""
    return _relation(session, SUPPRESSION, alias, dialect)


def lookup(session: Any, field: str, customer_id: exp.Expr) -> exp.Expr:
    """The normalised `field` of one customer as a scalar subquery (for export columns)."""
    a = addresses(session, "kz_ax")
    on = exp.EQ(
        this=exp.column("customer_id", "kz_ax", quoted=True),
        expression=exp.cast(customer_id, exp.DataType.build("VARCHAR")),
    )
    sub = exp.select(exp.Min(this=exp.column(field, "kz_ax", quoted=True))).from_(a).where(on)
    return exp.Subquery(this=sub)
