"""SQL rendering per engine: sqlglot dialect subclasses where stock output is wrong, and a
per-dialect allow-list so an unportable construct is a compile error, never a wrong answer.

The compiler builds one sqlglot tree (docs/engines.md). `render(tree, dialect)` checks every
function and dialect-sensitive construct in it against what Kizuna has verified to give the
same answer on that engine (the parity tests run Spark and Postgres for real), then prints it
through the dialect classes below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import ErrorLevel, exp
from sqlglot.errors import UnsupportedError

from queries.engines.errors import UnsupportedConstruct

if TYPE_CHECKING:
    from sqlglot.dialects.dialect import Dialect

DIALECT_NAMES = ("duckdb", "spark", "trino", "bigquery", "snowflake", "postgres")


def dialect_class(name: str) -> type[Dialect] | str:
    """The sqlglot dialect for `name`; Kizuna's subclasses load on first use (start-up time)."""
    if name == "duckdb":
        return "duckdb"
    from queries.engines.dialect_classes import DIALECTS

    return DIALECTS[name]


# -- the allow-list ------------------------------------------------------------------------
# Functions the compiler, runner, assignment and features SQL produce, each checked to give
# the same answer on every engine below (parity tests for Spark and Postgres).
PORTABLE_FUNCS: frozenset[type[exp.Expr]] = frozenset(
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
        exp.GroupConcat,  # only with ORDER BY (check below): the features' category-set key
    }
)
# Constructs that are not functions but whose meaning or existence differs between engines.
SENSITIVE: frozenset[type[exp.Expr]] = frozenset(
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
ALLOWED: dict[str, frozenset[type[exp.Expr]]] = {
    "spark": PORTABLE_FUNCS | _NON_FUNC_OK,
    "postgres": PORTABLE_FUNCS | _NON_FUNC_OK,
    "trino": PORTABLE_FUNCS | _NON_FUNC_OK,
    "snowflake": PORTABLE_FUNCS | {exp.Escape, exp.Like},
    # LIKE ... ESCAPE is rewritten by KizunaBigQuery (or refused there, naming the pattern)
    "bigquery": PORTABLE_FUNCS | {exp.Escape, exp.Like},
}
# Never portable, whatever the engine: the as-of date must be a literal (docs/engines.md).
BANNED: frozenset[type[exp.Expr]] = frozenset(
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


def _name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    if isinstance(node, exp.Func):
        return node.sql_name()
    return type(node).__name__.upper()


def check(tree: exp.Expr, dialect: str) -> None:
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
        if type(node) is exp.Cast and node.to.this in DUCKDB_ONLY_TYPES:
            raise UnsupportedConstruct(f"CAST AS {node.to.sql('duckdb')}", dialect, node.sql())
        if cls is exp.GroupConcat and not isinstance(node.this, exp.Order):
            raise UnsupportedConstruct(_name(node) + " without ORDER BY", dialect, node.sql())
        if cls in allowed:
            continue
        if cls in SENSITIVE or (
            isinstance(node, exp.Func) and not isinstance(node, (exp.Connector, exp.Binary))
        ):
            raise UnsupportedConstruct(_name(node), dialect, node.sql("duckdb"))


def hoist_ctes(tree: exp.Expr) -> exp.Expr:
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


def render(tree: exp.Expr, dialect: str, pretty: bool = False) -> str:
    """The SQL for `dialect`, after the allow-list check; sqlglot's own 'unsupported' raises."""
    if dialect == "duckdb":
        return tree.sql(dialect="duckdb", pretty=pretty)
    if dialect not in DIALECT_NAMES:
        raise UnsupportedConstruct("this dialect", dialect, "")
    check(tree, dialect)
    if dialect == "spark":
        tree = hoist_ctes(tree)
    try:
        return tree.sql(
            dialect=dialect_class(dialect), pretty=pretty, unsupported_level=ErrorLevel.RAISE
        )
    except UnsupportedError as exc:
        raise UnsupportedConstruct(str(exc).splitlines()[0], dialect, "") from None
