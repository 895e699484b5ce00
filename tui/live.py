"""One live query: the audience of the segment being edited, and its waterfall, from one scan.

Every edit (and every valid keystroke in an open condition dialog, as a *draft*) bumps a
generation number and restarts the debounce (`JobSlot.later`), so a newer keystroke cancels
it before any SQL runs. The first edit after a pause is counted at once (a leading edge):
only edits that follow one another within the debounce wait for typing to stop. The query
itself runs in a thread with a `Job`; a newer count interrupts the older one's cursor, and a
result whose generation is not the current one is dropped. Results are cached by the
segment's YAML text, so undo/redo and cancelling a dialog show their count at once. The owner
forwards the result messages here and is told what to show through callbacks: it owns the
widgets, this owns the query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from textual.message import Message
from textual.widget import Widget

from queries.engines.jobs import Job
from queries.query.runner import Runner, WaterfallStep, audience_of
from queries.segments.model import Segment
from tui.messages import AudienceCounted, QueryFailed, WaterfallComputed
from tui.widgets.audience import Audience
from tui.workers import JobSlot

DEBOUNCE_S = 0.25
CACHE_SIZE = 64
V = TypeVar("V")


class LiveCount:
    """`request(segment)` counts it soon; `shown` gets each new audience line, `waterfall`
    the steps of a counted segment, `previous` picks the count a new one is compared with."""

    def __init__(
        self,
        owner: Widget,
        runner: Callable[[], Runner],
        clock: Callable[[], float],
        shown: Callable[[Audience], None],
        waterfall: Callable[[str, int, list[WaterfallStep]], None],
        previous: Callable[[str], int | None],
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.shown = shown
        self.waterfall = waterfall
        self.previous = previous
        self.debounce_s = DEBOUNCE_S
        self.slot = JobSlot(owner, "count")
        self.generation = 0
        self.audience = Audience()
        self.counts_shown: list[int] = []  # every count the line accepted (for tests)
        self.count_calls = 0  # how many count queries started
        self._counting_key: str | None = None
        self._last_edit = float("-inf")  # when `request`/`invalid` last ran (the clock's time)
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._steps: OrderedDict[str, tuple[int, list[WaterfallStep]]] = OrderedDict()

    def known(self, key: str | None) -> int | None:
        """The cached count of a segment's YAML text, if it was counted."""
        hit = self._counts.get(key) if key is not None else None
        return hit[0] if hit else None

    def forget(self, key: str) -> None:
        """Count this one again next time (the `c` key)."""
        self._counts.pop(key, None)

    # -- requests --------------------------------------------------------------------------
    def request(self, seg: Segment, immediate: bool = False) -> None:
        """Count `seg` soon (debounced); a cached answer is shown at once."""
        self.generation += 1
        key = seg.to_yaml()
        self.slot.cancel()
        typing = self._edited()
        if key in self._counts:
            count, base = self._counts[key]
            self._show_count(key, count, base)
            if key in self._steps:
                base, steps = self._steps[key]
                self.waterfall(key, base, steps)
            return
        wait = self.debounce_s if typing and not immediate else 0.0
        self.slot.later(wait, lambda: self._start(seg))

    def _edited(self) -> bool:
        """Note an edit now; True when the one before it came within the debounce (typing)."""
        now = self.clock()
        typing = now - self._last_edit < self.debounce_s
        self._last_edit = now
        return typing

    def invalid(self) -> None:
        """A draft is not valid yet: count nothing, say so."""
        self._edited()
        self.generation += 1
        self.slot.cancel()
        self._set(self.audience.invalid())

    def stop(self) -> None:
        """Stop quietly (the owner is going away)."""
        self.slot.cancel()

    def cancel(self) -> bool:
        """Esc: stop the pending or running count; True when there was one."""
        if not self.slot.cancel():
            return False
        self.generation += 1
        self._set(self.audience.cancelled())
        return True

    def _start(self, seg: Segment) -> None:
        gen = self.generation
        runner = self.runner()
        self._counting_key = seg.to_yaml()
        self.count_calls += 1
        self._set(self.audience.start(self.clock()))

        def body(job: Job) -> list[Message]:
            # the audience first, as soon as it is known: a filtered count (its conditions
            # pruned by joins) is several times faster than the waterfall's scan of
            # conditional sums; both read unchanged event conditions from the per-condition
            # cache, and a newer edit interrupts either
            count = runner.count(seg, job, cached=True)
            self.slot.tell(job, AudienceCounted(gen, count, runner.snapshot.base_size))
            base, steps = runner.waterfall(seg, job, cached=True)
            if audience_of(base, steps) != count:  # (never seen; the steps' own end wins)
                return [
                    AudienceCounted(gen, audience_of(base, steps), base),
                    WaterfallComputed(gen, base, steps),
                ]
            return [WaterfallComputed(gen, base, steps)]

        self.slot.start(body, lambda exc: QueryFailed(gen, "count", exc))

    # -- results (the owner forwards its messages) -----------------------------------------
    def counted(self, event: AudienceCounted) -> None:
        if event.generation != self.generation or self._counting_key is None:
            return
        _remember(self._counts, self._counting_key, (event.count, event.base))
        self._show_count(self._counting_key, event.count, event.base)

    def computed(self, event: WaterfallComputed) -> None:
        if event.generation != self.generation or self._counting_key is None:
            return
        _remember(self._steps, self._counting_key, (event.base, event.steps))
        self.waterfall(self._counting_key, event.base, event.steps)

    def failed(self, event: QueryFailed) -> None:
        if event.generation == self.generation:
            self._set(self.audience.failed(event.error.render()))

    def _show_count(self, key: str, count: int, base: int) -> None:
        self.counts_shown.append(count)
        self._set(self.audience.counted(count, base, self.previous(key)))

    def _set(self, audience: Audience) -> None:
        self.audience = audience
        self.shown(audience)


def _remember(cache: OrderedDict[str, V], key: str, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
