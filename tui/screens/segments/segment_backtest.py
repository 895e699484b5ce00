"""Backtest the segment being built: who was in it on day D, and what they did on their own next.

The baseline a campaign to this segment must beat. A session opened as of D (features for
that day, events after it ignored) answers in a thread worker; the builder stays usable.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from queries.core.errors import KizunaError
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.measure.backtest import Backtest
from queries.segments.model import Segment
from tui.keymap import bind
from tui.kizuna import session_of
from tui.widgets.header import SnapshotHeader
from tui.workers import JobSlot

BAD = "bold $text-error"


class BacktestDone(Message):
    """The backtest finished."""

    def __init__(self, result: Backtest) -> None:
        super().__init__()
        self.result = result


class BacktestFailed(Message):
    """The backtest failed with a user error (bad date, nothing after D, ...)."""

    def __init__(self, error: KizunaError) -> None:
        super().__init__()
        self.error = error


def backtest_content(b: Backtest) -> Content:
    """The segment against all customers: conversion and revenue over D+1 … D+W."""
    lines = [
        Content.styled(
            _("Members on {day}; what they did {start} – {end}").format(
                day=b.as_of, start=b.window_from, end=b.window_to
            ),
            "bold",
        )
    ]
    if not b.complete:
        lines.append(
            Content.styled(
                "⚠ " + _("PARTIAL WINDOW: the snapshot ends on {day}").format(day=b.observed_to),
                BAD,
            )
        )
    lines.append(
        Content(f"{'':14}{'people':>9}{'buyers':>8}{'conv.':>7}{'revenue':>13}{'/person':>9}")
    )
    for label, o in (("segment", b.segment_outcome), ("all customers", b.base_outcome)):
        lines.append(
            Content(
                f"{label:14}{o.people:>9,}{o.converters:>8,}{o.conversion_rate * 100:>6.1f}%"
                f"{o.revenue:>13,.0f}{o.revenue_per_person:>9,.0f}"
            )
        )
    lines.append(
        Content.styled(_("The baseline a campaign to this segment must beat (no campaign)."), "dim")
    )
    return Content("\n").join(lines)


class BacktestScreen(Screen[None]):
    """As of a past day D: the segment's size and its members' own conversion after D."""

    DEFAULT_CSS = """
    BacktestScreen #backtest-form { height: auto; padding: 0 1; }
    BacktestScreen #backtest-form Label { padding: 1 1 0 0; }
    BacktestScreen #backtest-asof { width: 14; }
    BacktestScreen #backtest-window { width: 10; }
    BacktestScreen #backtest-status { height: auto; padding: 0 1; }
    BacktestScreen #backtest-result { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        bind("ctrl+r", "run", "Backtest", id="backtest.run"),
        bind("escape", "back", "Back", id="backtest.back"),
    ]

    def __init__(self, segment: Segment) -> None:
        super().__init__()
        self.segment = segment
        self.slot = JobSlot(self, "segment-backtest")
        self.result: Backtest | None = None

    def compose(self) -> ComposeResult:
        as_of = session_of(self).snapshot.as_of
        yield SnapshotHeader()
        with Horizontal(id="backtest-form"):
            yield Label(_("As of"))
            yield Input((as_of - timedelta(days=30)).isoformat(), id="backtest-asof")
            yield Label(_("Window"))
            yield Input("30d", id="backtest-window")
        yield Static("", id="backtest-status")
        yield Static("", id="backtest-result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.sub_title = f"Backtest {self.segment.name}"
        self.action_run()

    def on_unmount(self) -> None:
        self.slot.cancel()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        text = self.query_one("#backtest-asof", Input).value.strip()
        window = self.query_one("#backtest-window", Input).value.strip() or "30d"
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self._status(
                Content.assemble(
                    ("✗ ", BAD), _("`{text}` is not a date (YYYY-MM-DD)").format(text=text)
                )
            )
            return
        app, seg = self.app, self.segment
        ws = app.session.ws  # type: ignore[attr-defined]
        engine = getattr(app, "engine_arg", None)
        self._status(Content.styled(_("backtesting as of {day} …").format(day=day), "italic"))

        def body(job: Job) -> BacktestDone:
            from queries.measure.backtest import backtest
            from queries.query.session import open_session

            s = open_session(ws.root, db=ws.db_path, as_of=day, engine=engine)
            try:
                return BacktestDone(backtest(s, seg, window, job))
            finally:
                s.close()

        self.slot.start(body, on_error=BacktestFailed)

    def _status(self, content: Content | str) -> None:
        self.query_one("#backtest-status", Static).update(content)

    @on(BacktestDone)
    def _done(self, event: BacktestDone) -> None:
        self.result = event.result
        self._status("")
        self.query_one("#backtest-result", Static).update(backtest_content(event.result))

    @on(BacktestFailed)
    def _failed(self, event: BacktestFailed) -> None:
        self.result = None
        self.query_one("#backtest-result", Static).update("")
        self._status(
            Content.assemble(("✗ " + _("Cannot backtest:") + " ", BAD), event.error.render())
        )

    def action_back(self) -> None:
        self.slot.cancel()
        self.app.pop_screen()
