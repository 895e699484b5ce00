"""Preflight checks on the values a message shows: blank variables and control characters.

A variable written with no `| default:` that is empty (NULL or '') for every recipient of a
variant stops approval (for `coupon`, saying how to configure one); empty for some, it is a
warning with the count. CR, LF, NUL or TAB in a value written into a subject, an SMS or a
LINE text (a header-injection risk at the sending system) is an error naming the customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from liquid.builtin.expressions import FilteredExpression, Path

from queries.campaigns.personalize import CAMPAIGN_FIELDS, MessageTemplate

CONTROL = ("\r", "\n", "\0", "\t")
LINE_PARTS = ("subject", "text")  # one-line parts: subject (email), text (sms, line)
COUPON_HINT = (
    "the campaign has no coupon: add one under `what:`, e.g. `coupon: {prefix: WB11, length: 8}` "
    "(a code per recipient) or `coupon: {pool_file: campaigns/codes.csv}` (codes from a list)"
)


def _exprs(nodes: Iterable[Any], ctx: Any) -> Iterable[Any]:
    for node in nodes:
        yield from node.expressions()
        yield from _exprs(node.children(ctx, include_partials=False), ctx)


def _all(expr: Any) -> Iterable[Any]:
    yield expr
    for child in expr.children() or ():
        yield from _all(child)


def written_fields(tpl: MessageTemplate) -> tuple[set[str], set[str]]:
    """Variables the template writes out: (all of them, those with no `| default:` after)."""
    from liquid.context import RenderContext

    ctx = RenderContext(tpl.bound)
    shown: set[str] = set()
    bare: set[str] = set()
    for top in _exprs(tpl.bound.nodes, ctx):
        for e in _all(top):
            if type(e) is not FilteredExpression or not isinstance(e.left, Path):
                continue
            root = e.left.path[0] if e.left.path else None
            if not isinstance(root, str) or root not in tpl.fields:
                continue
            shown.add(root)
            if not any(f.name == "default" for f in e.filters or ()):
                bare.add(root)
    return shown, bare


class ValueChecks:
    """Counts blank values and finds control characters, batch by batch."""

    def __init__(self) -> None:
        self.blank: dict[tuple[str, str], list[Any]] = {}  # (variant, field) → [n, of, ids]
        self.plans: dict[int, tuple[set[str], set[str]]] = {}

    def _plan(self, tpl: MessageTemplate) -> tuple[set[str], set[str]]:
        got = self.plans.get(id(tpl))
        if got is None:
            got = self.plans[id(tpl)] = written_fields(tpl)
        return got

    def batch(
        self,
        checker: Any,
        variant: str,
        tpl: MessageTemplate,
        ids: Sequence[Any],
        cols: dict[str, Sequence[Any]],
    ) -> None:
        """Look at one part's values for one batch of a variant's recipients."""
        shown, bare = self._plan(tpl)
        for name in sorted(bare):
            key = (variant, name)
            if key in self.blank and self.blank[key][3] != tpl.part:
                continue  # counted once per variant (on the first part that writes it)
            col = cols[name]
            n = col.count(None) + col.count("")
            entry = self.blank.setdefault(key, [0, 0, [], tpl.part])
            entry[0] += n
            entry[1] += len(col)
            if n and len(entry[2]) < 10:
                entry[2] += [str(i) for i, v in zip(ids, col) if v is None or v == ""][:10]
        if tpl.part not in LINE_PARTS:
            return
        for name in sorted(shown):
            col = cols[name]
            kinds = set(map(type, col))
            text = "".join(col) if kinds == {str} else "".join(v for v in col if type(v) is str)
            if not any(ch in text for ch in CONTROL):
                continue
            for cid, v in zip(ids, col):
                if type(v) is str and any(ch in v for ch in CONTROL):
                    chars = ", ".join(repr(ch) for ch in CONTROL if ch in v)
                    detail = (
                        f"`{name}` holds a control character ({chars}): it must not reach a "
                        f"{tpl.part} (header injection at the sending system); clean the value"
                    )
                    checker.finding("control_character", detail, variant, tpl.part).hit(cid)

    def finish(self, checker: Any) -> list[Any]:
        """Blocking findings (blank for everyone) go to the checker; warnings are returned."""
        from queries.campaigns.findings import Finding

        warnings = []
        for (variant, name), (n, total, ids, part) in sorted(self.blank.items()):
            if not n:
                continue
            if n == total:
                if name == "coupon":
                    detail = f"`coupon` is empty for every recipient: {COUPON_HINT}"
                elif name in CAMPAIGN_FIELDS:
                    detail = f"`{name}` is empty for every recipient"
                else:
                    detail = (
                        f"`{name}` is empty for every recipient: the message would show "
                        f"nothing there; add `| default: '…'` or use another field"
                    )
                f = checker.finding("blank_variable", detail, variant, part)
                f.count, f.customers = n, ids[:10]
            else:
                detail = f"`{name}` is empty for some recipients (written with no `| default:`)"
                warnings.append(Finding("blank_variable", detail, variant, part, n, ids[:10]))
        return warnings
