"""SQL warehouses over DB-API 2.0: Postgres (psycopg 3), Trino, BigQuery and Snowflake.

Only the connect call and the dialect differ. One connection per session, used by one query
at a time; the session is pinned to UTC. The features are a temporary table where the
warehouse has them (Postgres, Snowflake), otherwise a CTE in front of every query (Trino,
BigQuery), or a table the data team maintains (`features = "analytics.kizuna_features"`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from queries.core.errors import QueryCancelled
from queries.engines.base import FEATURES_NAME, Engine, first_line
from queries.engines.dialects import render
from queries.engines.errors import EngineError, missing_extra
from queries.engines.jobs import Job


def _connect_postgres(s: dict[str, Any]) -> Any:
    try:
        import psycopg
    except ImportError:
        raise missing_extra("postgres", "psycopg") from None
    conn = psycopg.connect(s.get("dsn", ""), autocommit=True, **dict(s.get("connect", {})))
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def _connect_trino(s: dict[str, Any]) -> Any:
    try:
        import trino.dbapi
    except ImportError:
        raise missing_extra("trino", "trino") from None
    return trino.dbapi.connect(timezone="UTC", **dict(s.get("connect", {})))


def _connect_bigquery(s: dict[str, Any]) -> Any:
    try:
        from google.cloud import bigquery
        from google.cloud.bigquery import dbapi
    except ImportError:
        raise missing_extra("bigquery", "google-cloud-bigquery") from None
    return dbapi.connect(client=bigquery.Client(**dict(s.get("connect", {}))))  # UTC always


def _connect_snowflake(s: dict[str, Any]) -> Any:
    try:
        import snowflake.connector
    except ImportError:
        raise missing_extra("snowflake", "snowflake-connector-python") from None
    params = dict(s.get("connect", {}))
    params.setdefault("session_parameters", {}).setdefault("TIMEZONE", "UTC")
    return snowflake.connector.connect(**params)


CONNECT: dict[str, Callable[[dict[str, Any]], Any]] = {
    "postgres": _connect_postgres,
    "trino": _connect_trino,
    "bigquery": _connect_bigquery,
    "snowflake": _connect_snowflake,
}
# where the features live unless [engine] says `features = ...`
DEFAULT_FEATURES = {
    "postgres": "temp",
    "snowflake": "temp",
    "trino": "inline",
    "bigquery": "inline",
}


class DbApiEngine(Engine):
    def __init__(
        self,
        kind: str,
        settings: dict[str, Any] | None = None,
        connect: Callable[[], Any] | None = None,
    ):
        super().__init__()
        if kind not in CONNECT:
            raise EngineError(f"unknown engine `{kind}`; use one of {', '.join(CONNECT)}")
        self.kind = self.dialect = kind
        self.settings = dict(settings or {})
        self.schema: str | None = self.settings.get("schema")
        self.tables: dict[str, str] = {
            str(k): str(v) for k, v in self.settings.get("tables", {}).items()
        }
        self.features_mode = str(self.settings.get("features", DEFAULT_FEATURES[kind]))
        if "max_collect" in self.settings:
            self.max_collect = int(self.settings["max_collect"])
        self._connect = connect
        self._conn: Any = None
        self._inline: exp.Select | None = None

    def describe(self) -> str:
        where = self.settings.get("label") or self.schema or ""
        return f"{self.kind} {where}".strip()

    @property
    def conn(self) -> Any:
        if self._conn is None:
            try:
                self._conn = self._connect() if self._connect else CONNECT[self.kind](self.settings)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"cannot connect to {self.kind}: {first_line(exc)}") from None
        return self._conn

    def locations(self, tables: dict[str, str]) -> dict[str, str]:
        out = dict(tables)
        out.update(self.tables)
        if self.schema:
            from queries.core.schema import TABLE_COLUMNS

            for logical in [*TABLE_COLUMNS, "snapshot_meta"]:
                name = out.get(logical) or logical
                if logical not in self.tables and "." not in name:
                    out[logical] = f"{self.schema}.{name}"
        return out

    @property
    def features_table(self) -> exp.Table:
        if self.features_mode in ("temp", "inline"):
            return super().features_table
        parts = self.features_mode.split(".")
        return exp.Table(
            this=exp.to_identifier(parts[-1], quoted=True),
            db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None,
            catalog=exp.to_identifier(parts[-3], quoted=True) if len(parts) > 2 else None,
        )

    # -- features ----------------------------------------------------------------------------
    def materialise_features(self, select: exp.Select) -> None:
        if self.features_mode == "inline":
            self._inline = select
            return
        if self.features_mode != "temp":
            return  # a maintained table: nothing to build
        sql = render(select, self.dialect)
        temp = "TEMPORARY" if self.kind == "snowflake" else "TEMP"
        try:
            self._statement(f"DROP TABLE IF EXISTS {FEATURES_NAME}")
            self._statement(f"CREATE {temp} TABLE {FEATURES_NAME} AS {sql}")
            if self.kind == "postgres":
                self._statement(f"CREATE INDEX ON {FEATURES_NAME} (customer_id)")
                self._statement(f"ANALYZE {FEATURES_NAME}")
        except EngineError as exc:
            raise EngineError(f"computing customer features failed: {exc}") from None

    def prepare(self, query: exp.Expr) -> exp.Expr:
        if self.features_mode != "inline" or not isinstance(query, exp.Select):
            return query
        self.ensure_features()
        feats = self._inline
        if feats is None or FEATURES_NAME not in {t.name for t in query.find_all(exp.Table)}:
            return query
        body = feats.copy()
        with_ = body.args.get("with_")
        ctes = list(with_.expressions) if with_ else []
        body.set("with_", None)
        query = query.copy()
        for cte in ctes:
            query = query.with_(cte.alias, as_=cte.this, copy=False)
        return query.with_(FEATURES_NAME, as_=body, copy=False)

    # -- queries -----------------------------------------------------------------------------
    def _query(self, sql: str, state: dict[str, Any], limit: int) -> list[tuple]:
        cur = self.conn.cursor()
        state["cursor"] = cur
        try:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchmany(limit)]
        finally:
            state.pop("cursor", None)
            cur.close()

    def _cancel(self, state: dict[str, Any]) -> None:
        conn = self._conn
        if self.kind == "postgres" and conn is not None:
            (getattr(conn, "cancel_safe", None) or conn.cancel)()
            return
        cur = state.get("cursor")
        if cur is not None and hasattr(cur, "cancel"):
            cur.cancel()

    def _statement(self, sql: str) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
        except Exception as exc:
            raise EngineError(f"statement failed on {self.kind}: {first_line(exc)}") from None
        finally:
            cur.close()

    def stream(self, sql: str, job: Job | None = None, size: int = 10_000) -> Iterator[list[tuple]]:
        self.ensure_features()
        with self._lock:
            cur = self.conn.cursor()
            try:
                cur.execute(sql)
                while True:
                    if job is not None and job.cancelled:
                        raise QueryCancelled("cancelled")
                    rows = cur.fetchmany(size)
                    if not rows:
                        return
                    yield [tuple(r) for r in rows]
            except (QueryCancelled, EngineError):
                raise
            except Exception as exc:
                raise EngineError(f"query failed on {self.kind}: {first_line(exc)}") from None
            finally:
                cur.close()

    # -- workspace data and intermediate results --------------------------------------------
    def _temp(self) -> str:
        return "TEMPORARY" if self.kind in ("snowflake", "trino") else "TEMP"

    def _load_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        """A temporary table filled from the driver (COPY on Postgres, executemany elsewhere)."""
        defs = ", ".join(f'"{n}" {t}' for n, t in columns)
        self._statement(f'DROP TABLE IF EXISTS "{name}"')
        self._statement(f'CREATE {self._temp()} TABLE "{name}" ({defs})')
        cur = self.conn.cursor()
        try:
            if self.kind == "postgres":
                with cur.copy(f'COPY "{name}" FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cur.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        except Exception as exc:
            msg = f"loading `{name}` into {self.kind} failed: {first_line(exc)}"
            raise EngineError(msg) from None
        finally:
            cur.close()

    def materialise(self, name: str, select: exp.Select, job: Job | None = None) -> exp.Expr:
        """A temporary table where the warehouse has them; inline engines get the query back."""
        if self.features_mode == "inline":
            return select.subquery(name)
        self.ensure_features()
        sql = self.render(select)
        with self._lock:
            self._statement(f'DROP TABLE IF EXISTS "{name}"')
            self._statement(f'CREATE {self._temp()} TABLE "{name}" AS {sql}')
        return exp.Table(this=exp.to_identifier(name, quoted=True))

    def drop(self, relation: exp.Expr) -> None:
        if isinstance(relation, exp.Table):
            try:
                self.statement(f'DROP TABLE IF EXISTS "{relation.name}"')
            except EngineError:
                pass

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
