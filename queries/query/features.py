"""The derived customer features (queries/sql/features.sql, DuckDB SQL) for any engine.

The file is parsed once as DuckDB SQL and made self-contained and portable: the `kz_*`
logical views become CTEs over the mapped tables, and the constructs that differ between
engines are rewritten to ones that mean the same everywhere:
- `:as_of - N` becomes the DATE literal it denotes (Spark and Trino have no DATE - INTEGER);
- DATE - DATE becomes DATEDIFF in days (Spark returns an interval, Trino refuses);
- `agg(...) FILTER (WHERE c)` becomes `agg(CASE WHEN c THEN ... END)`;
- a sorted list key `list_sort(list(x))` becomes the sorted string of its length-prefixed
  items (`string_agg(... ORDER BY x)`), a key no two different sets share;
- derived tables get aliases (Postgres before 16 requires them);
- its own CTEs are renamed `kz_f_*` so they cannot shadow a warehouse table.
`arg_max`, `round` and integer division are left to the dialect classes in dialects.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlglot import exp

from queries.core.catalog import Catalog, logical_view
from queries.core.features_prune import features_tree
from queries.core.presence import assume_all
from queries.core.schema import TABLE_COLUMNS

SQL_FILE = Path(__file__).resolve().parent.parent / "sql" / "features.sql"


def _date_lit(d: date) -> exp.Cast:
    return exp.cast(exp.Literal.string(d.isoformat()), exp.DataType.build("DATE"))


def _as_date_literal(node: exp.Expr) -> date | None:
    if (
        isinstance(node, exp.Cast)
        and node.to.is_type(exp.DataType.Type.DATE)
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
    ):
        return date.fromisoformat(node.this.this)
    return None


def _is_date(node: exp.Expr) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def _dates(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Sub):
        left, right = node.this, node.expression
        day = _as_date_literal(left)
        if day is not None and isinstance(right, exp.Literal) and right.is_int:
            return _date_lit(day - timedelta(days=int(right.this)))
        if _is_date(left) and _is_date(right):
            return exp.DateDiff(this=left.copy(), expression=right.copy(), unit=exp.var("DAY"))
    return node


def _filters(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Filter) and isinstance(node.expression, exp.Where):
        agg, cond = node.this, node.expression.this
        if isinstance(agg, exp.Count) and isinstance(agg.this, exp.Star):
            value: exp.Expr = exp.Literal.number(1)
        else:
            value = agg.this
        case = exp.Case(ifs=[exp.If(this=cond.copy(), true=value.copy())])
        new = agg.copy()
        new.set("this", case)
        return new
    return node


def _set_keys(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ArraySort) and isinstance(node.this, exp.ArrayAgg):
        item = node.this.this
        text = exp.cast(exp.Length(this=item.copy()), exp.DataType.build("VARCHAR"))
        prefixed = exp.DPipe(
            this=exp.DPipe(this=text, expression=exp.Literal.string(":")),
            expression=item.copy(),
        )
        order = exp.Order(
            this=prefixed, expressions=[exp.Ordered(this=item.copy(), nulls_first=True)]
        )
        return exp.GroupConcat(this=order, separator=exp.Literal.string(""))
    return node


def features_select(catalog: Catalog, as_of: date) -> exp.Select:
    """One self-contained SELECT of the features as of `as_of`, over the mapped tables."""
    presence = catalog.presence or assume_all(catalog.mapping.tables, catalog.mapping.columns)
    tree, _ = features_tree(presence, _date_lit(as_of).sql("duckdb"))
    for node in tree.walk():
        node.comments = None
    rewritten = tree.transform(_dates).transform(_filters).transform(_set_keys)
    assert isinstance(rewritten, exp.Select)  # the rewrites replace nodes inside, not the root
    tree = rewritten
    tree.set("order", None)  # a table's row order means nothing
    # aliases for derived tables
    n = 0
    for sub in list(tree.find_all(exp.Subquery)):
        if not sub.alias and isinstance(sub.parent, (exp.From, exp.Join)):
            n += 1
            sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"kz_d{n}")))
    # rename its own CTEs, then put the logical views in front of them
    with_ = tree.args.get("with_") or tree.args.get("with")
    own = {cte.alias for cte in (with_.expressions if with_ else [])}
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in own:
            old = table.name
            table.set("this", exp.to_identifier(f"kz_f_{old}"))
            if not table.alias:  # column references still say `old.`
                table.set("alias", exp.TableAlias(this=exp.to_identifier(old)))
    if with_:
        for cte in with_.expressions:
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(f"kz_f_{cte.alias}")))
    used = {t.name for t in tree.find_all(exp.Table) if not t.db}
    views = [
        exp.CTE(
            this=logical_view(catalog.mapping, table, presence),
            alias=exp.TableAlias(this=exp.to_identifier(f"kz_{table}")),
        )
        for table in TABLE_COLUMNS
        if f"kz_{table}" in used
    ]
    if with_:
        with_.set("expressions", views + list(with_.expressions))
    return tree
