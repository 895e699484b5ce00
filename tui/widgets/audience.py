"""The live audience line: count, % of base, change from the previous count, counting state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from queries.core.i18n import _
from tui.fmt import pct_text


@dataclass(frozen=True)
class Audience:
    """What the audience line says: the last count, the one before, and what is happening now."""

    count: int | None = None
    base: int | None = None
    previous: int | None = None
    counting: bool = False
    started: float = 0.0
    error: str | None = None
    note: str | None = None

    def start(self, now: float) -> Audience:
        return replace(self, counting=True, error=None, note=None, started=now)

    def counted(self, count: int, base: int, previous: int | None = None) -> Audience:
        """A count; the change is against `previous` (else the count shown before)."""
        if previous is None:
            keep = self.count is not None and not self.error
            previous = self.count if keep else self.previous
        return replace(
            self, count=count, base=base, previous=previous, note=None, error=None, counting=False
        )

    def failed(self, message: str) -> Audience:
        return replace(self, error=message, counting=False)

    def cancelled(self) -> Audience:
        return replace(self, note=_("count cancelled · c counts again"), counting=False)

    def invalid(self) -> Audience:
        return replace(self, note=_("waiting for a valid condition"), error=None, counting=False)


class AudienceBar(Static):
    """`Audience 2,125 · 8.5% of 25,000 · ▼ 22,875` or `counting… 0.4s (esc cancels)`.

    It draws its `audience` attribute; whoever counts sets it (attributes down)."""

    DEFAULT_CSS = """
    AudienceBar {
        height: 1;
        width: auto;
        max-width: 75%;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    audience: reactive[Audience] = reactive(Audience, init=False)

    def __init__(self, clock: Callable[[], float] | None = None, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.clock = clock or time.monotonic

    @property
    def count(self) -> int | None:
        return self.audience.count

    @property
    def base(self) -> int | None:
        return self.audience.base

    @property
    def counting(self) -> bool:
        return self.audience.counting

    def on_mount(self) -> None:
        # coarse ticks: every redraw under a modal dialog re-composites the screen behind it
        self._timer = self.set_interval(0.5, self._redraw, pause=not self.audience.counting)
        self._redraw()

    def watch_audience(self, audience: Audience) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            if audience.counting:
                timer.resume()
            else:
                timer.pause()
        self._redraw()

    # -- drawing ---------------------------------------------------------------------------
    def _redraw(self) -> None:
        self.update(self.content())

    # shadows Static.content on purpose: the line as it reads now (the bar and tests call it)
    def content(self) -> Content:  # type: ignore[override]
        a = self.audience
        parts: list[str | tuple[str, str]] = [(_("Audience") + " ", "bold")]
        if a.count is None:
            parts.append(("—", "bold"))
        else:
            stale = a.counting or a.error or a.note
            style = "bold dim" if stale else "bold $text-success"
            parts.append((f"{a.count:,}", style))
            if a.base:
                parts.append(
                    " · "
                    + _("{pct} of {base}").format(pct=pct_text(a.count, a.base), base=f"{a.base:,}")
                )
            if a.previous is not None and not stale:
                parts.append(" · ")
                parts.append(delta_text(a.count, a.previous))
        if a.counting:
            elapsed = max(0.0, self.clock() - a.started)
            parts += [
                " · ",
                (_("counting… {s}s").format(s=f"{elapsed:.1f}"), "italic"),
                (" " + _("(esc cancels)"), "dim"),
            ]
        elif a.error:
            parts += [" · ", (f"✗ {a.error}", "bold $text-error")]
        elif a.note:
            parts += [" · ", (a.note, "italic dim")]
        return Content.assemble(*parts)


def delta_text(now: int, before: int) -> str:
    """`▲ 120` / `▼ 3,400` / `= unchanged` from the previous count."""
    diff = now - before
    if diff > 0:
        return f"▲ +{diff:,}"
    if diff < 0:
        return f"▼ −{-diff:,}"
    return _("= unchanged")
