"""SQL tab: the generated audience query for an engine, highlighted, copyable (y)."""

from __future__ import annotations

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, Select, Static

from queries.core.errors import KizunaError
from queries.core.i18n import _
from queries.engines.dialects import DIALECT_NAMES
from queries.segments.model import Segment
from tui.kizuna import session_of
from tui.widgets.look_pane import LookPane


class SqlPane(LookPane):
    """The compiled query (no database work: compiling is instant)."""

    what = "sql"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dialect = "duckdb"
        self.text = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-bar"):
            yield Label(_("Dialect "), classes="form-label-short")
            yield Select(
                [(d, d) for d in DIALECT_NAMES],
                value=self.dialect,
                allow_blank=False,
                id="sql-dialect",
                compact=True,
            )
            yield Button(_("Copy (y)"), id="sql-copy", compact=True)
        with VerticalScroll(id="sql-scroll"):
            yield Static("", id="sql-text")

    def load(self, seg: Segment, generation: int) -> None:
        target = self.query_one("#sql-text", Static)
        try:
            self.text = session_of(self).runner.sql(seg, self.dialect)
        except Exception as exc:  # a compile error is shown here, never raised
            self.text = ""
            message = exc.render() if isinstance(exc, KizunaError) else repr(exc)
            target.update(Content.assemble(("✗ ", "bold $text-error"), message))
            return
        dark = self.app.current_theme.dark
        target.update(
            Syntax(
                self.text,
                "sql",
                theme="ansi_dark" if dark else "ansi_light",
                background_color="default",
                word_wrap=True,
            )
        )

    @on(Select.Changed, "#sql-dialect")
    def _dialect(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.dialect:
            self.dialect = event.value
            self.reload()

    @on(Button.Pressed, "#sql-copy")
    def copy(self) -> None:
        if self.stale:
            self.reload()
        if not self.text:
            self.notify(_("No SQL to copy."), severity="warning")
            return
        self.app.copy_to_clipboard(self.text)
        self.notify(
            _("Copied the {dialect} SQL ({n} lines).").format(
                dialect=self.dialect, n=len(self.text.splitlines())
            )
        )
