"""Engines: where segment SQL runs — DuckDB by default; Spark and SQL warehouses as extras.

`kizuna.toml` picks one:

    [engine]
    kind = "spark"           # duckdb (default) | spark | postgres | trino | bigquery | snowflake
    master = "local[2]"              # or remote = "sc://spark-connect:15002"
    [engine.tables]                  # per logical table: a catalog table or a file location
    customers = "crm.customers"
    orders = "/data/snapshot/orders.parquet"

Settings for another kind can sit in `[engine.<kind>]` (used when `--engine <kind>` picks it).
Nothing here imports pyspark or a database driver; the engine modules do, when opened.
"""

from __future__ import annotations

import os
from typing import Any

from queries.core.errors import ConfigError
from queries.engines.base import Engine
from queries.engines.errors import EngineError, UnsupportedConstruct

KINDS = ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake")
EMBEDDED = "duckdb"  # the kind that runs on the snapshot file itself (queries.query.snapshot)

__all__ = [
    "EMBEDDED",
    "KINDS",
    "Engine",
    "EngineError",
    "UnsupportedConstruct",
    "engine_settings",
    "is_embedded",
    "make_engine",
]


def _expand(value: Any) -> Any:
    """`${VAR}` in string settings comes from the environment (keep secrets out of the file)."""
    if isinstance(value, str):
        return os.path.expandvars(value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def engine_settings(raw: dict[str, Any], kind: str | None = None) -> tuple[str, dict[str, Any]]:
    """The engine kind in force (`kind` overrides [engine].kind) and its settings."""
    section = raw.get("engine", {})
    if not isinstance(section, dict):
        raise ConfigError("kizuna.toml [engine] must be a table")
    default = str(section.get("kind", "duckdb"))
    chosen = kind or default
    for name in {default, chosen}:
        if name not in KINDS:
            raise ConfigError(f"unknown engine `{name}`; use one of {', '.join(KINDS)}")
    settings: dict[str, Any] = {}
    if chosen == default:
        settings = {k: v for k, v in section.items() if k != "kind" and k not in KINDS}
    specific = section.get(chosen, {})
    if not isinstance(specific, dict):
        raise ConfigError(f"kizuna.toml [engine.{chosen}] must be a table")
    settings.update(specific)
    return chosen, _expand(settings)


def is_embedded(kind: str) -> bool:
    """Whether `kind` is the embedded default, which the snapshot opens itself."""
    return kind == EMBEDDED


def make_engine(kind: str, settings: dict[str, Any]) -> Engine:
    """A non-DuckDB engine from its settings (DuckDB is opened by queries.query.snapshot)."""
    if kind == "spark":
        from queries.engines.spark import SparkEngine

        return SparkEngine.from_settings(settings)
    if kind in ("postgres", "trino", "bigquery", "snowflake"):
        from queries.engines.dbapi import DbApiEngine

        return DbApiEngine(kind, settings)
    raise EngineError(f"unknown engine `{kind}`; use one of {', '.join(KINDS)}")
