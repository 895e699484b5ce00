"""The Look tabs: sample, breakdown, overlap, SQL and customer views of the edited segment.

Only the visible tab queries; the others are marked stale and refresh when shown.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from queries.core.i18n import N_, _
from queries.segments.model import Segment
from tui.messages import CustomerPicked
from tui.widgets.look_breakdown import BreakdownPane
from tui.widgets.look_customer import CustomerPane
from tui.widgets.look_overlap import OverlapPane
from tui.widgets.look_pane import LookPane
from tui.widgets.look_sample import SamplePane
from tui.widgets.look_sql import SqlPane

TABS = [
    ("sample", N_("Sample")),
    ("breakdown", N_("Breakdown")),
    ("overlap", N_("Overlap")),
    ("sql", N_("SQL")),
    ("customer", N_("Customer")),
]

FOCUS_ON_OPEN = ("sample", "customer")


class LookTabs(Vertical):
    """Tabs under (or beside) the tree; the builder tells it when the segment changes."""

    ALLOW_MAXIMIZE = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.unmasked = False

    def compose(self) -> ComposeResult:
        panes = {
            "sample": SamplePane,
            "breakdown": BreakdownPane,
            "overlap": OverlapPane,
            "sql": SqlPane,
            "customer": CustomerPane,
        }
        with TabbedContent(id="look-tabs"):
            for tab_id, title in TABS:
                with TabPane(_(title), id=tab_id):
                    yield panes[tab_id](id=f"{tab_id}-pane")

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())

    def _theme_changed(self) -> None:
        for pane in self.panes():  # charts and SQL carry theme colours
            pane.stale = True
            if pane.shown:
                pane.reload()

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    def panes(self) -> list[LookPane]:
        return list(self.query(LookPane))

    def pane(self, what: str) -> LookPane:
        return self.query_one(f"#{what}-pane", LookPane)

    def segment_changed(self, seg: Segment) -> None:
        for pane in self.panes():
            pane.segment_changed(seg)

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        pane = self.pane(event.pane.id or "")
        if pane.stale:
            pane.reload()
        focused = self.screen.focused
        if focused is not None and self in focused.ancestors and pane not in focused.ancestors:
            # focus was in the tab just hidden: follow into the new one
            self.call_after_refresh(pane.focus_first)

    def show_tab(self, tab: str, focus: bool = False) -> None:
        """Show a tab; with `focus`, put the cursor where its keys go (the sample table, the
        customer id box), so typing an id and Enter, or Enter on a row, does what it says."""
        self.query_one(TabbedContent).active = tab
        if focus and tab in FOCUS_ON_OPEN:
            self.call_after_refresh(self.pane(tab).focus_first)

    def cancel(self) -> bool:
        return any([pane.slot.cancel() for pane in self.panes()])

    def toggle_unmask(self) -> None:
        self.unmasked = not self.unmasked
        self.notify(
            _("Personal data shown in clear in the sample and customer views.")
            if self.unmasked
            else _("Personal data masked in the sample and customer views.")
        )
        for what in ("sample", "customer"):
            pane = self.pane(what)
            pane.stale = True
            if pane.shown:
                pane.reload()

    def copy_sql(self) -> None:
        self.query_one(SqlPane).copy()

    @on(CustomerPicked)
    def _customer(self, event: CustomerPicked) -> None:
        event.stop()
        self.show_tab("customer")
        self.query_one(CustomerPane).explain(event.customer_id, focus=True)
