"""Cut the features SQL down to what the snapshot has, and say why each cut feature is gone.

features.sql is written against every logical table (`kz_orders`, ...). A real snapshot may
lack tables or columns; this walks the parsed statement and drops each CTE, join and
projection that reads something absent, so the SQL that runs reads only what exists. A
feature the final SELECT cannot compute becomes a typed NULL and is reported with the first
missing thing it needs ("needs orders.total"); the catalog marks it unavailable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    from queries.core.presence import Presence

SQL_FILE = Path(__file__).resolve().parent.parent / "sql" / "features.sql"

SQL_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass
class Rel:
    """A relation's columns: available ones, and the reason for each gone one (or all)."""

    cols: set[str] = field(default_factory=set)
    gone: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # the whole relation is unavailable


class Gone(Exception):
    """Raised while checking an expression that reads something unavailable."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _shallow(node: exp.Expr) -> Iterator[exp.Expr]:
    """The nodes of `node` without descending into nested SELECTs (yielded themselves)."""
    for child in node.iter_expressions():
        if isinstance(child, exp.Select):
            yield child
            continue
        yield child
        yield from _shallow(child)


class Pruner:
    """Walks one features statement; `views` gives the kz_* relations the snapshot has."""

    def __init__(self, views: dict[str, Rel]):
        self.rels: dict[str, Rel] = dict(views)

    # -- checking references -----------------------------------------------------------------
    def check(self, node: exp.Expr, scope: dict[str, Rel]) -> None:
        """Raise Gone when `node` reads an unavailable column or relation."""
        for sub in [node, *_shallow(node)] if not isinstance(node, exp.Select) else [node]:
            if isinstance(sub, exp.Select):
                rel = self.select(sub, scope)
                if rel.reason:
                    raise Gone(rel.reason)
            elif isinstance(sub, exp.Column) and not isinstance(sub.this, exp.Star):
                self._column(sub, scope)

    def _column(self, col: exp.Column, scope: dict[str, Rel]) -> None:
        name = col.name
        if col.table:
            rel = scope.get(col.table)
            if rel is None:
                return
            if rel.reason:
                raise Gone(rel.reason)
            if name in rel.gone:
                raise Gone(rel.gone[name])
            return
        owners = [r for r in scope.values() if name in r.cols or name in r.gone or r.reason]
        if any(name in r.cols for r in owners):
            return
        for r in owners:
            if name in r.gone:
                raise Gone(r.gone[name])

    # -- relations ---------------------------------------------------------------------------
    def source(self, node: exp.Expr, outer: dict[str, Rel]) -> tuple[str, Rel]:
        if isinstance(node, exp.Table):
            rel = self.rels.get(node.name, Rel())  # unknown tables are taken as they are
            return node.alias_or_name, rel
        if isinstance(node, exp.Subquery):
            return node.alias, self.select(node.this, outer)
        return node.alias_or_name, Rel()

    def select(self, sel: exp.Expr, outer: dict[str, Rel]) -> Rel:
        """Prune one SELECT in place; return what it provides."""
        if not isinstance(sel, exp.Select):
            return Rel()
        scope = dict(outer)
        from_ = sel.args.get("from_") or sel.args.get("from")
        if from_ is not None:
            alias, rel = self.source(from_.this, outer)
            if rel.reason:
                return Rel(reason=rel.reason)
            scope[alias] = rel
        for join in list(sel.args.get("joins") or []):
            alias, rel = self.source(join.this, outer)
            left = join.side.upper() == "LEFT"
            reason = rel.reason
            if reason is None:
                try:
                    self.check(join.args["on"], {**scope, alias: rel}) if join.args.get(
                        "on"
                    ) else None
                except Gone as g:
                    reason = g.reason
            if reason is not None:
                if not left:
                    return Rel(reason=reason)
                join.pop()
                scope[alias] = Rel(reason=reason)
                continue
            scope[alias] = rel
        for key in ("where", "group", "having"):
            part = sel.args.get(key)
            if part is not None:
                try:
                    self.check(part, scope)
                except Gone as g:
                    return Rel(reason=g.reason)
        out = Rel()
        kept = []
        for proj in sel.expressions:
            name = proj.alias_or_name
            try:
                self.check(proj, scope)
            except Gone as g:
                out.gone[name] = g.reason
                continue
            kept.append(proj)
            out.cols.add(name)
        if not kept:
            return Rel(reason=next(iter(out.gone.values()), "nothing to compute"))
        sel.set("expressions", kept)
        order = sel.args.get("order")
        if order is not None:
            local = {**scope, "": out}
            terms = []
            for term in order.expressions:
                try:
                    self.check(term, local)
                    terms.append(term)
                except Gone:
                    pass
            if terms:
                order.set("expressions", terms)
            else:
                sel.set("order", None)
        return out

    def statement(self, tree: exp.Select, types: dict[str, str]) -> dict[str, str]:
        """Prune the whole statement; gone outputs become typed NULLs. Returns name → reason."""
        with_ = tree.args.get("with_") or tree.args.get("with")
        if with_ is not None:
            kept = []
            for cte in with_.expressions:
                rel = self.select(cte.this, {})
                self.rels[cte.alias] = rel
                if rel.reason is None:
                    kept.append(cte)
            with_.set("expressions", kept)
        scope: dict[str, Rel] = {}
        from_ = tree.args.get("from_") or tree.args["from"]
        alias, rel = self.source(from_.this, {})
        scope[alias] = rel
        for join in list(tree.args.get("joins") or []):
            jalias, jrel = self.source(join.this, {})
            reason = jrel.reason
            if reason is None and join.args.get("on") is not None:
                try:
                    self.check(join.args["on"], {**scope, jalias: jrel})
                except Gone as g:
                    reason = g.reason
            if reason is not None:
                join.pop()
                jrel = Rel(reason=reason)
            scope[jalias] = jrel
        gone: dict[str, str] = {}
        projections = []
        for proj in tree.expressions:
            name = proj.alias_or_name
            try:
                self.check(proj, scope)
                projections.append(proj)
            except Gone as g:
                gone[name] = g.reason
                null = exp.cast(
                    exp.Null(), exp.DataType.build(SQL_TYPES[types.get(name, "string")])
                )
                projections.append(exp.alias_(null, name))
        tree.set("expressions", projections)
        _drop_unused_ctes(tree)
        return gone


def _drop_unused_ctes(tree: exp.Select) -> None:
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None:
        return
    while True:
        used: set[str] = set()
        for cte in with_.expressions:
            used |= {t.name for t in cte.this.find_all(exp.Table)}
        body = tree.copy()
        body.set("with_", None)
        body.set("with", None)
        used |= {t.name for t in body.find_all(exp.Table)}
        keep = [cte for cte in with_.expressions if cte.alias in used]
        if len(keep) == len(with_.expressions):
            break
        with_.set("expressions", keep)
        if not keep:
            break
    if not with_.expressions:
        tree.set("with_", None)
        tree.set("with", None)


def prune_features(
    tree: exp.Select,
    present: dict[str, tuple[list[str], frozenset[str] | None, str]],
    types: dict[str, str],
) -> dict[str, str]:
    """Prune `tree` (features.sql parsed) for the kz_<table> views.

    `present` maps a logical table to (its logical columns, the present ones or None when
    the table is absent, the reason text prefix). Returns feature → "needs …" for the cut ones.
    """
    views: dict[str, Rel] = {}
    for table, (cols, have, _) in present.items():
        if have is None:
            views[f"kz_{table}"] = Rel(reason=f"needs {table}")
        else:
            views[f"kz_{table}"] = Rel(
                cols=set(have), gone={c: f"needs {table}.{c}" for c in cols if c not in have}
            )
    return Pruner(views).statement(tree, types)


def features_tree(presence: Presence, as_of_sql: str) -> tuple[exp.Select, dict[str, str]]:
    """features.sql with `:as_of` set, parsed (DuckDB) and pruned to what `presence` has."""
    from queries.core.schema import FEATURE_COLUMNS, TABLE_COLUMNS

    text = SQL_FILE.read_text(encoding="utf-8").replace(":as_of", as_of_sql)
    tree = sqlglot.parse_one(text, read="duckdb")
    assert isinstance(tree, exp.Select)
    present = {
        t: (cols, presence.columns.get(t) if presence.has(t) else None, "")
        for t, cols in TABLE_COLUMNS.items()
    }
    gone = prune_features(tree, present, {n: v[0] for n, v in FEATURE_COLUMNS.items()})
    return tree, gone


_LOST: dict[tuple, dict[str, str]] = {}


def unavailable_features(presence: Presence) -> dict[str, str]:
    """Feature → "needs …" for the features this snapshot cannot compute (cached per shape)."""
    from queries.core.schema import TABLE_COLUMNS

    if all(presence.has(t, c) for t, cols in TABLE_COLUMNS.items() for c in cols):
        return {}  # a complete snapshot loses nothing (and start-up parses no SQL)
    key = presence.key()
    if key not in _LOST:
        _LOST[key] = features_tree(presence, "CAST('2000-01-01' AS DATE)")[1]
    return dict(_LOST[key])
