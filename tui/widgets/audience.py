"""The live audience line: count, % of base, change from the previous count, counting state."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static

from queries.core.i18n import _
from tui.fmt import pct_text


class AudienceBar(Static):
    """`Audience 2,125 · 8.5% of 25,000 · ▼ 22,875` or `counting… 0.4s (esc cancels)`."""

    DEFAULT_CSS = """
    AudienceBar {
        height: 1;
        width: auto;
        max-width: 75%;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, clock: Callable[[], float] | None = None, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.clock = clock or time.monotonic
        self.count: int | None = None
        self.base: int | None = None
        self.previous: int | None = None
        self.counting = False
        self.started = 0.0
        self.error: str | None = None
        self.note: str | None = None

    def on_mount(self) -> None:
        # coarse ticks: every redraw under a modal dialog re-composites the screen behind it
        self._timer = self.set_interval(0.5, self._redraw, pause=True)
        self._redraw()

    # -- state changes ---------------------------------------------------------------------
    def start(self) -> None:
        self.counting = True
        self.error = None
        self.note = None
        self.started = self.clock()
        self._timer.resume()
        self._redraw()

    def counted(self, count: int, base: int, previous: int | None = None) -> None:
        """Show a count; the change is against `previous` (else the count shown before)."""
        if previous is not None:
            self.previous = previous
        elif self.count is not None and not self.error:
            self.previous = self.count
        self.count, self.base = count, base
        self.note = None
        self.error = None
        self._stop()

    def failed(self, message: str) -> None:
        self.error = message
        self._stop()

    def cancelled(self) -> None:
        self.note = _("count cancelled · c counts again")
        self._stop()

    def invalid(self, message: str) -> None:
        self.note = _("waiting for a valid condition")
        self.error = None
        self._stop()

    def _stop(self) -> None:
        self.counting = False
        self._timer.pause()
        self._redraw()

    # -- drawing ---------------------------------------------------------------------------
    def _redraw(self) -> None:
        self.update(self.content())

    def content(self) -> Content:
        parts: list[str | tuple[str, str]] = [(_("Audience") + " ", "bold")]
        if self.count is None:
            parts.append(("—", "bold"))
        else:
            stale = self.counting or self.error or self.note
            style = "bold dim" if stale else "bold $text-success"
            parts.append((f"{self.count:,}", style))
            if self.base:
                parts.append(
                    " · "
                    + _("{pct} of {base}").format(
                        pct=pct_text(self.count, self.base), base=f"{self.base:,}"
                    )
                )
            if self.previous is not None and not (self.counting or self.error or self.note):
                parts.append(" · ")
                parts.append(delta_text(self.count, self.previous))
        if self.counting:
            elapsed = max(0.0, self.clock() - self.started)
            parts += [
                " · ",
                (_("counting… {s}s").format(s=f"{elapsed:.1f}"), "italic"),
                (" " + _("(esc cancels)"), "dim"),
            ]
        elif self.error:
            parts += [" · ", (f"✗ {self.error}", "bold $text-error")]
        elif self.note:
            parts += [" · ", (self.note, "italic dim")]
        return Content.assemble(*parts)


def delta_text(now: int, before: int) -> str:
    """`▲ 120` / `▼ 3,400` / `= unchanged` from the previous count."""
    diff = now - before
    if diff > 0:
        return f"▲ +{diff:,}"
    if diff < 0:
        return f"▼ −{-diff:,}"
    return _("= unchanged")
