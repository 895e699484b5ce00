"""SQL rendering per engine: sqlglot dialect subclasses where stock output is wrong, and a
per-dialect allow-list so an unportable construct is a compile error, never a wrong answer.

The compiler builds one sqlglot tree (DESIGN: Engines). `render(tree, dialect)` checks every
function and dialect-sensitive construct in it against what Kizuna has verified to give the
same answer on that engine (the parity tests run Spark and Postgres for real), then prints it
through the dialect classes below.
"""

from __future__ import annotations

import re

from sqlglot import ErrorLevel, exp
from sqlglot.dialects.bigquery import BigQuery
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.trino import Trino
from sqlglot.errors import UnsupportedError

from .base import UnsupportedConstruct

DIALECT_NAMES = ("duckdb", "spark", "trino", "bigquery", "snowflake", "postgres")


def _unit_is_day(e: exp.DateDiff) -> bool:
    return (e.text("unit") or "DAY").upper() == "DAY"


def _literal_text(e: exp.Expression) -> str | None:
    return e.this if isinstance(e, exp.Literal) and e.is_string else None


# -- dialect subclasses ------------------------------------------------------------------
class KizunaSpark(Spark):
    """Spark SQL: day differences with the two-argument DATEDIFF(end, start) on DATEs."""

    class Generator(Spark.generator_class):  # type: ignore[name-defined,misc]
        def datediff_sql(self, expression: exp.DateDiff) -> str:
            if _unit_is_day(expression):
                return self.func("DATEDIFF", expression.this, expression.expression)
            return super().datediff_sql(expression)


_PG_METHODS = (exp.DateDiff, exp.ArgMax, exp.Round)


class KizunaPostgres(Postgres):
    """Postgres: no ARG_MAX, ROUND(double, n) does not exist, DATE - DATE is whole days."""

    class Generator(Postgres.generator_class):  # type: ignore[name-defined,misc]
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
            return super().datediff_sql(expression)

    # the stock TRANSFORMS map these to functions; the methods above must win
    Generator.TRANSFORMS = {k: v for k, v in Generator.TRANSFORMS.items() if k not in _PG_METHODS}


class KizunaBigQuery(BigQuery):
    """BigQuery has no LIKE ... ESCAPE: the compiler's starts/contains/ends-with patterns are
    rendered as STARTS_WITH / STRPOS / ENDS_WITH; any other escaped pattern is an error."""

    class Generator(BigQuery.generator_class):  # type: ignore[name-defined,misc]
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

    class Generator(Snowflake.generator_class):  # type: ignore[name-defined,misc]
        def identifier_sql(self, expression: exp.Identifier) -> str:
            if expression.quoted and _PLAIN.match(expression.name):
                expression = exp.to_identifier(expression.name, quoted=False)
            return super().identifier_sql(expression)


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


DIALECTS: dict[str, type[Dialect]] = {
    "duckdb": DuckDB,
    "spark": KizunaSpark,
    "trino": Trino,
    "bigquery": KizunaBigQuery,
    "snowflake": KizunaSnowflake,
    "postgres": KizunaPostgres,
}

# -- the allow-list ------------------------------------------------------------------------
# Functions the compiler, runner, assignment and features SQL produce, each checked to give
# the same answer on every engine below (parity tests for Spark and Postgres).
PORTABLE_FUNCS: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Coalesce,
        exp.Cast,
        exp.Case,
        exp.If,
        exp.Exists,
        exp.Lower,
        exp.Trim,  # spaces only, both ends, on every engine (the funnel's address checks)
        exp.Replace,  # plain substring replacement (phone numbers for dedupe)
        exp.Length,  # characters, not bytes, on every engine
        exp.Year,
        exp.Month,
        exp.Day,
        exp.MD5,
        exp.Substring,
        exp.StrPosition,
        exp.Floor,
        exp.Ceil,
        exp.Round,
        exp.CumeDist,
        exp.RowNumber,
        exp.DateDiff,
        exp.ArgMax,
    }
)
# Constructs that are not functions but whose meaning or existence differs between engines.
SENSITIVE: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Escape,
        exp.Like,
        exp.ILike,
        exp.Filter,
        exp.IntDiv,
        exp.RegexpLike,
        exp.SimilarTo,
        exp.Glob,
        exp.Bracket,
        exp.Lambda,
        exp.Collate,
        exp.BitwiseAnd,
        exp.BitwiseOr,
        exp.BitwiseXor,
        exp.BitwiseLeftShift,
        exp.BitwiseRightShift,
    }
)
_NON_FUNC_OK = frozenset({exp.Escape, exp.Like, exp.Filter})
ALLOWED: dict[str, frozenset[type[exp.Expression]]] = {
    "spark": PORTABLE_FUNCS | _NON_FUNC_OK,
    "postgres": PORTABLE_FUNCS | _NON_FUNC_OK,
    "trino": PORTABLE_FUNCS | _NON_FUNC_OK,
    "snowflake": PORTABLE_FUNCS | {exp.Escape, exp.Like},
    # LIKE ... ESCAPE is rewritten by KizunaBigQuery (or refused there, naming the pattern)
    "bigquery": PORTABLE_FUNCS | {exp.Escape, exp.Like},
}
# Never portable, whatever the engine: the as-of date must be a literal (DESIGN: Engines).
BANNED: frozenset[type[exp.Expression]] = frozenset(
    {exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentDatetime}
)


