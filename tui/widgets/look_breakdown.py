"""Breakdown tab: the audience against the base by one field, as horizontal bar charts."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Select, Static

from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.query.runner import breakdown_candidates
from queries.segments.model import Segment
from tui.kizuna import session_of
from tui.messages import BreakdownLoaded
from tui.widgets.bars import BreakdownChart
from tui.widgets.look_pane import LookPane


class BreakdownPane(LookPane):
    """Pick a field; see each value's share of the audience next to its share of the base."""

    what = "breakdown"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.field: str | None = None  # None until the default is settled by the first load
        self.shown_field: str | None = None

    def compose(self) -> ComposeResult:
        catalog = session_of(self).catalog
        names = breakdown_candidates(catalog)  # what the snapshot has, the usual ones first
        fields = [catalog.fields[n] for n in names]
        # the default is settled in the first load's worker: the first one that has values
        self.shown_field = names[0] if names else None
        with Horizontal(classes="pane-bar"):
            yield Label(_("By "), classes="form-label-short")
            yield Select(
                [(f.label, f.name) for f in fields],
                value=self.shown_field or Select.NULL,
                allow_blank=False,
                id="breakdown-field",
                compact=True,
            )
        with VerticalScroll(id="breakdown-scroll"):
            yield Static("", id="breakdown-chart")

    def load(self, seg: Segment, generation: int) -> None:
        field = self.field
        if field is None and self.shown_field is None:
            return
        runner = session_of(self).runner
        self.query_one("#breakdown-chart", Static).update(
            Content.styled(_("computing breakdown…"), "italic")
        )

        shown = self.shown_field

        def body(job: Job) -> BreakdownLoaded:
            name = field or runner.default_breakdown_field(job) or shown
            assert name is not None  # a field was asked for or one is shown
            return BreakdownLoaded(generation, name, runner.breakdown(seg, name, job=job))

        self.start(body, generation)

    @on(Select.Changed, "#breakdown-field")
    def _field(self, event: Select.Changed) -> None:
        event.stop()
        if self.field is None and event.value == self.shown_field:
            return  # the picker's initial value, not a choice: the default is still settling
        if isinstance(event.value, str) and event.value != self.field:
            self.field = event.value
            self.generation += 1
            self.reload()

    def show_field(self, name: str) -> None:
        self.query_one("#breakdown-field", Select).value = name

    @on(BreakdownLoaded)
    def _loaded(self, event: BreakdownLoaded) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        if self.field is None:  # the default just settled: show it in the picker
            self.field = self.shown_field = event.field
            self.query_one("#breakdown-field", Select).value = event.field
        label = session_of(self).catalog.fields[event.field].label
        accent = self.app.theme_variables.get("accent", "")
        chart = BreakdownChart(event.rows, label, accent)
        self.query_one("#breakdown-chart", Static).update(chart)
