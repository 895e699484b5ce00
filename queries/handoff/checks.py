"""Checks around the handoff itself: a send time already past, a re-export, a stale snapshot,
and presets whose file carries attributes rather than the rendered messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb

from queries.campaigns.model import Campaign
from queries.campaigns.presets import attributes_note, carries_messages
from queries.core.i18n import N_, _
from queries.handoff import ledger
from queries.handoff.refusals import ReplaceNeeded, SendTimePassed


def now() -> datetime:
    """The wall clock (UTC): a send time is about the real send, not the snapshot."""
    return datetime.now(timezone.utc)


GO_ANYWAY = {
    "export": N_("export with --force to hand it off anyway (recorded)"),
    "approve": N_("approve with --force to approve it anyway (recorded; the export asks again)"),
}


def send_time_passed(c: Campaign, at: datetime | None = None, step: str = "export") -> str | None:
    """Why the campaign's `send_at` is no longer ahead, or None (no send_at: sent on export).

    `step` (export or approve) names the command whose `--force` goes past it."""
    send_at = c.when.send_at
    if send_at is None:
        return None
    at = at or now()
    if send_at > at:
        return None
    ago = at - send_at
    days, hours = ago.days, ago.seconds // 3600
    span = (
        _("{days} day(s) {hours} hour(s)").format(days=days, hours=hours)
        if days
        else _("{hours} hour(s) {minutes} min").format(hours=hours, minutes=ago.seconds // 60 % 60)
    )
    return _(
        "`send_at` {send_at} is already past ({span} ago); move `when.send_at` "
        "to the real send time, or {go_anyway}"
    ).format(send_at=send_at.isoformat(), span=span, go_anyway=_(GO_ANYWAY[step]))


def check_send_time(c: Campaign, force: bool, step: str = "export") -> bool:
    """Refuse a past send time unless forced; True when the step goes ahead forced past it."""
    why = send_time_passed(c, step=step)
    if why is None:
        return False
    if not force:
        raise SendTimePassed(
            why, {"send_at": c.when.send_at.isoformat() if c.when.send_at else None}
        )
    return True


@dataclass(frozen=True)
class PreviousExport:
    """The campaign's last export on record (its ledger file): when and to how many."""

    export_id: str
    recipients: int
    when: str

    def describe(self) -> str:
        return f"the export of {self.when} ({self.recipients:,} recipients, {self.export_id})"


def previous_export(ws: Any, stem: str) -> PreviousExport | None:
    """The campaign's latest export from its ledger file, or None when it was never exported."""
    path = ledger.file_for(ws, stem)
    if not path.is_file():
        return None
    con = duckdb.connect()
    try:
        lit = str(path).replace("'", "''")
        [(n, export_id)] = con.execute(
            f"SELECT count(*), max(export_id) FROM read_parquet('{lit}')"
        ).fetchall()
    finally:
        con.close()
    when = str(export_id)
    try:
        when = datetime.strptime(str(export_id)[:16], "%Y%m%dT%H%M%SZ").strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )
    except ValueError:
        pass
    return PreviousExport(str(export_id), int(n), when)


def check_replace(ws: Any, c: Campaign, replace: bool) -> PreviousExport | None:
    """Refuse a re-export unless `replace`; returns what it replaces (None: a first export)."""
    prev = previous_export(ws, c.stem)
    if prev is not None and not replace:
        raise ReplaceNeeded(
            f"`{c.stem}` was exported before: {prev.describe()}. Exporting again replaces that "
            "handoff (upload only the new files, or the recipients get it twice); "
            "pass --replace to go ahead",
            {"previous": prev.export_id, "recipients": prev.recipients},
        )
    return prev


def stale_warning(session: Any) -> str | None:
    """A snapshot older than `stale_after_days` (kizuna.toml): a warning at approval."""
    snap = session.snapshot
    try:
        days, limit = snap.stale_days, session.ws.stale_after_days
    except AttributeError:
        return None
    if days <= limit:
        return None
    return (
        f"the snapshot is {days} days old (as of {snap.meta_as_of}), older than "
        f"stale_after_days = {limit}: the audience may have moved; refresh it before sending"
    )


__all__ = [
    "PreviousExport",
    "attributes_note",
    "carries_messages",
    "check_replace",
    "check_send_time",
    "previous_export",
    "send_time_passed",
    "stale_warning",
]
