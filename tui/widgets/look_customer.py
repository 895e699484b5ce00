"""Customer tab: one customer's profile, recent history, and why they are in or out."""

from __future__ import annotations

from typing import Any

from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static

from queries.core.catalog import Catalog
from queries.core.errors import CustomerNotFound, KizunaError
from queries.core.i18n import N_, _
from queries.query.explain import Verdict
from queries.segments.model import Segment
from tui.kizuna import session_of
from tui.messages import CustomerExplained
from tui.widgets.labels import value_text
from tui.widgets.look_pane import LookPane
from tui.workers import customer_history, customer_profile

HISTORY_TITLES = {
    "orders": N_("Recent orders"),
    "web": N_("Recent web & app events"),
    "messages": N_("Recent messages"),
}


def verdict_styles(app) -> tuple[str, str]:
    """Styles for ✓ and ✗: theme colours, or bold / reverse when NO_COLOR is set."""
    if getattr(app, "no_color", False):
        return "bold", "bold reverse"
    colours = app.theme_variables
    return (
        f"bold {colours.get('text-success', 'green')}",
        f"bold {colours.get('text-error', 'red')}",
    )


def why_table(verdicts: list[Verdict], styles: tuple[str, str] = ("bold", "bold")) -> Table:
    """✓/✗ per condition, indented by depth, with the value that decided it."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    table.add_column(justify="right", style="dim")
    for v in verdicts:
        mark = Text("✓", style=styles[0]) if v.verdict else Text("✗", style=styles[1])
        value = "" if v.value is None else value_text(v.value)
        table.add_row(mark, Text("  " * v.depth + v.label), Text(value))
    return table


def profile_table(profile: dict[str, Any], catalog: Catalog, pairs: int = 1) -> Table:
    """Field label → value, in one or two column pairs (Rich measures Japanese by cells)."""
    table = Table.grid(padding=(0, 2, 0, 0))
    for _pair in range(pairs):
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
    items = [
        (catalog.fields[k].label if k in catalog.fields else k, value_text(v))
        for k, v in profile.items()
    ]
    rows = (len(items) + pairs - 1) // pairs
    for i in range(rows):
        cells: list[str] = []
        for p in range(pairs):
            j = i + p * rows
            cells += list(items[j]) if j < len(items) else ["", ""]
        table.add_row(*cells)
    return table


def history_table(rows: list[dict[str, Any]]) -> Table | Text:
    if not rows:
        return Text(_("  none up to the as-of date"), style="dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
    for name in rows[0]:
        table.add_column(name)
    for row in rows:
        table.add_row(*[value_text(v) for v in row.values()])
    return table


class CustomerPane(LookPane):
    """Type a customer id (or press Enter on a sample row) and see the verdicts."""

    what = "customer"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.customer_id: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-bar"):
            yield Label(_("Customer "), classes="form-label-short")
            yield Input(placeholder=_("customer id, then enter"), id="customer-id", compact=True)
        with VerticalScroll(id="customer-scroll"):
            yield Static(
                Content.styled(_("Enter a customer id to see why they are in or out."), "dim"),
                id="customer-result",
            )

    def explain(self, customer_id: str, focus: bool = False) -> None:
        self.customer_id = customer_id.strip()
        self.query_one("#customer-id", Input).value = self.customer_id
        self.generation += 1
        self.reload()
        if focus:
            self.query_one("#customer-scroll").focus()

    @on(Input.Submitted, "#customer-id")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.explain(event.value)

    def load(self, seg: Segment, generation: int) -> None:
        cid = self.customer_id
        if not cid:
            return
        session = session_of(self)
        unmask = self.unmasked
        self.query_one("#customer-result", Static).update(
            Content.styled(_("explaining…"), "italic")
        )

        def body(job):
            found = session.runner.resolve_customer(cid, job)  # c000123 finds C000123
            member, verdicts = session.runner.why(seg, found, job)
            profile = customer_profile(session, found, unmask, job)
            history = customer_history(session, found, job)
            return CustomerExplained(generation, found, member, verdicts, profile, history)

        self.start(body, generation)

    def failed(self, error: KizunaError) -> None:
        text = Text("✗ " + error.render(), style="bold")
        if isinstance(error, CustomerNotFound):
            text.append("\n  " + _("check the id"), style="dim")
        self.query_one("#customer-result", Static).update(text)

    @on(CustomerExplained)
    def _explained(self, event: CustomerExplained) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        seg_name = self.seg.name if self.seg else _("the segment")
        styles = verdict_styles(self.app)
        head = Text()
        head.append(f"{event.customer_id}  ", style="bold")
        if event.member:
            head.append(_("✓ IN {segment}").format(segment=seg_name), style=styles[0])
        else:
            head.append(_("✗ NOT in {segment}").format(segment=seg_name), style=styles[1])
        catalog = session_of(self).catalog
        parts: list = [
            head,
            Text(""),
            Text(_("Why"), style="bold underline"),
            why_table(event.verdicts, styles),
        ]
        masked = "" if self.unmasked else "  " + _("(personal data masked · u unmasks)")
        parts += [
            Text(""),
            Text.assemble((_("Profile"), "bold underline"), (masked, "dim")),
            profile_table(event.profile, catalog, 2 if self.size.width >= 100 else 1),
        ]
        for src, rows in event.history.items():
            parts += [
                Text(""),
                Text(
                    _(HISTORY_TITLES[src]) if src in HISTORY_TITLES else src, style="bold underline"
                ),
                history_table(rows),
            ]
        self.query_one("#customer-result", Static).update(RichGroup(*parts))
