"""Pick a field: type to search labels, names and descriptions; see its type and top values."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from queries.core.catalog import Field
from queries.core.field_words import fold, search_words
from queries.core.i18n import _
from tui.keymap import bind
from tui.kizuna import kizuna, session_of
from tui.messages import ValuesLoaded
from tui.screens.builder.values import load_values
from tui.widgets.labels import value_text
from tui.workers import JobSlot

LABEL_CELLS = 24
TYPE_MARK = {
    "string": "abc",
    "number": "123",
    "boolean": "y/n",
    "date": "date",
    "timestamp": "time",
}


def field_prompt(f: Field) -> Content:
    label = set_cell_size(f.label, LABEL_CELLS) if cell_len(f.label) > LABEL_CELLS else f.label
    pad = " " * (LABEL_CELLS - cell_len(label) + 1)
    if f.unavailable:  # greyed, with the reason; the option is disabled
        return Content.assemble((label, "dim"), pad, (f"{f.unavailable}", "dim italic"))
    return Content.assemble(label, pad, (f"{TYPE_MARK.get(f.type, f.type):>4}", "dim"))


def rank(f: Field, query: str, words: Sequence[str] = ()) -> int | None:
    """How well a field matches the search (lower is better); None when it does not.

    `words` are the field's Japanese label and synonyms in both languages (field_words)."""
    q = fold(query.strip())
    if not q:
        return 0
    names = (fold(f.name), *(fold(n) for n in (f.label, *f.names)), *(fold(w) for w in words))
    if q in names:
        return 0
    if any(n.startswith(q) for n in names):
        return 1
    if all(any(w in n for n in names) for w in q.split()):
        return 2
    hay = fold(" ".join([f.label, *f.names, f.name, f.description, f.type, *words]))
    return 3 if all(word in hay for word in q.split()) else None


class FieldPickerScreen(ModalScreen[str | None]):
    """Searchable list of customer fields (or an event source's fields)."""

    BINDINGS = [
        bind("escape", "cancel", "Cancel", id="picker.cancel"),
        bind("down", "move(1)", "Next", id="picker.down", show=False),
        bind("up", "move(-1)", "Previous", id="picker.up", show=False),
    ]

    def __init__(self, event: str | None = None) -> None:
        super().__init__()
        self.event = event
        self.values_slot = JobSlot(self, "values")
        self.shown: list[Field] = []

    @property
    def all_fields(self) -> list[Field]:
        cat = session_of(self).catalog
        if self.event is None:
            return list(cat.fields.values())
        src = cat.events[self.event]
        return [f for f in src.fields.values() if f.name != src.time_field]

    def compose(self) -> ComposeResult:
        title = _("Pick a field")
        if self.event:
            title = _("Pick a field of {source}").format(
                source=session_of(self).catalog.events[self.event].label
            )
        with Vertical(classes="dialog wide", id="picker-dialog"):
            yield Static(title, classes="dialog-title")
            yield Input(
                placeholder=_("search fields… (label, name, description, 日本語)"),
                id="picker-search",
                compact=True,
            )
            with Horizontal(id="picker-body"):
                yield OptionList(id="picker-list", compact=True)
                yield Static("", id="picker-detail")
            yield Static(_("type to search · ↑↓ move · enter pick · esc cancel"), classes="hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-search", Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one("#picker-list", OptionList)
        custom = session_of(self).ws.fields
        ranked = [
            (rank(f, query, search_words(f.name, custom.get(f.name))), i, f)
            for i, f in enumerate(self.all_fields)
        ]
        hits = sorted(x for x in ranked if x[0] is not None)
        # what the snapshot lacks goes last, greyed with its reason, and cannot be picked
        self.shown = [f for _, _, f in hits if not f.unavailable]
        self.shown += [f for _, _, f in hits if f.unavailable]
        options.clear_options()
        options.add_options(
            [Option(field_prompt(f), id=f.name, disabled=bool(f.unavailable)) for f in self.shown]
        )
        if self.shown:
            options.highlighted = 0
        else:
            self.query_one("#picker-detail", Static).update(_("No field matches."))

    @on(Input.Changed, "#picker-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, delta: int) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    @on(OptionList.OptionHighlighted, "#picker-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        f = next((f for f in self.shown if f.name == name), None)
        if f is None:
            return
        cached = kizuna(self).values_cache.get((self.event, f.name))
        self._detail(f, cached)
        useful = f.type in ("string", "number", "boolean") and f.name != "customer_id"
        if cached is None and useful and not f.pii:
            # let the cursor rest before asking the database
            self.values_slot.later(0.15, lambda: load_values(self, f.name, self.event))

    def _detail(self, f: Field, values: list | None) -> None:
        parts: list = [(f.label, "bold"), "\n", (f"{f.name} · {f.type}", "dim")]
        if f.pii:
            parts.append((" · " + _("personal data (masked)"), "italic"))
        if f.description:
            parts += ["\n\n", f.description]
        if values is not None and not f.pii:
            parts += ["\n\n", (_("Top values"), "underline"), "\n"]
            width = max((cell_len(value_text(v)) for v, _ in values[:8]), default=0)
            count_w = max((len(f"{n:,}") for _, n in values[:8]), default=0)
            for v, n in values[:8]:
                text = value_text(v)
                parts.append(f"{text}{' ' * (width - cell_len(text))}  ")
                parts.append((f"{n:>{count_w},}\n", "dim"))
            if not values:
                parts.append((_("(no values)"), "dim"))
        self.query_one("#picker-detail", Static).update(Content.assemble(*parts))

    @on(ValuesLoaded)
    def _values(self, event: ValuesLoaded) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.highlighted is None:
            return
        current = options.get_option_at_index(options.highlighted).id
        f = next((f for f in self.shown if f.name == current), None)
        if f is not None and f.name == event.field:
            self._detail(f, event.values)

    @on(Input.Submitted, "#picker-search")
    def _submit(self) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.highlighted is None:
            self.app.bell()
            return
        self._pick(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, name: str | None) -> None:
        f = next((f for f in self.shown if f.name == name), None)
        if f is not None and f.unavailable:
            self.app.bell()
            return
        self.values_slot.cancel()
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.values_slot.cancel()
        self.dismiss(None)
