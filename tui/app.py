"""Kizuna's Textual app: open the workspace in the background, then list and build segments."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from textual import on
from textual.app import App

from queries.core.errors import KizunaError
from queries.core.i18n import _
from tui.commands import KizunaCommands
from tui.keymap import bind, binding_ids, read_keymap
from tui.kizuna import Kizuna, session_of
from tui.messages import SessionFailed, SessionOpened, SessionProgressed
from tui.screens.dialogs import ConfirmScreen, PromptScreen, SegmentPickerScreen
from tui.screens.help import HelpScreen
from tui.screens.segments.segment_list import SegmentListScreen
from tui.workers import JobSlot, cancel_all

if TYPE_CHECKING:  # the session (sqlglot, DuckDB) loads in the worker, after the first screen
    from queries.engines.jobs import Job
    from queries.query.fastcount import ListPreview
    from queries.query.session import Session
    from queries.segments.model import Segment
    from tui.screens.builder.builder import BuilderScreen

# the builder and its dialogs (and sqlglot behind them) load after the first screen is painted
BUILDER_SCREENS = (
    ("widgets.segment_tree", "SegmentTree"),
    ("widgets.value_editor", "CheckList"),
    ("screens.builder.builder", "BuilderScreen"),
    ("screens.builder.condition", "ConditionScreen"),
    ("screens.builder.event", "EventScreen"),
    ("screens.builder.field_picker", "FieldPickerScreen"),
)
BUILDER_MODULE = f"{__package__}.screens.builder.builder"
# the campaign screens (and Liquid, approval, export behind them) load when first needed
CAMPAIGN_SCREENS = (
    ("screens.campaigns.campaign_list", "CampaignListScreen"),
    ("screens.campaigns.campaign_calendar", "CampaignCalendarScreen"),
    ("screens.campaigns.campaign_edit", "CampaignEditScreen"),
    ("screens.campaigns.campaign_preflight", "CampaignPreflightScreen"),
    ("screens.handoff.campaign_approve", "ApproveScreen"),
    ("screens.handoff.campaign_export", "ExportScreen"),
    ("screens.handoff.campaign_results", "CampaignResultsScreen"),
    ("screens.segments.segment_backtest", "BacktestScreen"),
)


def _screens(names: tuple[tuple[str, str], ...]) -> list[type]:
    import importlib

    return [getattr(importlib.import_module(f"{__package__}.{m}"), n) for m, n in names]


def segment_owners() -> list[type]:
    """The segment side's classes with key bindings (the builder's load here if not yet)."""
    first = [SegmentListScreen, *_screens(BUILDER_SCREENS)]
    return [*first, ConfirmScreen, PromptScreen, SegmentPickerScreen, HelpScreen]


def binding_owners() -> list[type]:
    """Every class whose key bindings `[keys]` in kizuna.toml may rebind."""
    return [*segment_owners(), *_screens(CAMPAIGN_SCREENS)]


def is_builder(screen: object) -> TypeGuard[BuilderScreen]:
    """Whether `screen` is a builder (none can be before the builder's module is loaded)."""
    module = sys.modules.get(BUILDER_MODULE)
    return module is not None and isinstance(screen, module.BuilderScreen)


THEMES = ("textual-dark", "textual-light")


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


class KizunaApp(App[None]):
    """The segment builder: compose, count, look, save — live, at 80x24 over SSH."""

    CSS_PATH = "app.tcss"
    TITLE = "Kizuna"
    COMMANDS = App.COMMANDS | {KizunaCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        bind("f1,question_mark", "help", "Help", id="app.help", key_display="F1"),
        bind("ctrl+t", "toggle_theme", "Theme", id="app.theme", show=False),
        bind("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        # Textual's own palette key, declared here so its footer label is translated too
        bind("ctrl+p", "command_palette", "palette", id="app.palette", priority=True, show=False),
    ]

    def __init__(
        self,
        workspace: Path | None = None,
        db: Path | None = None,
        as_of: str | None = None,
        engine: str | None = None,
        *,
        today: Callable[[], date] | None = None,
        monotonic: Callable[[], float] | None = None,
        lang: str | None = None,
        **kwargs,
    ) -> None:
        from queries.core.i18n import language
        from tui.lang import apply_language

        apply_language(lang or language())  # before any screen composes (tests pass lang=)
        super().__init__(**kwargs)
        self.workspace_arg = workspace
        self.db_arg = db
        self.as_of_arg = as_of
        self.engine_arg = engine
        self.session: Session | None = None
        self.session_slot = JobSlot(self, "open-session")
        self.today = today or utc_today  # staleness is relative to this (tests freeze it)
        self.monotonic = monotonic or time.monotonic  # elapsed "counting…" time
        self.values_cache: dict[tuple[str | None, str], list] = {}
        self.keymap: dict[str, str] = {}
        self._counts: dict[str, tuple[int, int]] = {}
        self.preview_context: list | None = None  # what the first screen's cached counts hold for
        self.last_stem: str | None = None  # the segment last opened or saved
        self.theme = THEMES[0]

    # -- opening the workspace -------------------------------------------------------------
    def on_mount(self) -> None:
        preview = self._preview()
        self.preview_context = preview.context if preview is not None else None
        if preview is not None:
            for row in preview.rows:
                self._counts.setdefault(row.stem, (row.mtime_ns, row.count))
        self.push_screen(SegmentListScreen(preview))
        self.call_after_refresh(self.open_session)  # the list paints before the engine loads

    def _preview(self) -> ListPreview | None:
        """The list's rows and counts from the caches (a few file reads: no sqlglot, no query),
        painted with the first screen; None unless every one of them is cached."""
        if self.engine_arg is not None:  # the caches serve the workspace's own DuckDB file
            return None
        from queries.core.i18n import language
        from queries.query.fastcount import cached_list

        try:
            return cached_list(self.workspace_arg, self.db_arg, self.as_of_arg, language())
        except Exception:  # a miss, whatever the reason: the session counts as before
            return None

    def open_session(self) -> None:
        """Open the workspace and snapshot in a thread (errors, even unexpected, are told).

        The engine's modules (sqlglot, DuckDB) are imported in that thread first, so the UI
        thread keeps painting the first screen meanwhile."""

        def load() -> None:
            import queries.engines.jobs  # noqa: F401  # JobSlot.start needs Job

            self.call_from_thread(self._open_session)

        self.run_worker(load, thread=True, group="open-session-imports", exit_on_error=False)

    def _open_session(self) -> None:
        args = self.workspace_arg, self.db_arg, self.as_of_arg

        def progress(text: str) -> None:
            self.post_message(SessionProgressed(text))

        def body(job: Job) -> SessionOpened:
            from queries.query.session import open_session

            session = open_session(*args, progress, self.engine_arg)
            segment_owners()  # load the builder's modules here, off the UI thread
            return SessionOpened(session)

        self.session_slot.start(body, on_error=SessionFailed)

    def _list_screen(self) -> SegmentListScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, SegmentListScreen):
                return screen
        return None

    @on(SessionProgressed)
    def _progress(self, event: SessionProgressed) -> None:
        screen = self._list_screen()
        if screen is not None:
            screen.session_progress(event.text)

    @on(SessionOpened)
    def _opened(self, event: SessionOpened) -> None:
        self.session = event.session
        if self.preview_context is not None and self.preview_context != self.session.cache_context:
            self._counts.clear()  # the snapshot (or kizuna.toml) changed since the preview
        self.apply_keys()
        screen = self._list_screen()
        if screen is not None:
            screen.session_ready()

    @on(SessionFailed)
    def _failed(self, event: SessionFailed) -> None:
        self.notify(event.error.render(), title=_("Cannot open"), severity="error", timeout=15)
        screen = self._list_screen()
        if screen is not None:
            screen.session_failed(event.error)

    def apply_keys(self) -> None:
        """Rebind keys from `[keys]` in kizuna.toml (binding id → key)."""
        if self.session is None:
            return
        keys = self.session.ws.raw.get("keys", {})
        # the campaign screens load only when a [keys] table needs their binding ids checked
        known = binding_ids([type(self), *(binding_owners() if keys else segment_owners())])
        keymap, problems = read_keymap(keys, known)
        self.keymap = keymap
        self.set_keymap(keymap)
        for problem in problems:
            self.notify(problem, severity="warning", timeout=10)

    # -- navigation ------------------------------------------------------------------------
    def open_builder(self, segment: Segment | None) -> None:
        if segment is not None and segment.path is not None:
            self.last_stem = segment.path.stem
        from tui.screens.builder.builder import BuilderScreen

        self.push_screen(BuilderScreen(segment))

    def open_stem(self, stem: str) -> None:
        """Open a saved segment by file stem, leaving the current builder first."""

        def go() -> None:
            while is_builder(self.screen):
                self.pop_screen()
            try:
                seg = session_of(self).store.load(stem)
            except KizunaError as exc:
                self.notify(exc.render(), severity="error", timeout=10)
                return
            self.open_builder(seg)

        if is_builder(self.screen):
            self.screen.leave(go)
        else:
            go()

    def new_segment(self) -> None:
        if is_builder(self.screen):

            def fresh() -> None:
                self.pop_screen()
                self.open_builder(None)

            self.screen.leave(fresh)
        elif self.session is not None:
            self.open_builder(None)

    def refresh_title(self, name: str, dirty: bool) -> None:
        """The builder's segment in the title bar, `*` when it has unsaved changes."""
        self.sub_title = name + (" *" if dirty else "")

    # -- the list's count cache (by file modification time) --------------------------------
    def _mtime(self, stem: str) -> int | None:
        path = session_of(self).ws.segments_dir / f"{stem}.yaml"
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    def cached_count(self, stem: str) -> int | None:
        hit = self._counts.get(stem)
        return hit[1] if hit and hit[0] == self._mtime(stem) else None

    def remember_count(self, stem: str, count: int) -> None:
        mtime = self._mtime(stem)
        if mtime is not None:
            self._counts[stem] = (mtime, count)

    def segments_changed(self) -> None:
        """A segment file was written or removed: references may have changed, recount all."""
        self._counts.clear()

    # -- app actions -----------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.current_theme.dark else THEMES[0]

    async def action_quit(self) -> None:
        self.quit_asking()

    def quit_asking(self) -> None:
        """Quit, asking first about unsaved changes in a builder or campaign editor."""
        from tui.screens.campaigns.campaign_edit import CampaignEditScreen

        builders = [
            s
            for s in self.screen_stack
            if (is_builder(s) or isinstance(s, CampaignEditScreen)) and s.dirty
        ]
        if builders and not isinstance(self.screen, (ConfirmScreen, PromptScreen)):
            if self.screen is not builders[-1]:
                while self.screen is not builders[-1]:
                    self.pop_screen()
            builders[-1].leave(self._quit_now)
            return
        self._quit_now()

    def action_help_quit(self) -> None:
        """ctrl+c quits like ctrl+q (inside a text box it copies, as text boxes do)."""
        self.quit_asking()

    def _quit_now(self) -> None:
        cancel_all()
        self.exit()

    def on_unmount(self) -> None:
        cancel_all()
        if self.session is not None:
            try:
                self.session.close()
            except Exception:
                pass


def _has_what_screens_use(app: KizunaApp) -> Kizuna:
    """mypy checks here that KizunaApp provides the protocol screens see it through."""
    return app