# DuckDB types that other engines would read differently or not at all (e.g. UBIGINT casts of
# '0x…' strings, which assignment uses on DuckDB only)
DUCKDB_ONLY_TYPES = frozenset(
    {
        exp.DataType.Type.UBIGINT,
        exp.DataType.Type.UINT,
        exp.DataType.Type.USMALLINT,
        exp.DataType.Type.UTINYINT,
        exp.DataType.Type.INT128,
        exp.DataType.Type.UINT128,
    }
)


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    if isinstance(node, exp.Func):
        return node.sql_name()
    return type(node).__name__.upper()


def check(tree: exp.Expression, dialect: str) -> None:
    """Raise UnsupportedConstruct for the first construct not verified on `dialect`."""
    if dialect == "duckdb":
        return  # the compiler's home dialect: everything parsed from DuckDB SQL runs there
    allowed = ALLOWED.get(dialect)
    if allowed is None:
        raise UnsupportedConstruct("this dialect", dialect, "")
    for node in tree.walk():
        cls = type(node)
        if cls in BANNED:
            raise UnsupportedConstruct(_name(node), dialect, node.sql("duckdb"))
        if cls is exp.Cast and node.to.this in DUCKDB_ONLY_TYPES:
            raise UnsupportedConstruct(f"CAST AS {node.to.sql('duckdb')}", dialect, node.sql())
        if cls in allowed:
            continue
        if cls in SENSITIVE or (
            isinstance(node, exp.Func) and not isinstance(node, (exp.Connector, exp.Binary))
        ):
            raise UnsupportedConstruct(_name(node), dialect, node.sql("duckdb"))


def hoist_ctes(tree: exp.Expression) -> exp.Expression:
    """Move every nested WITH to the top, keeping one of identical definitions.

    Spark allows WITH only at the top, and sqlglot moves nested ones there as they are: a
    status relation used twice (the funnel in a preview) would define its CTEs twice. Two
    different bodies under one name are an error, never a silent pick.
    """
    if not isinstance(tree, exp.Query):
        return tree
    tree = tree.copy()
    top = tree.args.get("with_")
    nested = [w for w in tree.find_all(exp.With) if w is not top]
    if not nested:
        return tree
    bodies: dict[str, str] = {}
    hoisted: list[exp.CTE] = []
    for w in [*([top] if top else []), *reversed(nested)]:  # the top's first, then innermost
        for cte in w.expressions:
            body = cte.this.sql("duckdb")
            if cte.alias in bodies:
                if bodies[cte.alias] != body:
                    raise UnsupportedConstruct(f"two CTEs named {cte.alias}", "spark", "")
                continue
            bodies[cte.alias] = body
            hoisted.append(cte)
    for w in nested:
        w.pop()
    tree.set("with_", exp.With(expressions=hoisted))
    return tree


def render(tree: exp.Expression, dialect: str, pretty: bool = False) -> str:
    """The SQL for `dialect`, after the allow-list check; sqlglot's own 'unsupported' raises."""
    if dialect == "duckdb":
        return tree.sql(dialect="duckdb", pretty=pretty)
    if dialect not in DIALECTS:
        raise UnsupportedConstruct("this dialect", dialect, "")
    check(tree, dialect)
    if dialect == "spark":
        tree = hoist_ctes(tree)
    try:
        return tree.sql(
            dialect=DIALECTS[dialect], pretty=pretty, unsupported_level=ErrorLevel.RAISE
        )
    except UnsupportedError as exc:
        raise UnsupportedConstruct(str(exc).splitlines()[0], dialect, "") from None
