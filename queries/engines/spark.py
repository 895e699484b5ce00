"""Spark: a local session (tests), Spark Connect (`sc://host:port`) or a session you hand in.

Tables are catalog tables (`crm.customers`) or files (`/data/customers.parquet`,
`s3a://bucket/orders/`) registered as temporary views. The features become a cached
temporary view computed on the executors; only small answers (counts, samples, breakdowns)
come back to the driver, and audiences are written by Spark itself (`write`).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.engines.base import FEATURES_NAME, Engine, first_line
from queries.engines.dialects import render
from queries.engines.errors import EngineError, missing_extra
from queries.engines.jobs import Job

# the driver JVM logs errors only (a session it starts itself; user conf can override)
LOG4J = Path(__file__).with_name("spark_conf") / "log4j2.properties"
QUIET_LOG4J = f"-Dlog4j2.configurationFile={LOG4J}"
FILE_FORMATS = ("parquet", "orc", "csv", "json", "delta")
SPARK_TYPES = {"VARCHAR": "STRING", "TIMESTAMP": "TIMESTAMP", "DATE": "DATE", "BIGINT": "BIGINT"}
PATH_RE = re.compile(r"^([a-z][a-z0-9+.-]*://|/|\./|\.\./|~)|\.(parquet|orc|csv|json)$", re.I)


def table_source(spec: Any) -> tuple[str, str] | None:
    """(format, path) when a [engine.tables] entry is a file location, None for a table name."""
    if isinstance(spec, dict):
        if "path" not in spec:
            return None
        return str(spec.get("format", "parquet")), str(spec["path"])
    text = str(spec)
    m = re.match(r"^(parquet|orc|csv|json|delta):(.+)$", text)
    if m and not text.startswith(("parquet://", "delta://")):
        return m.group(1), m.group(2)
    if PATH_RE.search(text):
        return "parquet", text
    return None


class SparkEngine(Engine):
    kind = "spark"
    dialect = "spark"
    distributed = True

    def __init__(
        self,
        session: Any = None,
        *,
        master: str | None = None,
        remote: str | None = None,
        tables: dict[str, Any] | None = None,
        database: str | None = None,
        conf: dict[str, Any] | None = None,
        max_collect: int | None = None,
    ):
        super().__init__()
        self._spark = session
        self._own = session is None
        self.master, self.remote = master, remote
        self.tables = dict(tables or {})
        self.database = database
        self.conf = {str(k): str(v) for k, v in (conf or {}).items()}
        if max_collect is not None:
            self.max_collect = int(max_collect)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> SparkEngine:
        return cls(
            master=settings.get("master"),
            remote=settings.get("remote"),
            tables=settings.get("tables"),
            database=settings.get("database"),
            conf=settings.get("conf"),
            max_collect=settings.get("max_collect"),
        )

    def describe(self) -> str:
        if self.remote:
            return f"spark {self.remote}"
        if not self._own:
            return "spark (given session)"
        return f"spark {self.master or 'local[2]'}"

    # -- the session -------------------------------------------------------------------------
    @property
    def spark(self) -> Any:
        if self._spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise missing_extra("spark", "pyspark") from None
            builder = SparkSession.builder.appName("kizuna")
            if self.remote:
                builder = builder.remote(self.remote)
            else:
                master = self.master or "local[2]"
                builder = (
                    builder.master(master)
                    .config("spark.sql.shuffle.partitions", "8")
                    .config("spark.ui.showConsoleProgress", "false")
                )
                if master.startswith("local"):  # one process: stay on loopback, no web UI
                    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                    builder = (
                        builder.config("spark.ui.enabled", "false")
                        .config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.driver.host", "127.0.0.1")
                        .config("spark.driver.extraJavaOptions", QUIET_LOG4J)
                    )
            for key, value in self.conf.items():
                builder = builder.config(key, value)
            active = None if self.remote else SparkSession.getActiveSession()
            try:
                if active is not None:
                    # someone else's session: share its context, keep our temp views apart
                    self._own = False
                    self._spark = active.newSession()
                else:
                    self._spark = builder.getOrCreate()
                    if not self.remote:  # errors come back as exceptions, not log lines
                        self._spark.sparkContext.setLogLevel("FATAL")
            except Exception as exc:
                raise EngineError(
                    f"cannot start Spark ({self.describe()}): {first_line(exc)}"
                ) from None
        # every relative date is a DATE literal, but casting a timestamp to a day must be UTC
        self._spark.conf.set("spark.sql.session.timeZone", "UTC")
        return self._spark

    def locations(self, tables: dict[str, str]) -> dict[str, str]:
        out = dict(tables)
        for logical, spec in self.tables.items():
            source = table_source(spec)
            if source is None:
                name = str(spec)
                qualify = self.database and "." not in name
                out[logical] = f"{self.database}.{name}" if qualify else name
                continue
            fmt, path = source
            if fmt not in FILE_FORMATS:
                raise EngineError(f"[engine.tables] {logical}: unknown file format `{fmt}`")
            view = f"kz_src_{logical}"
            try:
                self.spark.read.format(fmt).load(path).createOrReplaceTempView(view)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(
                    f"cannot read {fmt} files for `{logical}` at {path}: {first_line(exc)}"
                ) from None
            out[logical] = view
        if self.database:
            for logical, name in list(out.items()):
                if logical not in self.tables and "." not in name:
                    out[logical] = f"{self.database}.{name}"
        return out

    # -- features ----------------------------------------------------------------------------
    def materialise_features(self, select: exp.Select) -> None:
        sql = render(select, self.dialect)
        try:
            self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {FEATURES_NAME} AS {sql}")
            self.spark.sql(f"CACHE TABLE {FEATURES_NAME}")  # computed once, kept on executors
        except Exception as exc:
            raise EngineError(
                f"computing customer features on Spark failed: {first_line(exc)}"
            ) from None

    # -- queries -----------------------------------------------------------------------------
    def _context(self) -> Any:
        """The SparkContext of a classic session; None on Spark Connect (it has none)."""
        if self.remote:
            return None
        try:
            return self.spark.sparkContext
        except Exception:
            return None

    def _query(self, sql: str, state: dict[str, Any], limit: int) -> list[tuple]:
        """Run tagged, so `_cancel` can stop exactly this query's jobs from another thread.

        Classic sessions tag the thread's jobs on the SparkContext (`interruptTag` finds no
        operations there); Spark Connect tags the operation on the session.
        """
        spark = self.spark
        tag = f"kizuna-{uuid.uuid4().hex[:12]}"
        sc = self._context()
        state["tag"], state["sc"] = tag, sc
        if sc is not None:
            sc.setInterruptOnCancel(True)
            sc.addJobTag(tag)
        else:
            spark.addTag(tag)
        try:
            rows = spark.sql(sql).take(limit)
        finally:
            if sc is not None:
                sc.removeJobTag(tag)
            else:
                spark.removeTag(tag)
        return [tuple(r) for r in rows]

    def _cancel(self, state: dict[str, Any]) -> None:
        if "tag" not in state:
            return
        if state.get("sc") is not None:
            state["sc"].cancelJobsWithTag(state["tag"])
        else:
            self.spark.interruptTag(state["tag"])

    def _statement(self, sql: str) -> None:
        try:
            self.spark.sql(sql)
        except Exception as exc:
            raise EngineError(f"statement failed on Spark: {first_line(exc)}") from None

    def stream(self, sql: str, job: Job | None = None, size: int = 10_000) -> Iterator[list[tuple]]:
        """Rows a partition at a time through the driver (prefer `write` for audiences)."""
        self.ensure_features()
        batch: list[tuple] = []
        for row in self.spark.sql(sql).toLocalIterator():
            if job is not None and job.cancelled:
                from queries.core.errors import QueryCancelled

                raise QueryCancelled("cancelled")
            batch.append(tuple(row))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- workspace data and intermediate results --------------------------------------------
    def _load_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        """A temporary view over rows sent from the driver (the contact ledger is small)."""
        schema = ", ".join(f"`{n}` {SPARK_TYPES.get(t, 'STRING')}" for n, t in columns)
        try:
            self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)
        except Exception as exc:
            raise EngineError(f"loading `{name}` into Spark failed: {first_line(exc)}") from None

    def materialise(self, name: str, select: exp.Select, job: Job | None = None) -> exp.Expr:
        """A cached temporary view: computed once on the executors, read by every file."""
        self.ensure_features()
        sql = self.render(select)
        self.statement(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {sql}")
        self.statement(f"CACHE TABLE `{name}`")
        return exp.Table(this=exp.to_identifier(name, quoted=True))

    def drop(self, relation: exp.Expr) -> None:
        if isinstance(relation, exp.Table):
            try:
                self.spark.catalog.dropTempView(relation.name)  # also uncaches it
            except Exception:
                pass

    def close(self) -> None:
        if self._spark is not None:
            try:
                self._spark.catalog.dropTempView(FEATURES_NAME)
            except Exception:
                pass
            if self._own:
                self._spark.stop()
            self._spark = None
