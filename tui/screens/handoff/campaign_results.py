"""Did it work? The results of an exported campaign, measured on a later snapshot.

Pick the later snapshot (a path; the newest other `*.duckdb` beside the workspace's snapshot
by default), then see each arm's conversion as a bar with its 95 % interval, treated against
holdout (raw and CUPED), the checks, and copy or save a Markdown summary. The measurement
opens its own session on the later snapshot in a thread worker; the screen never blocks.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from queries.core.errors import KizunaError
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.measure.effect import MeasureResult
from queries.measure.report import bar, verdict
from tui.keymap import bind
from tui.kizuna import session_of
from tui.widgets.header import SnapshotHeader
from tui.workers import JobSlot

BAR_WIDTH = 28
BAD = "bold $text-error"


class ResultsMeasured(Message):
    """The campaign was measured on the later snapshot."""

    def __init__(
        self, result: MeasureResult, markdown: str, cis: list[tuple[float | None, float | None]]
    ) -> None:
        super().__init__()
        self.result, self.markdown, self.cis = result, markdown, cis


class ResultsFailed(Message):
    """Measuring failed with a user error (never exported, snapshot before the send, ...)."""

    def __init__(self, error: KizunaError) -> None:
        super().__init__()
        self.error = error


def default_later(current: Path, exports: Path) -> Path:
    """The newest `*.duckdb` beside the current snapshot (or in the workspace) that is newer
    than the campaign's exports; else the current snapshot itself."""
    since = max((p.stat().st_mtime for p in exports.glob("*")), default=0.0)
    seen: dict[Path, float] = {}
    for folder in {current.parent, exports.parent.parent}:
        for p in folder.glob("*.duckdb"):
            if p.resolve() != current.resolve() and p.stat().st_mtime >= since:
                seen[p.resolve()] = p.stat().st_mtime
    return max(seen, key=lambda p: seen[p]) if seen else current


def results_path(root: Path, r: MeasureResult) -> Path:
    """Where a saved summary goes (the export folder itself stays as it was handed off)."""
    return root / "results" / f"{r.campaign}-{r.export_id}.md"


def arm_lines(r: MeasureResult, cis: list[tuple[float | None, float | None]]) -> Content:
    """Per arm: a conversion bar with its interval (text marks, so NO_COLOR reads the same)."""
    arms = r.arms
    scale = max([0.01, *(hi for _, hi in cis if hi is not None)])
    lines = [
        Content.styled(
            _("Conversion by arm (bar = rate, ├─┤ = 95% interval, 0–{max}%)").format(
                max=f"{scale * 100:.0f}"
            ),
            "bold",
        )
    ]
    for a, (lo, hi) in zip(arms, cis):
        text = bar(a.conversion_rate, lo, hi, scale, BAR_WIDTH).ljust(BAR_WIDTH + 1)
        label = f"{a.arm[:9]:<9} "
        span = "" if lo is None or hi is None else f" [{lo * 100:.1f}–{hi * 100:.1f}]"
        lines.append(
            Content.assemble(
                (label, "bold" if a.arm == "treated" else ""),
                (text, "$accent"),
                f" {a.conversion_rate * 100:5.1f}%{span}  n={a.people:,}",
            )
        )
    return Content("\n").join(lines)


def effect_lines(r: MeasureResult) -> Content:
    """Treated − holdout, raw and CUPED, with the verdict, checks and warnings."""
    e, c, ch = r.effect, r.cuped, r.checks

    def pp(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:+.1f}"

    def yen(v: float | None) -> str:
        return "—" if v is None else f"{v:+,.0f}"

    lines = [Content.styled(verdict(r), "bold")]
    lines.append(
        Content(
            _("conversion  {diff} pt [{low}, {high}]  CUPED {cdiff} [{clow}, {chigh}]").format(
                diff=pp(e["conversion_diff"]),
                low=pp(e["ci_low"]),
                high=pp(e["ci_high"]),
                cdiff=pp(c["conversion_diff"]),
                clow=pp(c["ci_low"]),
                chigh=pp(c["ci_high"]),
            )
        )
    )
    lines.append(
        Content(
            _("rev/person  {diff} [{low}, {high}]  incremental {inc}").format(
                diff=yen(e["revenue_per_person_diff"]),
                low=yen(e["rpp_ci_low"]),
                high=yen(e["rpp_ci_high"]),
                inc=yen(e["incremental_revenue"]),
            )
        )
    )
    if "coupon_cost" in e:
        cost, net = f"{e['coupon_cost']:,.0f}", yen(e.get("net"))
        lines.append(Content(_("coupon cost {cost}, net {net}").format(cost=cost, net=net)))
    srm, pre = ch["srm_p_value"], ch["pre_period_p_value"]
    lines.append(
        Content.styled(
            _(
                "checks: sample ratio p={srm}, before the send {pre_diff} pt p={pre}, "
                "window {window}"
            ).format(
                srm="—" if srm is None else f"{srm:.3f}",
                pre_diff=pp(ch["pre_period_conversion_diff"]),
                pre="—" if pre is None else f"{pre:.3f}",
                window=_("PARTIAL") if ch["partial"] else _("complete"),
            ),
            "dim",
        )
    )
    for note in r.notes:
        lines.append(Content.styled("⚠ " + note, BAD))
    return Content("\n").join(lines)


