"""Explain one customer: each condition's verdict and deciding value, and their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlglot import exp

from queries.core.catalog import Catalog
from queries.core.errors import CustomerNotFound
from queries.engines.jobs import Job
from queries.segments.compile import Compiler
from queries.segments.describe import describe
from queries.segments.model import EventCond, FieldCond, Group, Node, Not, Segment, top_level


@dataclass(frozen=True)
class Verdict:
    """Why-view line: one condition, its depth in the tree, verdict and the deciding value."""

    depth: int
    label: str
    verdict: bool
    value: Any


class Queries(Protocol):
    """What explaining needs from the runner: the catalog, the as-of day, compiling, running."""

    catalog: Catalog

    @property
    def as_of(self) -> date: ...

    def compiler(
        self, seg: Segment | None = None, features: exp.Expr | None = None
    ) -> Compiler: ...

    def fetch(self, query: exp.Expr, job: Job | None = None) -> list[Any]: ...


class CustomerExplainer:
    """Why one person is in or out: each condition's verdict, their recent events, their id."""

    def __init__(self, queries: Queries) -> None:
        self.q = queries

    def recent_events(
        self, customer_id: str, source: str, n: int = 5, job: Job | None = None
    ) -> list[dict[str, Any]]:
        """The customer's latest `n` rows of an event source up to the as-of day, newest first."""
        src = self.q.catalog.events[source]
        names = [src.time_field, *(f for f in src.fields if f != src.time_field)]
        rel = exp.paren(src.relation.copy(), copy=False).as_("e")
        t = exp.column(src.time_field, "e", quoted=True)
        as_of = exp.cast(exp.Literal.string(self.q.as_of.isoformat()), "DATE")
        query = (
            exp.select(*[exp.column(c, "e", quoted=True) for c in names])
            .from_(rel)
            .where(
                exp.and_(
                    exp.EQ(
                        this=exp.column("customer_id", "e", quoted=True),
                        expression=exp.convert(str(customer_id)),
                    ),
                    exp.LTE(this=exp.cast(t.copy(), "DATE"), expression=as_of),
                )
            )
            .order_by(
                exp.Ordered(this=t.copy(), desc=True, nulls_first=False),
                *(  # ties broken by every column, so each engine lists the same rows
                    exp.Ordered(this=exp.column(c, "e", quoted=True), nulls_first=False)
                    for c in names[1:]
                ),
            )
            .limit(n)
        )
        return [dict(zip(names, row)) for row in self.q.fetch(query, job)]

    # -- which customer ---------------------------------------------------------------------
    def resolve_customer(self, customer_id: str, job: Job | None = None) -> str:
        """The snapshot's id for what was typed: exact, else the one id equal ignoring case."""
        typed = str(customer_id).strip()
        comp = self.q.compiler()
        cid = self.q.catalog.customer_id()
        text = exp.cast(cid.copy(), "VARCHAR")
        query = (
            comp.base_from(exp.select(text.copy()))
            .where(
                exp.EQ(
                    this=exp.func("LOWER", text.copy()),
                    expression=exp.func("LOWER", exp.convert(typed)),
                )
            )
            .order_by(text.copy())
            .limit(3)
        )
        found = [str(r[0]) for r in self.q.fetch(query, job)]
        if typed in found:
            return typed
        if len(found) == 1:
            return found[0]
        if found:
            raise CustomerNotFound(
                f"no customer with id `{typed}` in the snapshot (did you mean "
                + " or ".join(f"`{f}`" for f in found)
                + "?)"
            )
        raise CustomerNotFound(f"no customer with id `{typed}` in the snapshot")

    # -- why -------------------------------------------------------------------------------
    def why(
        self, seg: Segment, customer_id: str, job: Job | None = None
    ) -> tuple[bool, list[Verdict]]:
        """Each condition's verdict for one customer, and the value that decided it."""
        comp = self.q.compiler(seg)
        items: list[tuple[int, Node]] = []
        self._flatten(seg.where, 0, items, comp)
        cols: list[exp.Expr] = [exp.func("COALESCE", comp.node(seg.where), exp.false())]
        for _, node in items:
            cols.append(exp.func("COALESCE", comp.node(node), exp.false()))
            cols.append(self._deciding_value(comp, node))
        cid = self.q.catalog.customer_id()
        query = comp.base_from(exp.select(*cols)).where(
            exp.EQ(this=cid, expression=exp.convert(str(customer_id)))
        )
        rows = self.q.fetch(query, job)
        if not rows:
            raise CustomerNotFound(f"no customer with id `{customer_id}` in the snapshot")
        row = rows[0]
        verdicts = [
            Verdict(depth, describe(node), bool(row[1 + 2 * i]), row[2 + 2 * i])
            for i, (depth, node) in enumerate(items)
        ]
        return bool(row[0]), verdicts

    def _flatten(self, node: Node, depth: int, out: list, comp: Compiler) -> None:
        """List the conditions to explain: the root `all`'s children and their descendants."""
        for cond in top_level(node):
            out.append((depth, cond))
            self._children(cond, depth + 1, out)

    def _children(self, node: Node, depth: int, out: list) -> None:
        if isinstance(node, Group):
            for c in node.children:
                out.append((depth, c))
                self._children(c, depth + 1, out)
        elif isinstance(node, Not):
            out.append((depth, node.child))
            self._children(node.child, depth + 1, out)

    def _deciding_value(self, comp: Compiler, node: Node) -> exp.Expr:
        if isinstance(node, FieldCond):
            return exp.cast(comp.field_expr(self.q.catalog.fields[node.field]), "VARCHAR")
        if isinstance(node, EventCond):
            return exp.cast(comp.event_value(node), "VARCHAR")
        return exp.Null()
