"""Overlap tab: how the edited segment overlaps another saved segment."""

from __future__ import annotations

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Select, Static

from queries.core.errors import KizunaError
from queries.core.i18n import _
from queries.segments.model import Segment
from tui.kizuna import session_of
from tui.messages import OverlapComputed
from tui.widgets.look_pane import LookPane


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def overlap_content(this: str, other: str, a: int, b: int, both: int, width: int) -> Content:
    """Counts in each part, shares, and a one-line bar: █ only this ▓ both ░ only the other."""
    rows = [
        (this, a, ""),
        (other, b, ""),
        (
            _("In both"),
            both,
            _("{a} of this · {b} of {other}").format(a=pct(both, a), b=pct(both, b), other=other),
        ),
        (_("Only this"), a - both, ""),
        (_("Only {other}").format(other=other), b - both, ""),
    ]
    label_w = max(cell_len(r[0]) for r in rows)
    parts: list = []
    for label, n, note in rows:
        parts += [label, " " * (label_w - cell_len(label) + 2), (f"{n:>10,}", "bold")]
        parts += [(f"  {note}" if note else "", "dim"), "\n"]
    union = a + b - both
    if union:
        w = max(10, width - 2)
        parts_n = [a - both, both, b - both]
        cells = [max(1 if n else 0, round(w * n / union)) for n in parts_n]
        biggest = cells.index(max(cells))
        cells[biggest] -= sum(cells) - w  # keep the total width
        parts += ["\n", "█" * cells[0], "▓" * cells[1], "░" * cells[2], "\n"]
        parts.append((_("█ only this  ▓ both  ░ only {other}").format(other=other), "dim"))
    return Content.assemble(*parts)


class OverlapPane(LookPane):
    """Pick a saved segment; see who is in both, only here, only there."""

    what = "overlap"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.other: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-bar"):
            yield Label(_("With "), classes="form-label-short")
            yield Select([], id="overlap-other", compact=True, prompt=_("choose a saved segment"))
        with VerticalScroll():
            yield Static(
                Content.styled(_("Choose a saved segment to compare with."), "dim"),
                id="overlap-result",
            )

    def _options(self) -> None:
        store = session_of(self).store
        own = self.seg.path.stem if self.seg is not None and self.seg.path else None
        opts = []
        for stem in store.names():
            if stem == own:
                continue
            try:
                opts.append((store.load(stem).name, stem))
            except KizunaError:
                continue
        select = self.query_one("#overlap-other", Select)
        with select.prevent(Select.Changed):
            select.set_options(opts)
            if self.other in [s for _, s in opts]:
                select.value = self.other

    def load(self, seg: Segment, generation: int) -> None:
        self._options()
        other = self.other
        if other is None:
            return
        session = session_of(self)
        self.query_one("#overlap-result", Static).update(Content.styled(_("comparing…"), "italic"))

        def body(job):
            b = session.store.load(other)
            a_n, b_n, both = session.runner.overlap(seg, b, job)
            return OverlapComputed(generation, other, a_n, b_n, both)

        self.start(body, generation)

    @on(Select.Changed, "#overlap-other")
    def _other(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.other:
            self.other = event.value
            self.generation += 1
            self.reload()

    def compare_with(self, stem: str) -> None:
        self.other = stem
        self.generation += 1
        self.reload()

    @on(OverlapComputed)
    def _computed(self, event: OverlapComputed) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        this = self.seg.name if self.seg else _("This segment")
        width = self.query_one("#overlap-result").size.width or 60
        self.query_one("#overlap-result", Static).update(
            overlap_content(this, event.other, event.a, event.b, event.both, min(width, 70))
        )
