"""Sample tab: a stable sample of members in a table, personal data masked unless unmasked."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Static

from queries.core.i18n import _, ngettext
from queries.segments.model import Segment
from tui.kizuna import session_of
from tui.messages import CustomerPicked, SampleLoaded
from tui.widgets.labels import value_text
from tui.widgets.look_pane import LookPane

SAMPLE_SIZE = 20


def cell(value: Any) -> Text:
    """A table cell: numbers right-aligned, empty shown as —."""
    text = Text(value_text(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text.justify = "right"
    if value is None:
        text.stylize("dim")
    return text


class SamplePane(LookPane):
    """Members ordered by a hash of their id (the same sample every time); Enter opens one."""

    what = "sample"

    def compose(self) -> ComposeResult:
        yield Static("", id="sample-status", classes="pane-status")
        yield DataTable(id="sample-table", cursor_type="row", zebra_stripes=True)

    def load(self, seg: Segment, generation: int) -> None:
        session = session_of(self)
        unmask = self.unmasked
        self.query_one("#sample-status", Static).update(
            Content.styled(_("loading sample…"), "italic")
        )

        def body(job):
            rows = session.runner.sample(seg, SAMPLE_SIZE, unmask, job)
            return SampleLoaded(generation, rows, unmask)

        self.start(body, generation)

    @on(SampleLoaded)
    def _loaded(self, event: SampleLoaded) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        fields = session_of(self).catalog.fields
        table = self.query_one("#sample-table", DataTable)
        table.clear(columns=True)
        names = list(event.rows[0]) if event.rows else []
        for name in names:
            f = fields.get(name)
            table.add_column(f.label if f else name, key=name)
        for row in event.rows:
            table.add_row(*[cell(row[n]) for n in names], key=str(row.get("customer_id")))
        mask = (
            (_("UNMASKED personal data"), "bold reverse")
            if event.unmasked
            else (_("personal data masked"), "")
        )
        self.query_one("#sample-status", Static).update(
            Content.assemble(
                (_("enter explains the highlighted member"), "bold"),
                " · "
                + ngettext("{n} member", "{n} members", len(event.rows)).format(n=len(event.rows))
                + " · ",
                mask,
                (" " + _("(u toggles)"), "dim"),
            )
            if event.rows
            else Content.styled(_("No members: the audience is empty."), "italic")
        )

    @on(DataTable.RowSelected, "#sample-table")
    def _picked(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(CustomerPicked(event.row_key.value))
