"""Help: every key binding of the screen underneath and the app, with ids for `[keys]`."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from queries.core.i18n import N_, _
from tui.keymap import bind, bindings_of, keys_for

INTRO = {
    "BuilderScreen": N_(
        "Build the segment as a tree. Add conditions with a (field), e (event), s (another "
        "segment) or g (a group); Enter edits, t switches ALL/ANY, n negates, w wraps. The "
        "audience is counted as you go (esc stops a count). Tabs 1-5: sample, breakdown, "
        "overlap, SQL, customer (why in / out)."
    ),
    "SegmentListScreen": N_(
        "Saved segments of this workspace with their audience. n builds a new one, Enter "
        "opens one; d duplicates, r renames, del deletes."
    ),
}


def bindings_table(title: str, owner: object, keymap: dict[str, str], app) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=None,
        padding=(0, 2, 0, 0),
        title_style="bold",
        show_header=False,
    )
    table.add_column(_("key"), no_wrap=True, style="bold")
    table.add_column(_("action"))
    table.add_column(_("id"), style="dim", no_wrap=True)
    for b in bindings_of(owner):
        if not b.id:
            continue
        keys = keys_for(b, keymap)
        shown = ", ".join(app.get_key_display(_one(k)) for k in keys.split(","))
        table.add_row(shown, Text(b.description or b.action), b.id or "")
    return table


def _one(key: str):
    from textual.binding import Binding

    return Binding(key.strip(), "")


class HelpScreen(ModalScreen[None]):
    """Keys for the current screen and the whole app; esc or F1 closes."""

    BINDINGS = [
        bind("escape,f1,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "keymap", {})
        name = type(self.under).__name__
        parts: list = []
        if name in INTRO:
            parts += [Text(_(INTRO[name])), Text("")]
        parts.append(bindings_table(_("This screen"), self.under, keymap, self.app))
        parts.append(Text(""))
        parts.append(bindings_table(_("Everywhere"), self.app, keymap, self.app))
        parts.append(Text(""))
        parts.append(
            Text(
                _("ctrl+p opens the command palette. Rebind any key by id in kizuna.toml:")
                + '\n[keys]\n"builder.add_field" = "f"',
                style="dim",
            )
        )
        with Vertical(classes="dialog wide", id="help-dialog"):
            yield Static(_("Help"), classes="dialog-title")
            with VerticalScroll():
                yield Static(Group(*parts))
            yield Static(_("esc closes"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
