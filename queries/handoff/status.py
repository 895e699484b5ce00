"""Where a campaign stands: draft, approved, changed since approval, exported (when), measured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from queries.campaigns.model import Campaign
from queries.core.i18n import _
from queries.handoff.approval_record import load_approval
from queries.handoff.fingerprint import fingerprint


@dataclass(frozen=True)
class CampaignStatus:
    """One campaign's state, with what the list shows and the detail line says."""

    state: str  # draft, approved, changed, exported or measured
    short: str  # `draft`, `approved`, `changed!`, `exported 11-28`, `measured`
    detail: str  # a sentence for the detail line

    @property
    def approved(self) -> bool:
        return self.state in ("approved", "exported", "measured")


def export_folders(root: Path, stem: str) -> list[Path]:
    """Finished export folders of a campaign, oldest first (partial, hidden ones skipped)."""
    d = Path(root) / "exports" / stem
    if not d.is_dir():
        return []
    return sorted(
        p
        for p in d.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file()
    )


def results_files(root: Path, stem: str) -> list[Path]:
    """Saved measurement summaries of a campaign (results/<stem>-<export id>.md)."""
    d = Path(root) / "results"
    return sorted(d.glob(f"{stem}-*.md")) if d.is_dir() else []


def _when(folder_name: str) -> datetime | None:
    try:
        return datetime.strptime(folder_name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def campaign_status(session: Any, c: Campaign) -> CampaignStatus:
    """The campaign's state from its approval record, its fingerprint, exports and results."""
    root = session.ws.root
    rec = load_approval(session.ws, c.stem)
    if rec is None:
        return CampaignStatus("draft", _("draft"), _("draft: not approved yet (a approves)"))
    by, at = rec.approved_by, rec.approved_at[:16].replace("T", " ")
    changes = rec.fingerprint.changes(fingerprint(session, c))
    if changes:
        return CampaignStatus(
            "changed",
            _("changed!"),
            _("changed since approval by {by} ({at}): {changes}; approve again").format(
                by=by, at=at, changes="; ".join(changes)
            ),
        )
    exports = export_folders(root, c.stem)
    if results_files(root, c.stem):
        return CampaignStatus(
            "measured", _("measured"), _("measured; approved by {by} ({at})").format(by=by, at=at)
        )
    if exports:
        when = _when(exports[-1].name)
        stamp = when.strftime("%m-%d %H:%M") if when else exports[-1].name
        return CampaignStatus(
            "exported",
            _("exported {day}").format(day=stamp[:5]),
            _("exported {stamp} UTC ({n} export(s)); approved by {by} ({at})").format(
                stamp=stamp, n=len(exports), by=by, at=at
            ),
        )
    return CampaignStatus(
        "approved",
        _("approved"),
        _("approved by {by} ({at}); not exported yet").format(by=by, at=at),
    )