class CampaignResultsScreen(Screen[None]):
    """The results of an exported campaign against its holdout, on a later snapshot."""

    DEFAULT_CSS = """
    CampaignResultsScreen #results-title { height: 1; padding: 0 1; }
    CampaignResultsScreen #results-form { height: auto; padding: 0 1; }
    CampaignResultsScreen #results-form Label { padding: 1 1 0 0; }
    CampaignResultsScreen #later { width: 1fr; }
    CampaignResultsScreen #window { width: 10; }
    CampaignResultsScreen #results-status { height: auto; padding: 0 1; }
    CampaignResultsScreen #results-scroll { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        bind("ctrl+r", "measure", "Measure", id="results.measure"),
        bind("ctrl+y", "copy", "Copy summary", id="results.copy"),
        bind("ctrl+s", "save", "Save summary", id="results.save"),
        bind("escape", "back", "Back", id="results.back"),
    ]

    def __init__(self, campaign_path: Path) -> None:
        super().__init__()
        self.campaign_path = Path(campaign_path)
        self.stem = self.campaign_path.stem
        self.slot = JobSlot(self, "campaign-results")
        self.result: MeasureResult | None = None
        self.summary: str | None = None

    def compose(self) -> ComposeResult:
        ws = session_of(self).ws
        later = default_later(ws.db_path, ws.root / "exports" / self.stem)
        yield SnapshotHeader()
        yield Static(
            Content.assemble(
                (_("Results") + "  ", "bold"), self.stem, ("  " + _("(did it work?)"), "dim")
            ),
            id="results-title",
        )
        with Horizontal(id="results-form"):
            yield Label(_("Later snapshot"))
            yield Input(str(later), id="later")
            yield Label(_("Window"))
            yield Input("30d", id="window")
        yield Static("", id="results-status")
        with VerticalScroll(id="results-scroll"):
            yield Static("", id="results-arms")
            yield Static("", id="results-effect")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.sub_title = _("Results {stem}").format(stem=self.stem)
        self.action_measure()

    def on_unmount(self) -> None:
        self.slot.cancel()

    def _status(self, content: Content | str) -> None:
        self.query_one("#results-status", Static).update(content)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_measure()

    def action_measure(self) -> None:
        """Measure in a thread worker: a session on the later snapshot, then the queries."""
        later = Path(self.query_one("#later", Input).value.strip()).expanduser()
        window = self.query_one("#window", Input).value.strip() or "30d"
        root, stem = session_of(self).ws.root, self.stem
        self._status(Content.styled(_("measuring on {file} …").format(file=later.name), "italic"))

        def body(job: Job) -> ResultsMeasured:
            from queries.measure.effect import measure
            from queries.measure.report import markdown
            from queries.measure.stats import rate_interval
            from queries.query.session import open_session

            s = open_session(root, db=later)
            try:
                r = measure(s, stem, window=window, job=job)
            finally:
                s.close()
            cis = [rate_interval(a.converters, a.people) for a in r.arms]
            return ResultsMeasured(r, markdown(r), cis)

        self.slot.start(body, on_error=ResultsFailed)

    @on(ResultsMeasured)
    def _measured(self, event: ResultsMeasured) -> None:
        self.result, self.summary = event.result, event.markdown
        r = event.result
        head = _("export {id} · window {start} – {end} · snapshot as of {day}").format(
            id=r.export_id, start=r.window_from, end=r.window_to, day=r.snapshot_as_of
        )
        partial = not r.complete
        self._status(
            Content.assemble(("⚠ " + _("PARTIAL WINDOW") + "  ", BAD) if partial else "", head)
        )
        self.query_one("#results-arms", Static).update(arm_lines(r, event.cis))
        self.query_one("#results-effect", Static).update(effect_lines(r))

    @on(ResultsFailed)
    def _failed(self, event: ResultsFailed) -> None:
        self.result = self.summary = None
        self.query_one("#results-arms", Static).update("")
        self.query_one("#results-effect", Static).update("")
        self._status(
            Content.assemble(("✗ " + _("Cannot measure:") + " ", BAD), event.error.render())
        )

    def action_copy(self) -> None:
        if self.summary is None:
            self.notify(_("Nothing measured yet."), severity="warning")
            return
        self.app.copy_to_clipboard(self.summary)
        self.notify(_("Copied the Markdown summary (paste it into your report)."))

    def action_save(self) -> None:
        """Write the summary to the workspace: results/<campaign>-<export id>.md."""
        if self.summary is None or self.result is None:
            self.notify(_("Nothing measured yet."), severity="warning")
            return
        path = results_path(session_of(self).ws.root, self.result)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.summary, encoding="utf-8")
        except OSError as exc:
            self.notify(
                _("Cannot write {path}: {error}").format(path=path, error=exc), severity="error"
            )
            return
        self.notify(_("Saved {files}").format(files=path))

    def action_back(self) -> None:
        self.slot.cancel()
        self.app.pop_screen()
