"""Edit an event condition: source, property filters, count, window and aggregate."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from queries.core.errors import SegmentError
from queries.core.i18n import _
from queries.segments.model import EventCond, FieldCond, Group, Node, node_to_dict
from queries.segments.ops import AGG_FNS, COMPARE_OPS, op_label
from queries.segments.parse import parse_node
from tui.keymap import FOCUS_KEYS, bind
from tui.kizuna import kizuna, session_of
from tui.screens.builder.condition import ConditionScreen
from tui.screens.builder.drafting import DraftingDialog
from tui.screens.builder.field_picker import FieldPickerScreen
from tui.widgets.audience import AudienceBar
from tui.widgets.labels import event_parts, field_parts, inline_parts
from tui.widgets.value_parse import (
    default_op,
    format_list,
    format_scalar,
    parse_number,
    split_list,
)

AT_LEAST_ONCE = "once"
NO_AGG = "none"
INPUT_FOR = {"count": "#ev-count", "within": "#ev-within", "aggregate": "#ev-agg-value"}


def flat_filters(where: Node | None) -> list[FieldCond] | None:
    """The where as a list of ANDed field conditions, or None when it is more complex."""
    if where is None:
        return []
    if isinstance(where, FieldCond):
        return [where]
    if (
        isinstance(where, Group)
        and where.kind == "all"
        and all(isinstance(c, FieldCond) for c in where.children)
    ):
        return list(where.children)  # type: ignore[arg-type]
    return None


def parse_within(text: str) -> Any:
    """`30d`, `6mo`, `2026-01-01..2026-03-31` (or `… to …`); empty = all time."""
    raw = text.strip()
    if not raw:
        return None
    for sep in ("..", " to ", "〜", "~"):
        if sep in raw:
            lo, hi = (p.strip() for p in raw.split(sep, 1))
            return {"from": lo, "to": hi}
    return raw.lower().replace(" ", "")


def format_within(w: Any) -> str:
    if isinstance(w, dict):
        return f"{format_scalar(w.get('from'))}..{format_scalar(w.get('to'))}"
    return format_scalar(w)


def parse_compare_value(op: str, text: str) -> Any:
    if op == "between":
        parts = split_list(text)
        if len(parts) != 2:
            raise ValueError(_("`between` needs two numbers: low, high"))
        return [parse_number(p) for p in parts]
    return parse_number(text)


class EventScreen(DraftingDialog[EventCond | None]):
    """How often (or how much) someone did something, in a window."""

    BINDINGS = [
        bind("escape", "cancel", "Cancel", id="event.cancel"),
        bind("ctrl+s", "apply", "Apply", id="event.apply", priority=True),
        bind("f3", "add_filter", "Add filter", id="event.add_filter"),
        bind("f4", "remove_filter", "Remove filter", id="event.remove_filter"),
        *FOCUS_KEYS,
    ]

    def __init__(self, cond: EventCond, drafts_to: Widget | None = None) -> None:
        super().__init__(drafts_to)
        self.cond = cond
        self.filters = flat_filters(cond.where)
        self.complex_where = cond.where if self.filters is None else None

    @property
    def catalog(self):
        return session_of(self).catalog

    def compose(self) -> ComposeResult:
        c = self.cond
        sources = [
            (src.label, name) for name, src in self.catalog.events.items() if not src.unavailable
        ]
        count_ops = [(_("at least once"), AT_LEAST_ONCE)] + [
            (_("count") + " " + op_label(op), op) for op in COMPARE_OPS
        ]
        count_op = c.count.op if c.count is not None else AT_LEAST_ONCE
        agg = c.aggregate
        with Vertical(classes="dialog wide", id="event-dialog"):
            yield Static(_("Event condition"), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Event"), classes="form-label")
                yield Select(
                    sources, value=c.event, allow_blank=False, id="ev-source", compact=True
                )
            with Horizontal(classes="form-row auto"):
                yield Label(_("Where"), classes="form-label")
                with Vertical(id="ev-filters-box"):
                    yield OptionList(id="ev-filters", compact=True)
                    with Horizontal(classes="inline-buttons"):
                        yield Button(_("+ filter (f3)"), id="ev-add-filter", compact=True)
                        yield Button(_("remove (f4)"), id="ev-remove-filter", compact=True)
            with Horizontal(classes="form-row"):
                yield Label(_("How often"), classes="form-label")
                yield Select(
                    count_ops, value=count_op, allow_blank=False, id="ev-count-op", compact=True
                )
                yield Input(
                    format_list(c.count.value) if c.count else "",
                    placeholder=_("e.g. 2"),
                    id="ev-count",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Within"), classes="form-label")
                yield Input(
                    format_within(c.within),
                    id="ev-within",
                    compact=True,
                    placeholder=_("all time · 30d · 6mo · 2026-01-01..2026-03-31"),
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Aggregate"), classes="form-label")
                yield Select(
                    [(_("no aggregate"), NO_AGG)] + [(fn, fn) for fn in AGG_FNS],
                    value=agg.fn if agg else NO_AGG,
                    allow_blank=False,
                    id="ev-agg-fn",
                    compact=True,
                )
                yield Select(
                    self._agg_fields(c.event),
                    value=agg.field if agg else Select.NULL,
                    id="ev-agg-field",
                    compact=True,
                    prompt=_("field"),
                )
                yield Select(
                    [(op_label(op), op) for op in COMPARE_OPS],
                    value=agg.op if agg else ">=",
                    allow_blank=False,
                    id="ev-agg-op",
                    compact=True,
                )
                yield Input(
                    format_list(agg.value) if agg else "",
                    placeholder=_("value"),
                    id="ev-agg-value",
                    compact=True,
                )
            yield Static("", id="ev-check", classes="check-line")
            if self.drafting:
                yield AudienceBar(clock=kizuna(self).monotonic, classes="dialog-audience")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), id="ev-ok", variant="primary", compact=True)
                yield Button(_("Cancel"), id="ev-cancel", compact=True)
            yield Static(
                _("ctrl+s apply · enter on a filter edits it · esc cancel"), classes="hint"
            )

    def _agg_fields(self, event: str) -> list[tuple[str, str]]:
        src = self.catalog.events[event]
        return [
            (f.label, f.name)
            for f in src.fields.values()
            if f.name != src.time_field and not f.unavailable
        ]

    def on_mount(self) -> None:
        self._show_filters()
        self._sync_enabled()
        self.validate()
        self.query_one("#ev-source", Select).focus()

    # -- filters ---------------------------------------------------------------------------
    def _show_filters(self, highlight: int | None = None) -> None:
        options = self.query_one("#ev-filters", OptionList)
        options.clear_options()
        if self.filters is None:
            assert self.complex_where is not None  # filters too complex to list are kept
            parts = inline_parts(self.complex_where, self.catalog, self.cond.event)
            kept = Content.assemble(*parts, (" " + _("(kept as is)"), "dim"))
            options.add_option(Option(kept, "complex"))
        elif not self.filters:
            options.add_option(Option(Content.styled(_("any row (no filter)"), "dim"), "none"))
        else:
            for i, f in enumerate(self.filters):
                parts = field_parts(f, self.catalog, self.cond.event)
                options.add_option(Option(Content.assemble(*parts), str(i)))
        if highlight is not None and options.option_count:
            options.highlighted = min(highlight, options.option_count - 1)

    def _where(self) -> Node | None:
        if self.filters is None:
            return self.complex_where
        if not self.filters:
            return None
        return Group("all", tuple(self.filters))

    @on(Button.Pressed, "#ev-add-filter")
    def action_add_filter(self) -> None:
        event = self.cond.event

        def picked(name: str | None) -> None:
            if name:
                ftype = self.catalog.events[event].fields[name].type
                op = "=" if ftype == "string" else default_op(ftype)
                self.app.push_screen(ConditionScreen(FieldCond(name, op), event), added)

        def added(cond: FieldCond | None) -> None:
            if cond is not None:
                self.filters = [*(self.filters or []), cond]
                self.complex_where = None
                self._show_filters(len(self.filters) - 1)
                self.validate()

        self.app.push_screen(FieldPickerScreen(event), picked)

    @on(OptionList.OptionSelected, "#ev-filters")
    def _edit_filter(self, event: OptionList.OptionSelected) -> None:
        if not self.filters or event.option.id in ("none", "complex"):
            if event.option.id == "none":
                self.action_add_filter()
            return
        i = int(event.option.id or 0)

        def edited(cond: FieldCond | None) -> None:
            if cond is not None and self.filters is not None:
                self.filters[i] = cond
                self._show_filters(i)
                self.validate()

        self.app.push_screen(ConditionScreen(self.filters[i], self.cond.event), edited)

    @on(Button.Pressed, "#ev-remove-filter")
    def action_remove_filter(self) -> None:
        options = self.query_one("#ev-filters", OptionList)
        if self.filters is None:
            self.filters, self.complex_where = [], None
        elif self.filters and options.highlighted is not None:
            del self.filters[options.highlighted]
        self._show_filters(options.highlighted or 0)
        self.validate()

    # -- the rest of the form --------------------------------------------------------------
    @on(Select.Changed, "#ev-source")
    def _source_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or event.value == self.cond.event:
            return
        self.cond = EventCond(event.value)
        self.filters, self.complex_where = [], None
        agg_field = self.query_one("#ev-agg-field", Select)
        agg_field.set_options(self._agg_fields(event.value))
        self._show_filters()
        self.validate()

    @on(Select.Changed, "#ev-count-op")
    def _count_op_changed(self, event: Select.Changed) -> None:
        """A count to type: the cursor goes to its box, so the digits typed next land there."""
        count = self.query_one("#ev-count", Input)
        if event.value != AT_LEAST_ONCE and event.select.has_focus:
            count.display = True
            count.focus()

    @on(Select.Changed, "#ev-agg-op")
    def _agg_op_changed(self, event: Select.Changed) -> None:
        if event.select.has_focus:
            self.query_one("#ev-agg-value", Input).focus()

    @on(Select.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        self._sync_enabled()
        self.validate()

    def _sync_enabled(self) -> None:
        count_op = self.query_one("#ev-count-op", Select).value
        self.query_one("#ev-count", Input).display = count_op != AT_LEAST_ONCE
        has_agg = self.query_one("#ev-agg-fn", Select).value != NO_AGG
        for sel in ("#ev-agg-field", "#ev-agg-op", "#ev-agg-value"):
            self.query_one(sel).display = has_agg

    def build(self) -> dict[str, Any]:
        """The condition as YAML data; ValueError (input marked) for what cannot parse."""
        data: dict[str, Any] = {"event": self.query_one("#ev-source", Select).value}
        where = self._where()
        if where is not None:
            data["where"] = node_to_dict(where)
        count_op = self.query_one("#ev-count-op", Select).value
        if count_op != AT_LEAST_ONCE:
            value = self._number("#ev-count", lambda s: parse_compare_value(str(count_op), s))
            data["count"] = {"op": count_op, "value": value}
        within = parse_within(self.query_one("#ev-within", Input).value)
        if within is not None:
            data["within"] = within
        fn = self.query_one("#ev-agg-fn", Select).value
        if fn != NO_AGG:
            field = self.query_one("#ev-agg-field", Select).value
            if field is Select.NULL:
                raise ValueError(_("choose the field to aggregate"))
            op = str(self.query_one("#ev-agg-op", Select).value)
            value = self._number("#ev-agg-value", lambda s: parse_compare_value(op, s))
            data["aggregate"] = {"fn": fn, "field": field, "op": op, "value": value}
        return data

    def _number(self, selector: str, parse) -> Any:
        inp = self.query_one(selector, Input)
        try:
            return parse(inp.value)
        except ValueError:
            inp.add_class("-invalid")
            raise

    def validate(self) -> EventCond | None:
        """Parse the form with the engine's own parser; show ✓ in words or ✗ and the reason."""
        line = self.query_one("#ev-check", Static)
        for inp in self.query(Input):
            inp.remove_class("-invalid")
        try:
            node = parse_node(self.build(), self.catalog)
        except ValueError as exc:
            self._bad(line, str(exc))
            return None
        except SegmentError as exc:
            top = (exc.loc.field or "").split(".")[0]
            if top in INPUT_FOR:
                self.query_one(INPUT_FOR[top], Input).add_class("-invalid")
            where = f"{exc.loc.field}: " if exc.loc.field else ""
            self._bad(line, where + exc.message + (f" ({exc.hint})" if exc.hint else ""))
            return None
        assert isinstance(node, EventCond)
        parts = event_parts(node, self.catalog)
        line.update(Content.assemble(("✓ ", "bold $text-success"), *parts))
        line.set_class(False, "-invalid")
        self.drafted(node)
        return node

    def _bad(self, line: Static, message: str) -> None:
        line.update(Content.assemble(("✗ ", "bold $text-error"), (message, "$text-error")))
        line.set_class(True, "-invalid")
        self.drafted(None, message)
        return None

    @on(Input.Submitted)
    @on(Button.Pressed, "#ev-ok")
    def action_apply(self) -> None:
        node = self.validate()
        if node is None:
            self.app.bell()
            return
        self.dismiss(node)

    @on(Button.Pressed, "#ev-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
