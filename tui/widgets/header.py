"""The one-line header every screen shows: snapshot file, as-of date, staleness, base size."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from queries.core.i18n import _

if TYPE_CHECKING:  # types only (the header paints before the session opens)
    from queries.query.session import Session

SEP = (" │ ", "dim")


def header_content(session: Session | None, today: date, status: str = "") -> Content:
    """`絆 Kizuna │ demo.duckdb │ as of 2026-11-20 │ ⚠ stale: 12 days old │ base 25,000`."""
    parts: list[str | tuple[str, str]] = [(" 絆 Kizuna", "bold")]
    if session is None:
        return Content.assemble(*parts, SEP, status or _("opening the snapshot…"))
    snap = session.snapshot
    parts += [
        SEP,
        (snap.path.name, "bold"),
        SEP,
        _("as of {day}").format(day=snap.as_of.isoformat()),
    ]
    if session.ws.as_of is not None and session.ws.as_of != snap.meta_as_of:
        parts.append((_(" (backtest: attributes are current)"), "italic"))
    age = (today - snap.meta_as_of).days
    if age > session.ws.stale_after_days:
        parts += [SEP, (_("⚠ stale: {days} days old").format(days=age), "bold $text-warning")]
    parts += [SEP, _("base {n}").format(n=f"{snap.base_size:,}")]
    return Content.assemble(*parts)


class SnapshotHeader(Static):
    """Shows which snapshot and as-of date every number on screen is about."""

    DEFAULT_CSS = """
    SnapshotHeader {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def on_mount(self) -> None:
        self.refresh_header()

    def refresh_header(self, status: str = "") -> None:
        app = self.app
        session = getattr(app, "session", None)
        today = app.today() if hasattr(app, "today") else date.today()
        self.update(header_content(session, today, status))
