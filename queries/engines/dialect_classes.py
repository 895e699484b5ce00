"""Kizuna's sqlglot dialect subclasses, where stock output is wrong for an engine.

Kept apart from dialects.py so a DuckDB-only command never imports the other dialects.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.bigquery import BigQuery
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.trino import Trino
from sqlglot.generators.bigquery import BigQueryGenerator
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.generators.snowflake import SnowflakeGenerator
from sqlglot.generators.spark import SparkGenerator

from queries.engines.errors import UnsupportedConstruct


def split_like(pattern: str, esc: str) -> tuple[bool, str, bool] | None:
    """('%' at start?, the literal text, '%' at end?) of a LIKE pattern; None when the pattern
    has wildcards anywhere else (those need real LIKE semantics)."""
    out: list[str] = []
    lead = trail = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == esc and i + 1 < n:
            out.append(pattern[i + 1])
            i += 2
            continue
        if ch == "%" and i == 0:
            lead = True
        elif ch == "%" and i == n - 1:
            trail = True
        elif ch in "%_" or ch == esc:
            return None
        else:
            out.append(ch)
        i += 1
    return lead, "".join(out), trail


def _unit_is_day(e: exp.DateDiff) -> bool:
    return (e.text("unit") or "DAY").upper() == "DAY"


def _literal_text(e: exp.Expr) -> str | None:
    return e.this if isinstance(e, exp.Literal) and e.is_string else None


# -- dialect subclasses ------------------------------------------------------------------
class KizunaSpark(Spark):
    """Spark SQL: day differences with the two-argument DATEDIFF(end, start) on DATEs."""

    class Generator(SparkGenerator):
        def datediff_sql(self, expression: exp.DateDiff) -> str:
            if _unit_is_day(expression):
                return self.func("DATEDIFF", expression.this, expression.expression)
            return super().datediff_sql(expression)


_PG_METHODS = (exp.DateDiff, exp.ArgMax, exp.Round)
_PG_DATEDIFF = PostgresGenerator.TRANSFORMS[exp.DateDiff]


class KizunaPostgres(Postgres):
    """Postgres: no ARG_MAX, ROUND(double, n) does not exist, DATE - DATE is whole days."""

    class Generator(PostgresGenerator):
        def argmax_sql(self, expression: exp.ArgMax) -> str:
            # DuckDB's arg_max skips rows whose ordering value is NULL
            value, key = expression.this, expression.expression
            agg = exp.Filter(
                this=exp.ArrayAgg(
                    this=exp.Order(
                        this=value.copy(),
                        expressions=[exp.Ordered(this=key.copy(), desc=True, nulls_first=False)],
                    )
                ),
                expression=exp.Where(this=exp.not_(exp.Is(this=key.copy(), expression=exp.Null()))),
            )
            return f"({self.sql(agg)})[1]"

        def round_sql(self, expression: exp.Round) -> str:
            # round half away from zero on an exact NUMERIC, as DuckDB and Spark do
            value = exp.cast(expression.this.copy(), exp.DataType.build("DECIMAL"))
            decimals = expression.args.get("decimals")
            return self.func("ROUND", value, decimals) if decimals else self.func("ROUND", value)

        def datediff_sql(self, expression: exp.DateDiff) -> str:
            if _unit_is_day(expression):
                end = exp.cast(expression.this.copy(), exp.DataType.build("DATE"))
                start = exp.cast(expression.expression.copy(), exp.DataType.build("DATE"))
                return self.sql(exp.paren(exp.Sub(this=end, expression=start), copy=False))
            # other units: the stock transform (PostgresGenerator has no datediff_sql method)
            return _PG_DATEDIFF(self, expression)

    # the stock TRANSFORMS map these to functions; the methods above must win
    Generator.TRANSFORMS = {k: v for k, v in Generator.TRANSFORMS.items() if k not in _PG_METHODS}


class KizunaBigQuery(BigQuery):
    """BigQuery has no LIKE ... ESCAPE: the compiler's starts/contains/ends-with patterns are
    rendered as STARTS_WITH / STRPOS / ENDS_WITH; any other escaped pattern is an error."""

    class Generator(BigQueryGenerator):
        def escape_sql(self, expression: exp.Escape) -> str:
            like, esc = expression.this, _literal_text(expression.expression)
            pattern = _literal_text(like.expression) if isinstance(like, exp.Like) else None
            if pattern is None or esc is None or len(esc) != 1:
                raise UnsupportedConstruct("LIKE ... ESCAPE", "bigquery", expression.sql())
            parsed = split_like(pattern, esc)
            if parsed is None:
                raise UnsupportedConstruct(
                    "LIKE with a wildcard inside the text", "bigquery", expression.sql()
                )
            lead, text, trail = parsed
            x = like.this
            lit = exp.Literal.string(text)
            if lead and trail:
                if not text:
                    return self.sql(exp.not_(exp.Is(this=x.copy(), expression=exp.Null())))
                pos = exp.StrPosition(this=x.copy(), substr=lit)
                return self.sql(exp.GT(this=pos, expression=exp.Literal.number(0)))
            if trail:
                return self.func("STARTS_WITH", x, lit)
            if lead:
                return self.func("ENDS_WITH", x, lit)
            return self.sql(exp.EQ(this=x.copy(), expression=lit))


_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


class KizunaSnowflake(Snowflake):
    """Snowflake folds unquoted names to upper case and quoted ones are case-sensitive, so the
    catalog's quoted lower-case names would miss tables created the usual way: plain names
    are printed unquoted (names that need quotes keep them)."""

    class Generator(SnowflakeGenerator):
        def identifier_sql(self, expression: exp.Identifier) -> str:
            if expression.quoted and _PLAIN.match(expression.name):
                expression = exp.to_identifier(expression.name, quoted=False)
            return super().identifier_sql(expression)


DIALECTS: dict[str, type[Dialect]] = {
    "duckdb": DuckDB,
    "spark": KizunaSpark,
    "trino": Trino,
    "bigquery": KizunaBigQuery,
    "snowflake": KizunaSnowflake,
    "postgres": KizunaPostgres,
}
