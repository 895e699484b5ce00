"""Approve a campaign: review its funnel, preflight, samples and audience changes, then sign."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, ProgressBar, Static

from queries.campaigns.funnel import Funnel, labels
from queries.campaigns.parse import load_campaign
from queries.campaigns.preview import Preview, preview
from queries.core.errors import KizunaError
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.handoff.approval import AudienceChanges, Review, approval_path, approve, review
from queries.handoff.approval_record import Approval
from queries.handoff.audit import who, who_text
from queries.handoff.checks import send_time_passed
from queries.handoff.refusals import ExportError
from tui.keymap import bind
from tui.kizuna import session_of
from tui.screens.campaigns.campaign_preflight import report_content
from tui.widgets.header import SnapshotHeader
from tui.widgets.tick import TickBox
from tui.workers import JobSlot

BAD = "bold $text-error"
OFF = "bold reverse $text-error"
GOOD = "bold $text-success"
SAMPLES = 3


class ReviewProgressed(Message):
    """The review's preflight rendered `done` of `total` recipients."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ReviewReady(Message):
    """The review (funnel, preflight, audience changes) and sample messages were computed."""

    def __init__(self, review: Review, preview: Preview | None) -> None:
        super().__init__()
        self.review = review
        self.preview = preview


class ReviewFailed(Message):
    """The campaign could not be loaded or reviewed."""

    def __init__(self, error: KizunaError) -> None:
        super().__init__()
        self.error = error


def os_user() -> str:
    """The operating-system user, as a default approver name."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return ""


def fit_cells(text: str, width: int) -> str:
    """`text` padded or cut (with …) to exactly `width` display cells (kanji take two)."""
    if cell_len(text) > width:
        text = set_cell_size(text, max(width - 1, 0)) + "…"
    return text + " " * (width - cell_len(text))


def funnel_content(f: Funnel, width: int = 80) -> Content:
    """The policy funnel: count and removed per step, by reason; a policy OFF shown loudly.

    Labels get the room the pane has (`width` cells) and are cut only past it.
    """
    labels = [_("all customers"), *(s.label for s in f.steps)]
    reasons = [r for s in f.steps for r in s.by_reason]
    need = max([cell_len(x) for x in labels] + [cell_len(r) + 2 for r in reasons])
    w = max(20, min(need, width - 2 - 20))  # "  " before, two 9-cell numbers after
    lines = [
        Content.assemble(
            (_("Policy funnel") + "  ", "bold"), (_("as of {day}").format(day=f.as_of), "dim")
        )
    ]
    lines.append(Content("  " + fit_cells(labels[0], w) + f" {f.base:>9,}"))
    for s in f.steps:
        removed = f"−{s.removed:,}" if s.removed else ""
        row = f"{fit_cells(s.label, w)} {s.count:>9,} {removed:>9}"
        if s.off:
            lines.append(Content.assemble(("✗ OFF ", OFF), (row, BAD)))
        else:
            lines.append(Content(f"  {row}"))
        for reason, n in s.by_reason.items():
            text = f"    {fit_cells(reason, w - 2)} {'':>9} {f'−{n:,}':>9}"
            lines.append(Content.styled(text, "dim"))
    arms = ", ".join(f"{k} {v:,}" for k, v in f.arms.items())
    lines.append(
        Content.styled(
            _("→ recipients {n}; arms: {arms}").format(n=f"{f.recipients:,}", arms=arms), "bold"
        )
    )
    if f.policies_off:
        names = ", ".join(f.policies_off)
        lines.append(
            Content.assemble(
                ("✗ ", OFF),
                (_("policies switched OFF in the campaign: {names}").format(names=names), BAD),
            )
        )
    return Content("\n").join(lines)


def changes_content(ch: AudienceChanges | None, f: Funnel) -> Content:
    """Who entered and left the recipients since this campaign's last export."""
    if ch is None:
        return Content.styled(_("No earlier export of this campaign: everyone is new."), "dim")
    head = _("Since the last export ({day}, {n} recipients): ").format(
        day=ch.last_export, n=f"{ch.previous:,}"
    )
    moved = _("+{entered} entered, −{left} left").format(
        entered=f"{ch.entered:,}", left=f"{ch.left:,}"
    )
    lines = [Content.styled(head + moved, "bold")]
    if ch.entered_ids:
        more = " …" if ch.entered > len(ch.entered_ids) else ""
        lines.append(Content.styled(_("  entered: ") + ", ".join(ch.entered_ids) + more, "dim"))
    names = labels(f.query.campaign) if f.query is not None else {}
    for step, n in ch.left_by_step.items():
        why = _("no longer in the segment") if step == "segment" else names.get(step, step)
        lines.append(Content.styled(_("  left: ") + f"{n:,} — {why}", "dim"))
    if ch.left_ids:
        more = " …" if ch.left > len(ch.left_ids) else ""
        lines.append(Content.styled(_("  left: ") + ", ".join(ch.left_ids) + more, "dim"))
    return Content("\n").join(lines)


