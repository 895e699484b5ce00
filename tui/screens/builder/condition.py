"""Edit one field condition: operator list fits the field type, value editor fits the operator."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from queries.core.catalog import Field
from queries.core.i18n import _
from queries.segments.model import FieldCond
from queries.segments.ops import OPS, op_label, value_kind
from queries.segments.window_dates import covered_days
from tui.keymap import FOCUS_KEYS, bind
from tui.kizuna import kizuna, session_of
from tui.messages import ValuesLoaded
from tui.screens.builder.drafting import DraftingDialog
from tui.screens.builder.values import load_values
from tui.widgets.audience import AudienceBar
from tui.widgets.labels import field_parts
from tui.widgets.value_editor import CheckList, ValueEditor
from tui.widgets.value_parse import default_op
from tui.workers import JobSlot


def op_options(type_: str) -> list[tuple[str, str]]:
    return [(f"{op_label(op)}  ({op})", op) for op in OPS[type_]]


class ConditionScreen(DraftingDialog[FieldCond | None]):
    """`{field, op, value}` with inline validation; nothing invalid leaves this screen."""

    BINDINGS = [
        bind("escape", "cancel", "Cancel", id="condition.cancel"),
        bind("ctrl+s", "apply", "Apply", id="condition.apply", priority=True),
        bind("f2", "change_field", "Change field", id="condition.change_field"),
        *FOCUS_KEYS,
    ]

    def __init__(
        self, cond: FieldCond, event: str | None = None, drafts_to: Widget | None = None
    ) -> None:
        super().__init__(drafts_to)
        self.cond = cond
        self.event = event
        self.values_slot = JobSlot(self, "values")

    @property
    def fields(self) -> dict[str, Field]:
        cat = session_of(self).catalog
        return cat.events[self.event].fields if self.event else cat.fields

    @property
    def field(self) -> Field:
        return self.fields[self.cond.field]

    def compose(self) -> ComposeResult:
        f = self.field
        with Vertical(classes="dialog wide", id="condition-dialog"):
            yield Static(self._title(), id="cond-title", classes="dialog-title")
            yield Static(f.description or "", id="cond-desc", classes="dim", markup=False)
            with Horizontal(classes="form-row"):
                yield Label(_("Operator"), classes="form-label")
                yield Select(
                    op_options(f.type),
                    value=self.cond.op,
                    allow_blank=False,
                    id="cond-op",
                    compact=True,
                )
            with Horizontal(classes="form-row auto", id="cond-value-row"):
                yield Label(_("Value"), classes="form-label")
                yield ValueEditor(f, self.cond.op, self.cond.value, id="cond-value")
            yield Static("", id="cond-check", classes="check-line")
            if self.drafting:
                yield AudienceBar(clock=kizuna(self).monotonic, classes="dialog-audience")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), id="cond-ok", variant="primary", compact=True)
                yield Button(_("Change field"), id="cond-field", compact=True)
                yield Button(_("Cancel"), id="cond-cancel", compact=True)
            yield Static("", id="cond-hint", classes="hint")

    def _title(self) -> Content:
        f = self.field
        where = ""
        if self.event:
            where = " " + _("in {source}").format(
                source=session_of(self).catalog.events[self.event].label
            )
        return Content.assemble(
            (_("Condition on") + " ", ""),
            (f.label, "bold"),
            (f"  {f.name} · {f.type}{where}", "dim"),
        )

    def _hint(self) -> None:
        editor = self.query_one(ValueEditor)
        picks = _("space picks") + " · " if editor.kind in ("list", "months") else ""
        self.query_one("#cond-hint", Static).update(
            picks + _("enter/ctrl+s apply · f2 change field · esc cancel")
        )
        self.query_one("#cond-desc").display = bool(self.field.description)

    def on_mount(self) -> None:
        self._hint()
        editor = self.query_one(ValueEditor)
        if editor.kind == "none":
            self.query_one("#cond-ok", Button).focus()  # Enter applies, as the hint says
        else:
            editor.focus_first()
        self._load_values()
        self.validate(quiet=True)

    def _load_values(self) -> None:
        if self.field.type in ("string", "number") and not self.field.pii:
            load_values(self, self.field.name, self.event)  # never list personal data

    @on(ValuesLoaded)
    def _values(self, event: ValuesLoaded) -> None:
        if event.field == self.cond.field:
            for editor in self.query(ValueEditor):
                editor.set_values(event.values)

    # -- editing ---------------------------------------------------------------------------
    @on(Select.Changed, "#cond-op")
    async def _op_changed(self, event: Select.Changed) -> None:
        op = event.value
        if not isinstance(op, str) or op == self.cond.op:
            return
        old = self.query_one(ValueEditor)
        keep = self._current_value() if value_kind(self.field.type, op) == old.kind else None
        self.cond = FieldCond(self.cond.field, op, keep)
        await self._swap_editor()

    async def _swap_editor(self) -> None:
        """A value editor that fits the operator (or field) now chosen, in place of the old."""
        old = self.query_one(ValueEditor)
        new = ValueEditor(self.field, self.cond.op, self.cond.value, id="cond-value")
        await old.remove()
        await self.query_one("#cond-value-row").mount(new)
        self._hint()
        if new.kind != "none":
            new.focus_first()  # an operator was chosen: what is typed next is the value
        else:
            self.query_one("#cond-ok", Button).focus()  # nothing to type: Enter applies
        cached = kizuna(self).values_cache.get((self.event, self.field.name))
        if cached is not None:
            new.set_values(cached)
        self.validate(quiet=True)

    def _current_value(self) -> Any:
        try:
            return self.query_one(ValueEditor).read()
        except ValueError:
            return None

    @on(ValueEditor.Changed)
    def _value_changed(self) -> None:
        self.validate(quiet=True)

    def validate(self, quiet: bool = False) -> FieldCond | None:
        """Check what is typed; show ✓ and the condition in words, or ✗ and the reason."""
        line = self.query_one("#cond-check", Static)
        op = self.query_one("#cond-op", Select).value
        try:
            value = self.query_one(ValueEditor).read()
        except ValueError as exc:
            line.update(Content.assemble(("✗ ", "bold $text-error"), (str(exc), "$text-error")))
            line.set_class(True, "-invalid")
            self.drafted(None, str(exc))
            return None
        cond = FieldCond(self.cond.field, str(op), value)
        parts = field_parts(cond, session_of(self).catalog, self.event)
        days = covered_days(cond.op, cond.value, session_of(self).snapshot.as_of)
        if days:
            parts.append((f"  ({days})", "dim"))
        line.update(Content.assemble(("✓ ", "bold $text-success"), *parts))
        line.set_class(False, "-invalid")
        self.drafted(cond)
        return cond

    @on(Input.Submitted)
    @on(CheckList.Submitted)
    @on(Button.Pressed, "#cond-ok")
    def action_apply(self) -> None:
        cond = self.validate()
        if cond is None:
            self.app.bell()
            return
        self.values_slot.cancel()
        self.dismiss(cond)

    @on(Button.Pressed, "#cond-cancel")
    def action_cancel(self) -> None:
        self.values_slot.cancel()
        self.dismiss(None)

    @on(Button.Pressed, "#cond-field")
    def action_change_field(self) -> None:
        from tui.screens.builder.field_picker import FieldPickerScreen

        def picked(name: str | None) -> None:
            if not name or name == self.cond.field:
                return
            new_type = self.fields[name].type
            op = self.cond.op if self.cond.op in OPS[new_type] else default_op(new_type)
            same = new_type == self.field.type
            self.cond = FieldCond(name, op, self.cond.value if same else None)
            self.query_one("#cond-title", Static).update(self._title())
            self.query_one("#cond-desc", Static).update(self.field.description or "")
            select = self.query_one("#cond-op", Select)
            with select.prevent(Select.Changed):
                select.set_options(op_options(new_type))
                select.value = op
            self.call_later(self._swap_editor)
            self._load_values()

        self.app.push_screen(FieldPickerScreen(self.event), picked)
