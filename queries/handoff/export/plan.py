"""What an export's audience file holds and where it goes, handed to whichever writer writes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from queries.campaigns.audience import CampaignQuery
from queries.campaigns.presets import OutColumn, Preset


@dataclass(frozen=True)
class AudiencePlan:
    """The audience file's query, columns and preset, its folder and size (the request says
    how to write it: fast or not, batch size, pause)."""

    q: CampaignQuery
    cols: list[OutColumn]
    preset: Preset
    partial: Path  # the export's partial folder
    total: int  # recipients, as the funnel counted them
    status: exp.Expr  # the funnel's status table
    with_messages: bool
