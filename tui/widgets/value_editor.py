"""An editor for a condition's value that fits the field type and the operator.

none → nothing · scalar → one input (text with suggestions, number, date) · pair → low and
high · list → a multi-select of known values with counts plus "other values" (strings), or a
comma-separated input · window → `30d` · months → a multi-select of months.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, SelectionList, Static
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.selection_list import Selection

from queries.core.catalog import Field
from queries.core.i18n import N_, _
from queries.segments.ops import value_kind
from tui.keymap import bind
from tui.widgets.value_parse import (
    checked,
    format_list,
    format_scalar,
    parse_list,
    parse_scalar,
    parse_window,
    split_list,
)

MONTHS = [
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
]
PLACEHOLDER = {
    "string": N_("text"),
    "number": N_("a number, e.g. 5000"),
    "date": "YYYY-MM-DD",
    "timestamp": "YYYY-MM-DD",
}


def value_prompt(value: Any, count: int, width: int) -> Content:
    """`東京都      1,234` with the count aligned by display cells, not characters."""
    text = format_scalar(value)
    pad = max(1, width - cell_len(text) + 1)
    return Content.assemble(text, " " * pad, (f"{count:>7,}", "dim"))


class CheckList(SelectionList):
    """A SelectionList whose boxes read ✓ / blank, so selection does not rely on colour.

    Space toggles; Enter submits the dialog (posts `CheckList.Submitted`).
    """

    BINDINGS = [bind("enter", "submit", "Apply", id="checklist.submit", show=False)]

    class Submitted(Message):
        """Enter was pressed in the list."""

    def action_submit(self) -> None:
        self.post_message(self.Submitted())

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) >= 4 and segments[1].text == ToggleButton.BUTTON_INNER:
            try:
                option = self.get_option_at_index(self.scroll_offset.y + y)
            except Exception:
                return strip
            mark = "✓" if option.value in self._selected else " "
            segments[1] = Segment(mark, segments[1].style)
            return Strip(segments, strip.cell_length)
        return strip


class ValueEditor(Vertical):
    """Reads a valid value for (field type, operator) or raises ValueError with the reason."""

    DEFAULT_CSS = """
    ValueEditor { height: auto; }
    ValueEditor SelectionList { height: auto; max-height: 9; }
    ValueEditor .pair Input { width: 1fr; }
    ValueEditor .pair Label { width: auto; padding: 0 1; }
    ValueEditor .pair { height: 1; }
    """

    class Changed(Message):
        """Something in the editor was typed or toggled."""

        def __init__(self, editor: ValueEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> ValueEditor:
            return self.editor

    def __init__(self, field: Field, op: str, value: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.field = field
        self.op = op
        self.kind = value_kind(field.type, op)
        self.initial = value
        self.suggestions: list[tuple[Any, int]] = []

    @property
    def uses_choices(self) -> bool:
        return self.kind == "list" and self.field.type == "string"

    def compose(self) -> ComposeResult:
        t, v = self.field.type, self.initial
        if self.kind == "none":
            yield Static(_("(no value needed)"), classes="dim")
        elif self.kind == "scalar":
            yield Input(
                format_scalar(v), placeholder=_(PLACEHOLDER.get(t, "")), id="v-scalar", compact=True
            )
        elif self.kind == "pair":
            lo, hi = v if isinstance(v, list) and len(v) == 2 else [None, None]
            with Horizontal(classes="pair"):
                yield Input(format_scalar(lo), placeholder=_("low"), id="v-low", compact=True)
                yield Label(_("and"))
                yield Input(format_scalar(hi), placeholder=_("high"), id="v-high", compact=True)
        elif self.kind == "window":
            yield Input(format_scalar(v), placeholder=_("30d"), id="v-window", compact=True)
            yield Static(_("d days · w weeks · mo months · y years"), classes="dim")
        elif self.kind == "months":
            chosen = set(v) if isinstance(v, list) else set()
            yield CheckList(
                *[
                    Selection(f"{i:>2} " + _(name), i, i in chosen)
                    for i, name in enumerate(MONTHS, 1)
                ],
                id="v-months",
                compact=True,
            )
        elif self.uses_choices:
            yield CheckList(id="v-choices", compact=True)
            yield Input(
                format_list(v),
                placeholder=_("other values, comma-separated"),
                id="v-other",
                compact=True,
                select_on_focus=False,  # type-ahead from the list appends, not replaces
            )
        else:
            yield Input(
                format_list(v),
                placeholder=_(PLACEHOLDER.get(t, N_("values"))) + ", …",
                id="v-list",
                compact=True,
            )

    # -- suggestions -----------------------------------------------------------------------
    def set_values(self, values: list[tuple[Any, int]]) -> None:
        """Known values with counts arrived: fill the multi-select / the suggester."""
        self.suggestions = values
        if self.kind == "scalar" and self.field.type == "string":
            inp = self.query_one("#v-scalar", Input)
            inp.suggester = SuggestFromList([format_scalar(x) for x, _ in values])
        if not self.uses_choices:
            return
        choices = self.query_one("#v-choices", SelectionList)
        other = self.query_one("#v-other", Input)
        wanted = split_list(other.value)
        chosen = set(choices.selected) | set(wanted)
        width = max((cell_len(format_scalar(x)) for x, _ in values), default=8)
        highlighted = choices.highlighted
        choices.clear_options()
        known = set()
        for value, count in values:
            text = format_scalar(value)
            known.add(text)
            choices.add_option(Selection(value_prompt(value, count, width), text, text in chosen))
        other.value = ", ".join(w for w in wanted if w not in known)
        if highlighted is not None and choices.option_count:
            choices.highlighted = min(highlighted, choices.option_count - 1)

    # -- reading ---------------------------------------------------------------------------
    def read(self) -> Any:
        """The value, checked by the engine; ValueError (and the input marked) when wrong."""
        for inp in self.query(Input):
            inp.remove_class("-invalid")
        t = self.field.type
        if self.kind == "none":
            return checked(t, self.op, None)
        if self.kind == "scalar":
            value = self._parse("#v-scalar", lambda s: parse_scalar(t, s))
        elif self.kind == "pair":
            value = [
                self._parse("#v-low", lambda s: parse_scalar(t, s)),
                self._parse("#v-high", lambda s: parse_scalar(t, s)),
            ]
        elif self.kind == "window":
            value = self._parse("#v-window", parse_window)
        elif self.kind == "months":
            value = sorted(self.query_one("#v-months", SelectionList).selected)
            if not value:
                raise ValueError(_("pick at least one month"))
        elif self.uses_choices:
            picked = list(self.query_one("#v-choices", SelectionList).selected)
            other = self.query_one("#v-other", Input).value
            value = picked + [x for x in split_list(other) if x not in picked]
            if not value:
                raise ValueError(_("pick at least one value (space toggles) or type some"))
        else:
            value = self._parse("#v-list", lambda s: parse_list(t, s))
            if not value:
                self.query_one("#v-list", Input).add_class("-invalid")
                raise ValueError(_("enter one or more values, comma-separated"))
        try:
            return checked(t, self.op, value)
        except ValueError:
            for inp in self.query(Input):
                inp.add_class("-invalid")
            raise

    def _parse(self, selector: str, parse) -> Any:
        inp = self.query_one(selector, Input)
        try:
            return parse(inp.value)
        except ValueError:
            inp.add_class("-invalid")
            raise

    def focus_first(self) -> None:
        for widget in self.query("Input, SelectionList"):
            if widget.focusable:
                widget.focus()
                return

    def on_key(self, event: events.Key) -> None:
        """Typing on the list of known values goes into "other values" (space still ticks)."""
        if not self.uses_choices or not isinstance(self.screen.focused, SelectionList):
            return
        if event.is_printable and event.character and event.character != " ":
            event.stop()
            event.prevent_default()
            other = self.query_one("#v-other", Input)
            other.focus()
            other.insert_text_at_cursor(event.character)

    @on(Input.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self))