def samples_content(pv: Preview | None, width: int = 70) -> Content:
    """A few sample recipients with their message (first lines of each part)."""
    if pv is None or not pv.samples:
        return Content.styled(_("No sample messages."), "dim")
    lines = [Content.styled(_("Sample messages"), "bold")]
    for s in pv.samples:
        lines.append(
            Content.assemble(
                ("● ", "bold"), s.customer_id, ("  " + _("arm {arm}").format(arm=s.arm), "dim")
            )
        )
        parts = s.messages.get(s.arm) or next(iter(s.messages.values()), {})
        for part, r in parts.items():
            room = max(width - cell_len(f"  {part}: "), 10)
            if r.error:
                error = fit_cells(r.error, room).rstrip()
                lines.append(Content.assemble((f"  {part}: ", "dim"), (error, BAD)))
                continue
            text = " ⏎ ".join(ln.strip() for ln in (r.text or "").splitlines() if ln.strip())
            clip = fit_cells(text, room).rstrip() if cell_len(text) > room else text
            lines.append(Content.assemble((f"  {part}: ", "dim"), clip))
    return Content("\n").join(lines)


def review_content(rv: Review, pv: Preview | None, width: int = 80) -> Content:
    """Everything the approver looks at, top to bottom, fitted to `width` cells."""
    c = rv.campaign
    head = Content.assemble(
        (c.name, "bold"), (f"  ({c.stem}, {c.how.channel} → {c.how.destination})", "dim")
    )
    funnel = funnel_content(rv.funnel, width)
    parts = [head, funnel, report_content(rv.preflight, timed=False)]
    if rv.measurability is not None:
        m = rv.measurability
        mark = "⚠ " if m.too_small else ""
        parts.append(Content.styled(mark + m.sentence(), "$text-warning" if m.too_small else "dim"))
    parts.append(changes_content(rv.changes, rv.funnel))
    if rv.previous:
        p = rv.previous
        prev = _("Last approved by {by} at {at}").format(by=p.approved_by, at=p.approved_at)
        if p.who:
            prev += f" ({who_text(p.who)})"
        parts.append(Content.styled(prev, "dim"))
        if rv.definition_changes:
            changed = _("Changed since then: ") + "; ".join(rv.definition_changes)
            parts.append(Content.styled(changed, "$text-warning"))
    parts.append(samples_content(pv, width))
    return Content("\n\n").join(parts)


