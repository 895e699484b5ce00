"""Preflight: render the message for every recipient in a worker, with progress; esc stops."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from queries.campaigns.channels import UNITS
from queries.campaigns.findings import PreflightReport
from queries.campaigns.model import Campaign
from queries.campaigns.preflight import preflight
from queries.core.errors import KizunaError
from queries.core.i18n import N_, _
from queries.engines.jobs import Job
from queries.query.session import Session
from tui.keymap import bind
from tui.screens.campaigns.campaign_messages import (
    PreflightFailed,
    PreflightFinished,
    PreflightProgressed,
)
from tui.workers import JobSlot

BAD = "bold $text-error"
KINDS = {
    "undefined": N_("undefined variable"),
    "render_error": N_("render error"),
    "over_budget": N_("over budget"),
    "unencodable": N_("cannot encode"),
    "empty": N_("empty part"),
    "coupon": N_("coupon"),
    "blank_variable": N_("blank variable"),
    "control_character": N_("control character"),
    "formula": N_("formula-like value"),
    "field_too_long": N_("over the field limit"),
    "no_address": N_("no usable id"),
}


def report_content(r: PreflightReport, timed: bool = True) -> Content:
    """The report as lines: verdict, findings naming customers, fallbacks, sizes, distinct."""
    arms = " · ".join(f"{k} {n:,}" for k, n in r.by_variant.items())
    verdict = (
        ("✓ OK", "bold $text-success")
        if r.ok
        else ("✗ " + _("{n} problem(s)").format(n=len(r.findings)), BAD)
    )
    took = " " + _("in {s}s").format(s=f"{r.elapsed:.1f}") if timed else ""
    lines = [
        Content.assemble(
            (_("Preflight") + " ", "bold"),
            verdict,
            (
                "  "
                + _("{n} recipients rendered{took} ({arms}), holdout {holdout}").format(
                    n=f"{r.recipients:,}", took=took, arms=arms, holdout=f"{r.holdout:,}"
                ),
                "dim",
            ),
        )
    ]
    for f in r.findings:
        where = ".".join(x for x in (f.variant, f.part) if x)
        who = ", ".join(f.customers) + (" …" if f.count > len(f.customers) else "")
        lines.append(
            Content.assemble(
                ("✗ ", BAD),
                (_(KINDS[f.kind]) if f.kind in KINDS else f.kind, "bold"),
                f" {where}: {f.detail} — " + _("{n} recipient(s): ").format(n=f"{f.count:,}"),
                (who, "dim"),
            )
        )
    for f in r.warnings:  # formula-like values, some blank variables: reported, not blocking
        where = ".".join(x for x in (f.variant, f.part) if x)
        who = ", ".join(f.customers) + (" …" if f.count > len(f.customers) else "")
        lines.append(
            Content.assemble(
                ("! ", "$text-warning"),
                (_(KINDS[f.kind]) if f.kind in KINDS else f.kind, "bold"),
                f" {where}: " if where else " ",
                f"{f.detail} — " + _("{n} recipient(s): ").format(n=f"{f.count:,}"),
                (who, "dim"),
            )
        )
    for note in r.notes:
        lines.append(Content.styled(f"⚠ {note}", "$text-warning"))
    if r.fallbacks:
        lines.append(Content.styled(_("Fallbacks (| default:)"), "bold"))
    for fb in r.fallbacks:
        pct = 100 * fb.count / r.recipients if r.recipients else 0.0
        lines.append(
            Content.styled(
                "  "
                + _("{where} line {line}, column {column}: {label} — {count} ({pct})").format(
                    where=f"{fb.variant}.{fb.part}",
                    line=fb.line,
                    column=fb.column,
                    label=fb.label,
                    count=f"{fb.count:,}",
                    pct=f"{pct:.1f}%",
                ),
                "$text-warning" if fb.count else "dim",
            )
        )
    sizes = " · ".join(
        _("{part} max {size}/{limit} {unit}").format(
            part=p, size=f"{n:,}", limit=f"{lim:,}", unit=_(UNITS.get(u, u))
        )
        for p, (n, u, lim) in r.largest.items()
    )
    distinct = " · ".join(f"{p} {n:,}" for p, n in r.distinct.items())
    lines.append(Content.assemble((_("Sizes") + "  ", "bold"), sizes))
    lines.append(Content.assemble((_("Distinct messages") + "  ", "bold"), distinct))
    lines.append(Content.styled(_("Encoding checked: {enc}").format(enc=r.encoding), "dim"))
    if r.coupon_collisions:
        text = _("coupon collisions resolved: {n}").format(n=r.coupon_collisions)
        lines.append(Content.styled(text, "dim"))
    return Content("\n").join(lines)


class CampaignPreflightScreen(ModalScreen[PreflightReport | None]):
    """Runs preflight on the campaign as edited; dismisses with the report (None if stopped)."""

    DEFAULT_CSS = """
    CampaignPreflightScreen #preflight-dialog { height: auto; max-height: 90%; }
    CampaignPreflightScreen #preflight-scroll { height: auto; max-height: 24; }
    CampaignPreflightScreen #preflight-status { height: auto; }
    """

    BINDINGS = [
        bind("escape", "stop", "Stop / close", id="preflight.stop"),
        bind("enter,q", "close", "Close", id="preflight.close", show=False),
    ]

    def __init__(self, session: Session, campaign: Campaign, timed: bool = True) -> None:
        super().__init__()
        self.session = session
        self.campaign = campaign
        self.timed = timed  # show the elapsed time (snapshots turn it off)
        self.slot = JobSlot(self, "campaign-preflight")
        self.report: PreflightReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="preflight-dialog"):
            yield Static(
                Content.assemble(("Preflight  ", "bold"), self.campaign.name),
                classes="dialog-title",
            )
            yield ProgressBar(id="preflight-bar", show_eta=False)
            yield Static(
                Content.styled(_("rendering every recipient…"), "italic"), id="preflight-status"
            )
            with VerticalScroll(id="preflight-scroll"):
                yield Static("", id="preflight-report")
            yield Static(_("esc stops · esc / enter closes"), classes="hint", id="preflight-hint")

    def on_mount(self) -> None:
        session, c = self.session, self.campaign

        def progress(done: int, total: int) -> None:
            self.post_message(PreflightProgressed(done, total))

        def body(job: Job) -> PreflightFinished:
            return PreflightFinished(preflight(session, c, job=job, progress=progress))

        self.slot.start(body, on_error=PreflightFailed)

    def on_unmount(self) -> None:
        self.slot.cancel()

    @property
    def running(self) -> bool:
        return self.slot.running

    def _status(self, content: Content | str) -> None:
        self.query_one("#preflight-status", Static).update(content)

    @on(PreflightProgressed)
    def _progressed(self, event: PreflightProgressed) -> None:
        self.query_one(ProgressBar).update(total=max(event.total, 1), progress=event.done)
        done, total = f"{event.done:,}", f"{event.total:,}"
        text = _("rendered {done} of {total}…").format(done=done, total=total)
        self._status(Content.styled(text, "italic"))

    @on(PreflightFinished)
    def _finished(self, event: PreflightFinished) -> None:
        self.report = event.report
        bar = self.query_one(ProgressBar)
        bar.update(total=max(event.report.recipients, 1), progress=max(event.report.recipients, 1))
        self._status("")
        self.query_one("#preflight-report", Static).update(report_content(event.report, self.timed))
        self.query_one("#preflight-hint", Static).update(_("esc / enter closes"))
        self.query_one("#preflight-scroll").focus()

    @on(PreflightFailed)
    def _failed(self, event: PreflightFailed) -> None:
        self.query_one(ProgressBar).display = False
        self._status(
            Content.assemble(("✗ " + _("Preflight failed:") + " ", BAD), _short(event.error))
        )

    def action_stop(self) -> None:
        if self.slot.cancel():
            self.notify(_("Preflight stopped."), timeout=3)
            self.dismiss(None)
            return
        self.action_close()

    def action_close(self) -> None:
        if not self.slot.running:
            self.dismiss(self.report)


def _short(error: KizunaError) -> str:
    return error.render()
