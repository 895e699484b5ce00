"""`kizuna check`: the workspace mapping read against the snapshot, without computing features.

Says which of Kizuna's tables and columns were found (and under which physical names), what
is unavailable and why, which channels can be used, and every mapping error located in
kizuna.toml (line, key). The CLI exits 1 when there is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

from queries.campaigns.policy_gaps import refusal
from queries.core.catalog import CUSTOMER_ALIAS, Catalog, build_catalog
from queries.core.errors import ConfigError, KizunaError
from queries.core.presence import Presence, probe, read_columns
from queries.core.schema import TABLE_COLUMNS
from queries.core.toml_lines import Problem, located
from queries.core.workspace import CONFIG_NAME, Workspace


@dataclass
class TableReport:
    """One logical table: where it was found, its columns found and the missing ones."""

    name: str
    physical: str | None
    found: dict[str, str]  # logical column → physical column
    missing: dict[str, str]  # logical column → why
    why: str | None = None  # the whole table is missing


@dataclass
class CheckReport:
    """Everything `kizuna check` prints."""

    snapshot: str
    tables: list[TableReport] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # unavailable field → why
    events: dict[str, str] = field(default_factory=dict)  # unavailable event source → why
    event_fields: dict[str, str] = field(default_factory=dict)  # "orders.total" → why
    channels: dict[str, str | None] = field(default_factory=dict)  # None = usable
    errors: list[str] = field(default_factory=list)
    available: int = 0  # customer fields available

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "ok": self.ok,
            "errors": self.errors,
            "tables": [vars(t) for t in self.tables],
            "unavailable_fields": self.fields,
            "unavailable_events": self.events,
            "unavailable_event_fields": self.event_fields,
            "channels": self.channels,
            "available_fields": self.available,
        }


def _tables(ws: Workspace, p: Presence) -> list[TableReport]:
    out = []
    for table, cols in TABLE_COLUMNS.items():
        if not p.has(table):
            out.append(TableReport(table, None, {}, {}, p.why.get(table, "not found")))
            continue
        mapped = ws.columns.get(table, {})
        found = {c: mapped.get(c) or c for c in cols if p.has(table, c)}
        missing = {c: p.why.get(f"{table}.{c}", "not found") for c in cols if c not in found}
        out.append(TableReport(table, p.tables[table], found, missing))
    return out


def _custom_sql(conn: Any, catalog: Catalog, cfg: Any, errors: list[str]) -> None:
    """Compile each [fields] SQL on the customers table (LIMIT 0) so a typo is found now."""
    for f in catalog.fields.values():
        if f.sql is None and f.column is None:
            continue
        if f.table != "customers" or f.name in TABLE_COLUMNS["customers"] or f.unavailable:
            continue
        q = exp.select(f.expr(CUSTOMER_ALIAS)).from_(catalog.customers).limit(0)
        try:
            conn.execute(q.sql("duckdb"))
        except (duckdb.Error, Exception) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            key = "sql" if f.sql is not None else "column"
            errors.append(located(cfg, Problem(first, f"fields.{f.name}", key)))


def check_workspace(ws: Workspace) -> CheckReport:
    """Read the mapping against the snapshot; never raises for a mapping problem."""
    from queries.query.snapshot import SNAPSHOT_ALIAS, _connect_read_only

    cfg = ws.root / CONFIG_NAME
    report = CheckReport(str(ws.db_path))
    conn = _connect_read_only(ws.db_path.resolve(), retries=0)
    try:
        p = probe(read_columns(conn, SNAPSHOT_ALIAS), ws.tables, ws.columns, ws.db_path.name)
        report.errors += [located(cfg, e) for e in p.errors]
        report.tables = _tables(ws, p)
        try:
            catalog = build_catalog(ws, presence=p)
        except ConfigError as exc:
            report.errors.append(str(exc))
            return report
        if p.has("customers"):
            _custom_sql(conn, catalog, cfg, report.errors)
    finally:
        conn.close()
    report.fields = {n: f.unavailable for n, f in catalog.fields.items() if f.unavailable}
    report.available = len(catalog.fields) - len(report.fields)
    for name, src in catalog.events.items():
        if src.unavailable:
            report.events[name] = src.unavailable
            continue
        for fname, f in src.fields.items():
            if f.unavailable:
                report.event_fields[f"{name}.{fname}"] = f.unavailable
    for ch in ("email", "sms", "line"):
        refused = refusal(catalog, ch, True)
        report.channels[ch] = refused[0] if refused else None
        if refused and ch in ws.consent:
            report.errors.append(located(cfg, Problem(refused[0], "consent", ch, refused[1])))
    return report


def check(ws: Workspace) -> CheckReport:
    """check_workspace, turning a snapshot that cannot be opened into a report error."""
    try:
        return check_workspace(ws)
    except KizunaError as exc:
        return CheckReport(str(ws.db_path), errors=[exc.render()])
