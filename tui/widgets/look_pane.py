"""The base of a Look tab: the current segment, a generation, a job, reload when shown."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import TabbedContent

from queries.core.errors import KizunaError
from queries.segments.model import Segment
from tui.messages import QueryFailed
from tui.workers import JobSlot


class LookPane(Vertical):
    """One tab's content: knows the current segment and reloads it when shown and stale."""

    what = "look"
    load: Callable[[Segment, int], None]  # each tab: start its query for a segment, generation

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seg: Segment | None = None
        self.generation = 0
        self.stale = True
        self.slot = JobSlot(self, self.what)

    @property
    def look(self):
        """The LookTabs around this pane."""
        return self.query_ancestor("LookTabs")

    @property
    def unmasked(self) -> bool:
        return bool(getattr(self.look, "unmasked", False))

    @property
    def shown(self) -> bool:
        try:
            return self.query_ancestor(TabbedContent).active == self.what
        except NoMatches:
            return False

    def focus_first(self) -> None:
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def segment_changed(self, seg: Segment) -> None:
        self.seg = seg
        self.generation += 1
        self.stale = True
        self.slot.cancel()
        if self.shown:
            self.reload()

    def reload(self) -> None:
        if self.seg is None or not self.is_mounted:
            return
        self.stale = False
        self.load(self.seg, self.generation)

    def failed(self, error: KizunaError) -> None:
        self.notify(error.render(), severity="error", title=self.what.capitalize())

    @on(QueryFailed)
    def _failed(self, event: QueryFailed) -> None:
        if event.what != self.what:
            return
        event.stop()
        if event.generation == self.generation:
            self.failed(event.error)

    def start(self, body, generation: int) -> None:
        """Run a query for this pane; errors come back as QueryFailed for this generation."""
        self.slot.start(body, lambda exc: QueryFailed(generation, self.what, exc))
