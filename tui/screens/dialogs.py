"""Small modal dialogs: confirm, ask for a name (and description), pick a saved segment."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.button import ButtonVariant
from textual.widgets.option_list import Option

from queries.core.i18n import _
from tui.keymap import FOCUS_KEYS, bind


class ConfirmScreen(ModalScreen[str]):
    """Ask a question; dismiss with the id of the chosen button (`cancel` on Esc)."""

    BINDINGS = [bind("escape", "choose('cancel')", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.question = question
        self.choices = choices or [("yes", _("Yes")), ("cancel", _("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for i, (cid, label) in enumerate(self.choices):
                    variant: ButtonVariant = "primary" if i == 0 else "default"
                    yield Button(label, id=f"choice-{cid}", variant=variant, compact=True)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "choice-cancel").removeprefix("choice-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class PromptScreen(ModalScreen[tuple[str, str] | None]):
    """Ask for a name (and optionally a description); `check` returns an error or None."""

    BINDINGS = [bind("escape", "cancel", "Cancel", id="dialog.cancel"), *FOCUS_KEYS]

    def __init__(
        self,
        title: str,
        name: str = "",
        description: str | None = None,
        check: Callable[[str], str | None] | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__()
        self.label = label or _("Name")
        self.title_text = title or _("Refer to a segment")
        self.initial = name
        self.description = description
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.label)
            yield Input(self.initial, id="prompt-name", compact=True)
            if self.description is not None:
                yield Label(_("Description"))
                yield Input(self.description, id="prompt-description", compact=True)
            yield Static("", id="prompt-error", classes="error-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), id="prompt-ok", variant="primary", compact=True)
                yield Button(_("Cancel"), id="prompt-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-name", Input).focus()

    def _error(self, name: str) -> str | None:
        if not name.strip():
            return "✗ " + _("{what} is needed").format(what=self.label.lower())
        if self.check is not None:
            problem = self.check(name.strip())
            return f"✗ {problem}" if problem else None
        return None

    @on(Input.Changed, "#prompt-name")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error", Static).update(self._error(event.value) or "")

    @on(Input.Submitted)
    @on(Button.Pressed, "#prompt-ok")
    def _submit(self) -> None:
        name = self.query_one("#prompt-name", Input).value
        problem = self._error(name)
        if problem:
            self.query_one("#prompt-error", Static).update(problem)
            self.app.bell()
            return
        desc = ""
        if self.description is not None:
            desc = self.query_one("#prompt-description", Input).value.strip()
        self.dismiss((name.strip(), desc))

    @on(Button.Pressed, "#prompt-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SegmentPickerScreen(ModalScreen[str | None]):
    """Pick a saved segment by name (for a `segment:` reference)."""

    BINDINGS = [bind("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, names: list[tuple[str, str]], title: str | None = None) -> None:
        super().__init__()
        self.names = names
        self.title_text = title or _("Refer to a segment")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.names:
                yield OptionList(
                    *[Option(f"{title}  ({stem})", id=stem) for stem, title in self.names],
                    id="segment-options",
                )
            else:
                yield Static(_("No other saved segments yet."))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_unsaved(
    app: App, name: str, save: Callable[[Callable[[], object]], None], proceed: Callable[[], object]
) -> None:
    """Save / Discard / Cancel for unsaved changes to `name`: `proceed` runs after a save or a
    discard, never after Cancel."""

    def answered(choice: str | None) -> None:
        if choice == "save":
            save(proceed)
        elif choice == "discard":
            proceed()

    app.push_screen(
        ConfirmScreen(
            _("“{name}” has unsaved changes.").format(name=name),
            [("save", _("Save")), ("discard", _("Discard")), ("cancel", _("Cancel"))],
        ),
        answered,
    )
