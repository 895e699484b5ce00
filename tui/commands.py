"""The command palette (ctrl+p): open segments, edit, look, save, switch theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from queries.errors import KizunaError

Command = tuple[str, Callable[[], object], str]


class KizunaCommands(Provider):
    """Kizuna's commands, depending on the screen the palette was opened from."""

    def _commands(self) -> list[Command]:
        from .screens.builder import BuilderScreen

        app = self.app
        screen = self.screen
        out: list[Command] = [
            ("Toggle light / dark theme", app.action_toggle_theme, "ctrl+t"),
            ("Help: keys and tour", app.action_help, "F1"),
        ]
        session = getattr(app, "session", None)
        if session is None:
            return out
        out.append(("New segment", app.new_segment, "start from an empty ALL group"))
        from .screens.campaign_list import open_campaigns

        out.append(("Campaigns: messages, preview, preflight", partial(open_campaigns, app), "c"))
        for stem in session.store.names():
            try:
                name = session.store.load(stem).name
            except KizunaError:
                continue
            out.append((f"Open segment: {name}", partial(app.open_stem, stem), f"{stem}.yaml"))
        if not isinstance(screen, BuilderScreen):
            return out
        act = screen.run_action
        for title, action, help_text in [
            ("Add a field condition", "add_field", "a"),
            ("Add an event condition", "add_event", "e"),
            ("Add a segment reference", "add_segment", "s"),
            ("Add a group (any of)", "add_group", "g"),
            ("Save", "save", "ctrl+s"),
            ("Save as…", "save_as", "S"),
            ("Undo", "undo", "ctrl+z"),
            ("Redo", "redo", "ctrl+y"),
            ("Count again", "count", "c"),
            ("Stop counting", "cancel_count", "esc"),
            ("Show / mask personal data", "unmask", "u"),
            ("Copy the SQL", "copy_sql", "y"),
            ("Back to the segment list", "back", "q"),
            ("Show the sample", "look('sample')", "1"),
            ("Show the SQL", "look('sql')", "4"),
            ("Explain a customer (why in / out)", "look('customer')", "5"),
        ]:
            out.append((title, partial(act, action), help_text))
        for f in session.catalog.fields.values():
            if not f.pii and f.name != "customer_id" and not f.unavailable:
                out.append((f"Breakdown by {f.label}", partial(_breakdown, screen, f.name), f.name))
        for stem in session.store.names():
            if screen.path is None or stem != screen.path.stem:
                out.append((f"Overlap with {stem}", partial(_overlap, screen, stem), "overlap"))
        from .widgets.look_sql import DIALECTS

        for d in DIALECTS:
            out.append((f"SQL for {d}", partial(_dialect, screen, d), "dialect"))
        return out

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands()[:24]:
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def _breakdown(screen, field: str) -> None:
    from .widgets.look_breakdown import BreakdownPane

    screen.look.show_tab("breakdown")
    screen.query_one(BreakdownPane).show_field(field)


def _overlap(screen, stem: str) -> None:
    from .widgets.look_overlap import OverlapPane

    screen.look.show_tab("overlap")
    screen.query_one(OverlapPane).compare_with(stem)


def _dialect(screen, dialect: str) -> None:
    from textual.widgets import Select

    screen.look.show_tab("sql")
    screen.query_one("#sql-dialect", Select).value = dialect
