"""Rich renderings of engine results for the CLI (tables, waterfall, why)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from queries.core.i18n import _

if TYPE_CHECKING:  # types only: `kizuna tui` starts without loading the engine
    from queries.core.catalog import Catalog
    from queries.query.explain import Verdict
    from queries.query.runner import WaterfallStep
    from queries.query.session import Session
    from queries.segments.model import Segment
from tui.fmt import pct_text


def catalog_json(cat: Catalog) -> dict[str, Any]:
    return {
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "description": f.description,
                "pii": f.pii,
                "source": f.table,
                "available": f.unavailable is None,
                "unavailable": f.unavailable,
            }
            for f in cat.fields.values()
        ],
        "events": [
            {
                "name": e.name,
                "label": e.label,
                "time": e.time_field,
                "description": e.description,
                "available": e.unavailable is None,
                "unavailable": e.unavailable,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "label": f.label,
                        "available": f.unavailable is None,
                        "unavailable": f.unavailable,
                    }
                    for f in e.fields.values()
                ],
            }
            for e in cat.events.values()
        ],
    }


def print_catalog(console: Console, cat: Catalog) -> None:
    table = Table(title=_("Customer fields"), title_justify="left", expand=False)
    for col in ("field", "type", "label", "description", "pii"):
        table.add_column(col, overflow="fold")
    gone = []
    for f in cat.fields.values():
        if f.unavailable:
            gone.append(f)
            continue
        table.add_row(f.name, f.type, Text(f.label), Text(f.description), "PII" if f.pii else "")
    console.print(table)
    if gone:
        na = Table(title=_("Unavailable in this snapshot"), title_justify="left", expand=False)
        for col in ("field", "type", "why"):
            na.add_column(col, overflow="fold")
        for f in gone:
            na.add_row(f.name, f.type, Text(f.unavailable or ""), style="dim")
        console.print(na)
    ev = Table(title=_("Event sources"), title_justify="left")
    for col in ("event", "time", "fields", "description"):
        ev.add_column(col, overflow="fold")
    for e in cat.events.values():
        if e.unavailable:
            ev.add_row(e.name, e.time_field, Text(f"unavailable: {e.unavailable}"), "", style="dim")
            continue
        names = ", ".join(
            f"{f.name} ({f.type})" + (f" — unavailable: {f.unavailable}" if f.unavailable else "")
            for f in e.fields.values()
            if f.name != e.time_field
        )
        ev.add_row(e.name, e.time_field, Text(names), Text(e.description))
    console.print(ev)


def print_count(
    console: Console,
    s: Session,
    seg: Segment,
    n: int,
    base: int,
    steps: list[WaterfallStep] | None,
    elapsed: float,
) -> None:
    console.print(
        Text.assemble((seg.name, "bold"), "  " + _("as of {day}").format(day=s.snapshot.as_of))
    )
    if s.ws.as_of is not None:
        console.print(
            Text(
                _("backtest: events as they were that day; customer attributes are current values"),
                style="yellow",
            )
        )
    if steps:
        table = Table(show_edge=False)
        table.add_column("#", justify="right")
        table.add_column(_("condition"))
        table.add_column(_("audience"), justify="right")
        table.add_column(_("removed"), justify="right")
        table.add_row("", _("all customers"), f"{base:,}", "")
        for i, st in enumerate(steps, 1):
            table.add_row(str(i), Text(st.label), f"{st.count:,}", f"−{st.removed:,}")
        console.print(table)
    console.print(
        Text.assemble(
            (_("audience") + " ", ""),
            (f"{n:,}", "bold green"),
            " " + _("of {base} ({pct})").format(base=f"{base:,}", pct=pct_text(n, base)) + "  ",
            (f"{elapsed * 1000:.0f} ms", "dim"),
        )
    )


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def print_rows(console: Console, rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        console.print(_("{title}: no members").format(title=title))
        return
    table = Table(title=Text(title), title_justify="left")
    for i, k in enumerate(rows[0]):
        if i == 0:  # the id: never cut, whatever the width (other columns give way)
            widest = max(cell_len(_cell(r[k])) for r in rows)
            table.add_column(k, no_wrap=True, min_width=max(widest, len(k)))
        else:
            table.add_column(k, no_wrap=True, overflow="ellipsis", min_width=min(len(k), 6))
    for r in rows:
        table.add_row(*(Text(_cell(v)) for v in r.values()))
    console.print(table)


def print_why(
    console: Console, seg: Segment, customer_id: str, member: bool, verdicts: list[Verdict]
) -> None:
    head = _("is IN") if member else _("is NOT in")
    style = "bold green" if member else "bold red"
    console.print(Text.assemble((customer_id, "bold"), " ", (head, style), f" {seg.name}"))
    for v in verdicts:
        mark = Text("✓ ", style="green") if v.verdict else Text("✗ ", style="red")
        value = Text(f"  ← {_cell(v.value)}", style="dim") if v.value is not None else Text("")
        console.print(Text("  " * (v.depth + 1)) + mark + Text(v.label) + value)
