"""The live count behind the builder: debounced, cancellable, stale results dropped.

Every edit (and every valid keystroke in an open condition dialog, as a *draft*) bumps a
generation number and restarts an exclusive async worker whose first line sleeps for the
debounce delay, so a newer keystroke cancels it before any SQL runs. The query itself runs
in a thread with a `Job`; a newer count interrupts the older one's cursor, and a result
whose generation is not the current one is dropped. Results are cached by the segment's
YAML text, so undo/redo and cancelling a dialog show their count at once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from textual import on, work
from textual.screen import Screen

from queries.query.runner import audience_of
from queries.segments.model import Node, Segment
from tui.messages import AudienceCounted, QueryFailed, WaterfallComputed
from tui.widgets.audience import AudienceBar
from tui.workers import JobSlot

DEBOUNCE_S = 0.25
CACHE_SIZE = 64


class LiveCountMixin(Screen):
    """Mixed into the builder: `request_count(tree)` and the handlers for its results."""

    debounce_s = DEBOUNCE_S

    def init_live_count(self) -> None:
        self.generation = 0
        self.count_slot = JobSlot(self, "count")
        self.counts_shown: list[int] = []  # every count the bar accepted (for tests)
        self.count_calls = 0  # how many count queries started
        self._counting_key: str | None = None
        self._counted_key: str | None = None
        self._cache: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._steps: OrderedDict[str, tuple[int, list]] = OrderedDict()

    # overridden by the builder
    def segment_for(self, tree: Node) -> Segment:
        raise NotImplementedError

    def audience_bars(self) -> list[AudienceBar]:
        raise NotImplementedError

    def waterfall_arrived(self, key: str, base: int, steps: list) -> None:
        raise NotImplementedError

    def previous_for(self, key: str) -> int | None:
        """The count a new one is compared with (None: the one shown before)."""
        return None

    def known_count(self, key: str | None) -> int | None:
        hit = self._cache.get(key) if key is not None else None
        return hit[0] if hit else None

    # -- requests --------------------------------------------------------------------------
    def request_count(self, tree: Node, immediate: bool = False) -> None:
        """Count `tree` soon (debounced); a cached answer is shown at once."""
        self.generation += 1
        seg = self.segment_for(tree)
        key = seg.to_yaml()
        self.count_slot.cancel()
        if key in self._cache:
            self._debounced_count(None, 0.0)  # cancels a pending debounce
            count, base = self._cache[key]
            self._show_count(key, count, base)
            if key in self._steps:
                base, steps = self._steps[key]
                self.waterfall_arrived(key, base, steps)
            return
        self._debounced_count(seg, 0.0 if immediate else self.debounce_s)

    def request_invalid(self, reason: str) -> None:
        """A draft is not valid yet: count nothing, say so."""
        self.generation += 1
        self.count_slot.cancel()
        self._debounced_count(None, 0.0)
        for bar in self.audience_bars():
            bar.invalid(reason)

    @work(exclusive=True, group="count-debounce")
    async def _debounced_count(self, seg: Segment | None, delay: float) -> None:
        if seg is None:
            return
        await asyncio.sleep(delay)
        if self.is_attached:  # a screen closed during the debounce counts nothing
            self._start_count(seg)

    def _start_count(self, seg: Segment) -> None:
        gen = self.generation
        key = seg.to_yaml()
        runner = self.app.session.runner
        self._counting_key = key
        self.count_calls += 1
        for bar in self.audience_bars():
            bar.start()

        def body(job):
            # one scan gives the waterfall and the audience (its last step); unchanged event
            # conditions are read from the per-condition cache
            base, steps = runner.waterfall(seg, job, cached=True)
            self.post_message(AudienceCounted(gen, audience_of(base, steps), base))
            return WaterfallComputed(gen, base, steps)

        self.count_slot.start(body, lambda exc: QueryFailed(gen, "count", exc))

    def cancel_count(self) -> bool:
        """Esc: stop the pending or running count; True when there was one."""
        pending = any(w.group == "count-debounce" and w.is_running for w in self.workers_of_self())
        running = self.count_slot.cancel()
        self._debounced_count(None, 0.0)
        if pending or running:
            self.generation += 1
            for bar in self.audience_bars():
                bar.cancelled()
            return True
        return False

    def workers_of_self(self):
        return [w for w in self.app.workers if w.node is self]

    # -- results ---------------------------------------------------------------------------
    def _show_count(self, key: str, count: int, base: int) -> None:
        self._counted_key = key
        self.counts_shown.append(count)
        previous = self.previous_for(key)
        for bar in self.audience_bars():
            bar.counted(count, base, previous)

    @on(AudienceCounted)
    def _counted(self, event: AudienceCounted) -> None:
        event.stop()
        if event.generation != self.generation or self._counting_key is None:
            return
        self._remember(self._cache, self._counting_key, (event.count, event.base))
        self._show_count(self._counting_key, event.count, event.base)

    @on(WaterfallComputed)
    def _waterfall(self, event: WaterfallComputed) -> None:
        event.stop()
        if event.generation != self.generation or self._counting_key is None:
            return
        self._remember(self._steps, self._counting_key, (event.base, event.steps))
        self.waterfall_arrived(self._counting_key, event.base, event.steps)

    @on(QueryFailed)
    def _count_failed(self, event: QueryFailed) -> None:
        if event.what != "count":
            return
        event.stop()
        if event.generation != self.generation:
            return
        for bar in self.audience_bars():
            bar.failed(event.error.render())

    @staticmethod
    def _remember(cache: OrderedDict, key: str, value) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
