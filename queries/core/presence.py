"""Which of Kizuna's logical tables and columns a snapshot has, after the workspace mapping.

Only `customers.customer_id` is required; everything else may be absent (not in the snapshot,
or mapped to `false`). A mapped name is looked up in the schema it names, an unmapped one in
the snapshot's default schema only, so a same-named table in another schema is never used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from queries.core.toml_lines import Problem
from queries.core.workspace import ABSENT

DEFAULT_SCHEMA = "main"


@dataclass
class Presence:
    """The logical tables and columns found, and why each missing one is missing."""

    tables: dict[str, str] = field(default_factory=dict)  # logical → physical name found
    columns: dict[str, frozenset[str]] = field(default_factory=dict)  # logical → columns
    why: dict[str, str] = field(default_factory=dict)  # "orders" / "orders.total" → reason
    errors: list[Problem] = field(default_factory=list)
    extra_columns: dict[str, frozenset[str]] = field(default_factory=dict)  # all, lower-case
    complete: bool = False  # True when nothing was probed (a remote engine): assume present

    def has(self, table: str, column: str | None = None) -> bool:
        if table not in self.tables:
            return False
        return column is None or column in self.columns.get(table, frozenset())

    def needs(self, refs: Iterable[tuple[str, str | None]]) -> str | None:
        """ "needs orders.total" for the first absent (table, column), else None."""
        for table, column in refs:
            if not self.has(table):
                return f"needs {table}"
            if column is not None and not self.has(table, column):
                return f"needs {table}.{column}"
        return None

    def key(self) -> tuple:
        """A hashable summary, for caches."""
        return tuple(sorted((t, tuple(sorted(c))) for t, c in self.columns.items()))


def _wanted() -> dict[str, list[str]]:
    from queries.core.schema import TABLE_COLUMNS

    return TABLE_COLUMNS


def assume_all(tables: dict[str, str], columns: dict[str, dict[str, str]]) -> Presence:
    """Everything present except what kizuna.toml maps to `false` (engines not probed)."""
    p = Presence(complete=True)
    for table, cols in _wanted().items():
        if tables.get(table) == ABSENT:
            p.why[table] = "mapped to false in kizuna.toml"
            continue
        p.tables[table] = tables.get(table, table)
        have = [c for c in cols if columns.get(table, {}).get(c) != ABSENT]
        p.columns[table] = frozenset(have)
        for c in cols:
            if c not in have:
                p.why[f"{table}.{c}"] = "mapped to false in kizuna.toml"
    return p


def probe(
    rows: Iterable[tuple[str, str, str]],
    tables: dict[str, str],
    columns: dict[str, dict[str, str]],
    where: str = "the snapshot",
) -> Presence:
    """Match the mapping against (schema, table, column) rows read from the snapshot."""
    from queries.core.schema import EXTRA_TABLES

    wanted = _wanted()
    found: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column in rows:
        found.setdefault((schema.lower(), table.lower()), {})[column.lower()] = column
    p = Presence()
    for name in tables:
        if name not in wanted and name not in EXTRA_TABLES:
            from queries.core.errors import suggest

            p.errors.append(
                Problem(
                    f"`{name}` is not one of Kizuna's tables",
                    "tables",
                    name,
                    suggest(name, list(wanted)) or f"one of {', '.join(wanted)}",
                )
            )
    for name, cols in columns.items():
        if name not in wanted:
            p.errors.append(Problem(f"`{name}` is not one of Kizuna's tables", f"columns.{name}"))
            continue
        for col in cols:
            if col not in wanted[name]:
                from queries.core.errors import suggest

                p.errors.append(
                    Problem(
                        f"`{col}` is not a column of Kizuna's `{name}`",
                        f"columns.{name}",
                        col,
                        suggest(col, wanted[name]) or f"one of {', '.join(wanted[name])}",
                    )
                )
    for table, needed in wanted.items():
        mapped = tables.get(table)
        if mapped == ABSENT:
            p.why[table] = "mapped to false in kizuna.toml"
            if table == "customers":
                p.errors.append(Problem("customers is required", "tables", table))
            continue
        physical = mapped or table
        parts = physical.split(".")
        schema = parts[-2] if len(parts) >= 2 else DEFAULT_SCHEMA
        have = found.get((schema.lower(), parts[-1].lower()))
        if have is None:
            if mapped is not None or table == "customers":
                p.errors.append(
                    Problem(
                        f"{where} has no table `{physical}` (Kizuna's `{table}`)",
                        "tables",
                        table,
                        "a mapped name is looked up in the schema it names; "
                        "write schema.table, or `false` if the snapshot has no such table"
                        if mapped is not None
                        else "map it in kizuna.toml under [tables]",
                    )
                )
            p.why[table] = f"no table `{schema}.{parts[-1]}` in {where}"
            continue
        p.tables[table] = physical
        p.extra_columns[table] = frozenset(have)
        present = []
        for col in needed:
            mcol = columns.get(table, {}).get(col)
            if mcol == ABSENT:
                p.why[f"{table}.{col}"] = "mapped to false in kizuna.toml"
                continue
            if (mcol or col).lower() in have:
                present.append(col)
                continue
            p.why[f"{table}.{col}"] = f"no column `{mcol or col}` in `{physical}`"
            if mcol is not None or (table, col) == ("customers", "customer_id"):
                p.errors.append(
                    Problem(
                        f"table `{physical}` has no column `{mcol or col}` (Kizuna's "
                        f"`{table}.{col}`)",
                        f"columns.{table}",
                        col,
                        "write the column's name as the snapshot spells it, or `false`",
                    )
                )
        p.columns[table] = frozenset(present)
    return p


def read_columns(conn: Any, catalog: str) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every table and view in one attached DuckDB catalog."""
    return conn.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = ?",
        [catalog],
    ).fetchall()