class ApproveScreen(Screen[Approval | None]):
    """Review a campaign file and record who approved it; dismisses with the approval record."""

    DEFAULT_CSS = """
    ApproveScreen #approve-title { height: 1; padding: 0 1; }
    ApproveScreen #approve-status { height: auto; padding: 0 1; }
    ApproveScreen #approve-bar { padding: 0 1; }
    ApproveScreen #approve-scroll { height: 1fr; padding: 0 1; }
    ApproveScreen #approve-form { height: auto; padding: 0 1; }
    ApproveScreen #approve-form Label { padding: 1 1 0 0; }
    ApproveScreen #approver { width: 30; }
    ApproveScreen #approve-result { height: auto; padding: 0 1; }
    ApproveScreen #approve-who { height: 1; padding: 0 1; }
    ApproveScreen #approve-force { margin: 0 1; }
    """

    BINDINGS = [
        bind("A,ctrl+enter", "approve", "Approve", id="approve.approve", key_display="A"),
        bind("f", "toggle_force", "Force", id="approve.force", show=False),
        bind("escape", "back", "Back", id="approve.back"),
    ]

    def __init__(self, campaign_path: Path) -> None:
        super().__init__()
        self.campaign_path = Path(campaign_path)
        self.slot = JobSlot(self, "campaign-review")
        self.review: Review | None = None
        self.samples: Preview | None = None
        self.record: Approval | None = None

    def compose(self) -> ComposeResult:
        yield SnapshotHeader()
        yield Static(
            Content.assemble((_("Approve") + "  ", "bold"), self.campaign_path.name),
            id="approve-title",
        )
        yield ProgressBar(id="approve-bar", show_eta=False)
        yield Static(
            Content.styled(_("reviewing: funnel, preflight…"), "italic"), id="approve-status"
        )
        with VerticalScroll(id="approve-scroll"):
            yield Static("", id="approve-review")
        with Horizontal(id="approve-form"):
            yield Label(_("Approved by"))
            yield Input(os_user(), placeholder=_("your name"), id="approver")
            yield Button(_("Approve"), id="approve-btn", variant="success", disabled=True)
        yield TickBox(
            _("force past a send_at already past / preflight problems (recorded)"),
            id="approve-force",
        )
        yield Static(
            Content.styled(_("recorded with the name: {who}").format(who=who_text(who())), "dim"),
            id="approve-who",
        )
        yield Static("", id="approve-result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.sub_title = _("Approve {stem}").format(stem=self.campaign_path.stem)
        self.query_one("#approve-scroll").focus()
        self.start()

    def on_unmount(self) -> None:
        self.slot.cancel()

    def on_resize(self) -> None:
        self.call_after_refresh(self.show_review)

    def show_review(self) -> None:
        """Draw the review to the pane's width (labels cut only where they do not fit)."""
        if self.review is None:
            return
        width = max(40, self.query_one("#approve-scroll").size.width - 3)  # padding, scrollbar
        content = review_content(self.review, self.samples, width)
        self.query_one("#approve-review", Static).update(content)

    def start(self) -> None:
        """Compute the review in a thread worker (cancellable with esc)."""
        session, path = session_of(self), self.campaign_path

        def progress(done: int, total: int) -> None:
            self.post_message(ReviewProgressed(done, total))

        def body(job: Job) -> ReviewReady:
            c = load_campaign(path, session.catalog, session.ws.root, session.store)
            rv = review(session, c, job, progress)
            pv = preview(session, c, n=SAMPLES, job=job) if not job.cancelled else None
            return ReviewReady(rv, pv)

        self.slot.start(body, on_error=ReviewFailed)

    def _status(self, content: Content | str) -> None:
        self.query_one("#approve-status", Static).update(content)

    def _result(self, content: Content | str) -> None:
        self.query_one("#approve-result", Static).update(content)

    @on(ReviewProgressed)
    def _progressed(self, event: ReviewProgressed) -> None:
        self.query_one(ProgressBar).update(total=max(event.total, 1), progress=event.done)
        done = _("preflight: rendered {done} of {total}…").format(
            done=f"{event.done:,}", total=f"{event.total:,}"
        )
        self._status(Content.styled(done, "italic"))

    @on(ReviewReady)
    def _ready(self, event: ReviewReady) -> None:
        self.review = rv = event.review
        self.samples = event.preview
        self.query_one(ProgressBar).display = False
        self.show_review()
        self.query_one("#approve-btn", Button).disabled = False
        past = send_time_passed(rv.campaign, step="approve")
        if past:
            self._status(
                Content.assemble(
                    (_("✗ the send time has passed: "), BAD),
                    re.split("; |。", past)[0]
                    + _("; move `when.send_at`, or tick “force” (f) to approve anyway (recorded)"),
                )
            )
        elif rv.preflight.ok:
            self._status(Content.assemble((_("✓ ready to approve"), GOOD), _(" — A approves")))
        else:
            self._status(
                Content.assemble(
                    (_("✗ preflight found problems: "), BAD), _("fix them before approving")
                )
            )

    @on(ReviewFailed)
    def _failed(self, event: ReviewFailed) -> None:
        self.query_one(ProgressBar).display = False
        self._status(Content.assemble((_("✗ Cannot review: "), BAD), event.error.render()))

    @on(Button.Pressed, "#approve-btn")
    def _pressed(self) -> None:
        self.action_approve()

    @on(Input.Submitted, "#approver")
    def _submitted(self) -> None:
        self.action_approve()

    def action_approve(self) -> None:
        """Record the approval with the engine; show why when it refuses."""
        rv = self.review
        if rv is None:
            self.notify(_("The review is still running."), severity="warning")
            return
        by = self.query_one("#approver", Input).value
        force = self.query_one("#approve-force", Checkbox).value
        try:
            rec = approve(session_of(self), rv, by, force)
        except ExportError as exc:
            self._result(Content.assemble((_("✗ Not approved: "), BAD), str(exc)))
            return
        self.record = rec
        path = approval_path(session_of(self).ws, rv.campaign.stem)
        fp = rec.sha256[:12]
        signed = _("by {by} ({who}) at {at}").format(
            by=rec.approved_by, who=who_text(rec.who), at=rec.approved_at
        )
        self._status(Content.assemble((_("✓ Approved") + " ", GOOD), signed))
        self.query_one("#approve-btn", Button).disabled = True
        self._result(
            Content.assemble(
                (_("fingerprint {fp}; record: ").format(fp=fp), "dim"),
                str(path),
            )
        )
        self.notify(
            _("Approved {stem} by {by}.").format(stem=rv.campaign.stem, by=rec.approved_by),
            timeout=5,
        )

    def action_toggle_force(self) -> None:
        box = self.query_one("#approve-force", Checkbox)
        box.value = not box.value

    def action_back(self) -> None:
        """Stop the review if it is running, and go back."""
        if self.slot.cancel():
            self.notify(_("Review stopped."), timeout=3)
        self.dismiss(self.record)
