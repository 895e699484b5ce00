"""The command palette (ctrl+p): segments, campaigns (preview, approve, export), edit, look."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from queries.core.errors import KizunaError
from queries.core.i18n import N_, _, language
from tui.kizuna import kizuna

Command = tuple[str, Callable[[], object], str]


def title(msgid: str, **values: object) -> str:
    """A command's title in the active language; in Japanese the English follows it, so
    `export` finds 出力 too."""
    shown = _(msgid).format(**values)
    if language() == "en":
        return shown
    english = msgid.format(**values)
    return shown if shown == english else f"{shown}  ·  {english}"


class KizunaCommands(Provider):
    """Kizuna's commands, depending on the screen the palette was opened from."""

    def _commands(self) -> list[Command]:
        from tui.screens.builder.builder import BuilderScreen

        app, k = self.app, kizuna(self.app)
        screen = self.screen
        out: list[Command] = [
            (title("Toggle light / dark theme"), k.action_toggle_theme, "ctrl+t"),
            (title("Help: keys and tour"), k.action_help, "F1"),
        ]
        session = k.session
        if session is None:
            return out
        out.append((title("New segment"), k.new_segment, _("start from an empty ALL group")))
        from tui.screens.campaigns.campaign_calendar import open_calendar
        from tui.screens.campaigns.campaign_list import open_campaigns

        out.append(
            (title("Campaigns: messages, preview, preflight"), partial(open_campaigns, app), "c")
        )
        out.append((title("Send calendar: campaigns by day"), partial(open_calendar, app), "k"))
        out.extend(_campaign_commands(app, session))
        for stem in session.store.names():
            try:
                name = session.store.load(stem).name
            except KizunaError:
                continue
            out.append(
                (
                    title("Open segment: {name}", name=name),
                    partial(k.open_stem, stem),
                    f"{stem}.yaml",
                )
            )
        out.extend(_editor_commands(screen))
        if not isinstance(screen, BuilderScreen):
            return out
        act = screen.run_action
        for msgid, action, help_text in [
            (N_("Add a field condition"), "add_field", "a"),
            (N_("Add an event condition"), "add_event", "e"),
            (N_("Add a segment reference"), "add_segment", "s"),
            (N_("Add a group (any of)"), "add_group", "g"),
            (N_("Save"), "save", "ctrl+s"),
            (N_("Save as…"), "save_as", "S"),
            (N_("Undo"), "undo", "ctrl+z"),
            (N_("Redo"), "redo", "ctrl+y"),
            (N_("Count again"), "count", "c"),
            (N_("Stop counting"), "cancel_count", "esc"),
            (N_("Show / mask personal data"), "unmask", "u"),
            (N_("Copy the SQL"), "copy_sql", "y"),
            (N_("Back to the segment list"), "back", "q"),
            (N_("Show the sample"), "look('sample')", "1"),
            (N_("Show the SQL"), "look('sql')", "4"),
            (N_("Explain a customer (why in / out)"), "look('customer')", "5"),
        ]:
            out.append((title(msgid), partial(act, action), help_text))
        for f in session.catalog.fields.values():
            if not f.pii and f.name != "customer_id" and not f.unavailable:
                out.append(
                    (
                        title("Breakdown by {field}", field=f.label),
                        partial(_breakdown, screen, f.name),
                        f.name,
                    )
                )
        for stem in session.store.names():
            if screen.path is None or stem != screen.path.stem:
                out.append(
                    (
                        title("Overlap with {name}", name=stem),
                        partial(_overlap, screen, stem),
                        "overlap",
                    )
                )
        from queries.engines.dialects import DIALECT_NAMES

        for d in DIALECT_NAMES:
            out.append(
                (title("SQL for {dialect}", dialect=d), partial(_dialect, screen, d), "dialect")
            )
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


# the campaign editor's keys, findable by name (`coupon`, `policy`, ...) from its palette
EDITOR_COMMANDS = (
    (N_("Coupon: a code per recipient or from a pool file…"), "coupon", "c"),
    (N_("Exclusions: leave people out of this campaign…"), "exclusions", "x"),
    (N_("Contact policy: consent, suppression, cap, dedupe, quiet hours…"), "policy", "p"),
    (N_("Preflight: render every recipient and check"), "preflight", "f"),
    (N_("Edit the message"), "edit", "e"),
    (N_("Preview a customer id"), "customer", "i"),
    (N_("Next variant"), "next_variant", "v"),
    (N_("HTML as source / as text"), "raw", "r"),
    (N_("Save the campaign"), "save", "ctrl+s"),
    (N_("Back to the campaign list"), "back", "q"),
)


def _editor_commands(screen) -> list[Command]:
    """The campaign editor's actions, when the palette is opened from it."""
    from tui.screens.campaigns.campaign_edit import CampaignEditScreen

    if not isinstance(screen, CampaignEditScreen):
        return []
    return [(title(m), partial(screen.run_action, a), key) for m, a, key in EDITOR_COMMANDS]


def _breakdown(screen, field: str) -> None:
    from tui.widgets.look_breakdown import BreakdownPane

    screen.look.show_tab("breakdown")
    screen.query_one(BreakdownPane).show_field(field)


def _overlap(screen, stem: str) -> None:
    from tui.widgets.look_overlap import OverlapPane

    screen.look.show_tab("overlap")
    screen.query_one(OverlapPane).compare_with(stem)


def _dialect(screen, dialect: str) -> None:
    from textual.widgets import Select

    screen.look.show_tab("sql")
    screen.query_one("#sql-dialect", Select).value = dialect


def _campaign_commands(app, session) -> list[Command]:
    """Preview, approve and export each campaign of the workspace, from anywhere."""
    from tui.screens.campaigns.campaign_list import campaign_files

    out: list[Command] = []
    for path in campaign_files(session.ws.campaigns_dir):
        name = _campaign_name(path)
        for verb, opener, key in (
            (N_("Preview campaign: {name}"), _open_editor, "enter"),
            (N_("Approve campaign: {name}"), _open_approve, "a"),
            (N_("Export campaign: {name}"), _open_export, "e"),
        ):
            out.append((title(verb, name=name), partial(opener, app, path), f"{path.name} · {key}"))
    return out


def _campaign_name(path) -> str:
    """The campaign's `name:` (the file stem when the file cannot be read)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return str(data.get("name") or path.stem) if isinstance(data, dict) else path.stem
    except Exception:
        return path.stem


def _open_editor(app, path) -> None:
    from tui.screens.campaigns.campaign_edit import CampaignEditScreen

    app.push_screen(CampaignEditScreen(path))


def _open_approve(app, path) -> None:
    from tui.screens.handoff.campaign_approve import ApproveScreen

    app.push_screen(ApproveScreen(path))


def _open_export(app, path) -> None:
    from tui.screens.handoff.campaign_export import ExportScreen

    app.push_screen(ExportScreen(path))
