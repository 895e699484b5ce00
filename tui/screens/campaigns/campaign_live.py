"""The live preview behind the campaign editor: debounced, rendered in a worker, stale dropped.

Every edit bumps a generation and restarts the debounce (`JobSlot.later`), so a newer
keystroke cancels it before any query runs. The thread
worker validates a snapshot of the draft with the engine and renders the sample recipients
with `queries.campaigns.preview.preview` (a `Job` it can interrupt), which also counts the policy
funnel and the arms; a result for an older generation is dropped.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static, TextArea

from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.preview import Preview, SampleMessage, preview
from queries.core.errors import CustomerNotFound, KizunaError
from queries.core.i18n import _
from queries.engines.jobs import Job
from tui.kizuna import session_of
from tui.screens.campaigns.campaign_draft import CampaignDraft, part_of, problem
from tui.screens.campaigns.campaign_messages import CampaignInvalid, CampaignPreviewed
from tui.widgets.campaign_form import CampaignForm
from tui.widgets.campaign_preview import (
    CampaignPreview,
    audience_content,
    message_content,
    notes_content,
)
from tui.workers import JobSlot

DEBOUNCE = 0.3  # seconds of quiet typing before the preview renders again
SAMPLES = 10  # sample recipients to flip through
FIELD_WIDGETS = {
    "who.segment": "cmp-segment",
    "how.channel": "cmp-channel",
    "how.destination": "cmp-destination",
    "when.send_at": "cmp-send-at",
    "holdout.percent": "cmp-holdout",
}
RULE_WIDGETS = {  # a field under one of these prefixes is shown on the rules rows
    "who.exclude": "cmp-exclude",
    "what.coupon": "cmp-rules",
    "policy": "cmp-rules",
    "when.quiet_hours": "cmp-rules",
    "drift_limit": "cmp-rules",
}
PART_WIDGETS = {
    "subject": "cmp-subject",
    "body": "cmp-template",
    "text": "cmp-template",
    "weight": "cmp-weight",
}


class CampaignLiveMixin(Screen):
    """Mixed into the editor: `request_preview()` and the handlers for its results."""

    debounce_s = DEBOUNCE

    draft: CampaignDraft | None
    path: Path
    variant: str
    generation: int
    campaign: Campaign | None
    result: Preview | None
    error: KizunaError | None
    index: int
    pinned: str | None
    unmask: bool
    raw: bool
    audience: Content
    checked: tuple[int, PreflightReport] | None

    def init_live(self) -> None:
        self.generation = 0
        self.campaign = None  # the last draft that compiled
        self.result = None
        self.error = None
        self.index = 0
        self.pinned = None  # a customer id asked for with `i`
        self.unmask = False
        self.raw = False
        self.audience = Content.styled(_("counting…"), "italic")
        self.checked = None
        self.preview_slot = JobSlot(self, "campaign-preview")

    def stop_live(self) -> None:
        self.preview_slot.cancel()

    @property
    def form(self) -> CampaignForm:
        return self.query_one(CampaignForm)

    @property
    def editor(self) -> TextArea:
        return self.query_one("#cmp-template", TextArea)

    def _title(self) -> None:
        """The title row: name (`*` when unsaved), file, and the audience of the last render."""
        d = self.draft
        assert d is not None
        dirty = d.dirty
        mark = [(" *", "bold $text-warning")] if dirty else []
        folder = self.path.parent.name
        rel = f"campaigns/{self.path.name}" if folder == "campaigns" else self.path.name
        name = self.campaign.name if self.campaign else d.base.name
        self.query_one("#cmp-title", Static).update(Content.assemble((name, "bold"), *mark))
        self.query_one("#cmp-file", Static).update(Content.styled(rel, "dim"))
        self.query_one("#cmp-audience", Static).update(self.audience)
        self.app.sub_title = name + (" *" if dirty else "")

    # -- the live preview ------------------------------------------------------------------
    def request_preview(self, immediate: bool = False) -> None:
        self._status(Content.styled(_("rendering…"), "dim italic"), keep_error=True)
        generation = self.generation

        def render() -> None:
            if generation == self.generation:
                self._render_now(generation)

        # a newer keystroke cancels this before any query
        self.preview_slot.later(0 if immediate else self.debounce_s, render)

    def _render_now(self, generation: int) -> None:
        d, s = self.draft, session_of(self)
        assert d is not None
        text = d.yaml(inline_files=True)  # a snapshot of the draft: the worker never reads it
        n, who, unmask = SAMPLES, self.pinned, self.unmask

        def body(job: Job) -> CampaignPreviewed:
            c = d.build(s.catalog, s.store, yaml_text=text)
            pv = preview(s, c, n, who, unmask, job)
            removed = None
            if who and pv.samples and not pv.samples[0].member:
                from queries.campaigns.why_not import removed_by

                removed = removed_by(s, c, pv.samples[0].customer_id, job)
            return CampaignPreviewed(generation, c, pv, removed)

        self.preview_slot.start(body, on_error=lambda exc: CampaignInvalid(generation, exc))

    @on(CampaignPreviewed)
    def _previewed(self, event: CampaignPreviewed) -> None:
        if event.generation != self.generation:
            return  # typed since: a newer render is on its way
        keep = self.current.customer_id if self.current else None
        self.campaign, self.result, self.error = event.campaign, event.preview, None
        self.removed = event.removed
        self.audience = audience_content(event.preview, notes=False)  # the title row: one line
        ids = [sm.customer_id for sm in event.preview.samples]
        self.index = ids.index(keep) if keep in ids else min(self.index, max(len(ids) - 1, 0))
        self.form.mark_invalid(None)
        self.editor.remove_class("-invalid")
        self.show_sample()
        self._title()
        self._status(self._ok_status())

    @on(CampaignInvalid)
    def _invalid(self, event: CampaignInvalid) -> None:
        if event.generation != self.generation:
            return
        if isinstance(event.error, CustomerNotFound) and self.pinned:
            self.notify(event.error.render(), severity="warning")
            self.pinned = None
            self.request_preview(immediate=True)
            return
        self.error = event.error
        if self.result is None:  # nothing rendered yet: no count either
            self.audience = Content.styled(_("✗ not counted"), "bold $text-error")
            self._title()
        where, text = problem(event.error)
        widget = FIELD_WIDGETS.get(where or "") or next(
            (w for pre, w in RULE_WIDGETS.items() if (where or "").startswith(pre)), None
        )
        loc = part_of(where)
        if loc is not None and self.draft is not None:
            name = self.draft.variants[loc[0]].name
            text = f"{name}.{text}" if loc[1] in PART_WIDGETS else text
            if name == self.variant:
                widget = PART_WIDGETS.get(loc[1], widget)
        self.form.mark_invalid(widget)
        self.editor.set_class(widget == "cmp-template", "-invalid")
        self.query_one(CampaignPreview).set_class(True, "-stale")
        self._status(
            Content.assemble(
                ("✗ ", "bold $text-error"),
                (text, "$text-error"),
                ("  — " + _("the preview shows the last good render"), "dim"),
            )
        )

    @property
    def current(self) -> SampleMessage | None:
        if self.result is None or not self.result.samples:
            return None
        return self.result.samples[min(self.index, len(self.result.samples) - 1)]

    def show_sample(self) -> None:
        """Draw the current recipient's message for the selected variant."""
        if self.result is None:
            return
        c = self.campaign
        pane = self.query_one(CampaignPreview)
        content = message_content(
            self.current,
            self.variant,
            self.index,
            len(self.result.samples),
            c.encoding if c else "utf-8",
            self.raw,
            self.result,
            max(20, pane.size.width - 3) if pane.size.width else 60,  # padding, scrollbar
            removed=getattr(self, "removed", None),
        )
        pane.show(content, stale=self.error is not None)

    def _ok_status(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        if self.checked is not None and self.checked[0] == self.generation:
            r = self.checked[1]
            parts.append(
                (
                    _("preflight ✓ OK · ")
                    if r.ok
                    else _("preflight ✗ {n} problem(s) · ").format(n=len(r.findings)),
                    "bold $text-success" if r.ok else "bold $text-error",
                )
            )
        who = (
            _("customer {id}").format(id=self.pinned)
            if self.pinned
            else _("{n} samples").format(n=SAMPLES)
        )
        parts.append(
            (_("✓ rendered for {who} · e edit · ] next · f preflight").format(who=who), "dim")
        )
        notes = notes_content(self.result) if self.result is not None else []
        return Content("\n").join([*notes, Content.assemble(*parts)])

    def _status(self, content: Content, keep_error: bool = False) -> None:
        if keep_error and self.error is not None:
            return
        self.query_one("#cmp-status", Static).update(content)
