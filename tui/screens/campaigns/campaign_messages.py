"""Past-tense events the campaign screens' workers post; the screens' handlers own the state."""

from __future__ import annotations

from textual.message import Message

from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.preview import Preview
from queries.core.errors import KizunaError


class CampaignCounted(Message):
    """A campaign in the list was counted (recipients after the policy funnel) or failed."""

    def __init__(self, stem: str, count: int | None, error: str | None = None) -> None:
        super().__init__()
        self.stem = stem
        self.count = count
        self.error = error


class CampaignsCounted(Message):
    """The background count of every campaign in the list finished."""


class CampaignPreviewed(Message):
    """The draft compiled and sample recipients were rendered, for draft `generation`."""

    def __init__(
        self, generation: int, campaign: Campaign, preview: Preview, removed: str | None = None
    ) -> None:
        super().__init__()
        self.generation = generation
        self.campaign = campaign
        self.preview = preview
        self.removed = removed  # for a chosen non-recipient: the funnel step that removed them


class CampaignInvalid(Message):
    """The draft of `generation` does not validate or render (a template or field error)."""

    def __init__(self, generation: int, error: KizunaError) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class PreflightProgressed(Message):
    """Preflight rendered `done` of `total` recipients."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class PreflightFinished(Message):
    """Preflight rendered every recipient; the report says what would go wrong."""

    def __init__(self, report: PreflightReport) -> None:
        super().__init__()
        self.report = report


class PreflightFailed(Message):
    """Preflight could not run (the draft is invalid, or a query failed)."""

    def __init__(self, error: KizunaError) -> None:
        super().__init__()
        self.error = error
