"""The live count's debounce: the first edit after a pause is counted at once, a burst waits."""

from __future__ import annotations

from typing import Any

from queries.segments.model import Segment
from tui.live import LiveCount


class _Slot:
    """Records when each count would start (the delay given to `later`)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def later(self, delay: float, then: Any) -> None:
        self.delays.append(delay)

    def cancel(self) -> bool:
        return False


def _live(now: list[float]) -> tuple[LiveCount, _Slot]:
    live = LiveCount.__new__(LiveCount)
    LiveCount.__init__(
        live,
        owner=None,  # type: ignore[arg-type]  # (the slot is replaced below)
        runner=lambda: None,  # type: ignore[arg-type,return-value]
        clock=lambda: now[0],
        shown=lambda _a: None,
        waterfall=lambda *_a: None,
        previous=lambda _k: None,
    )
    slot = _Slot()
    live.slot = slot  # type: ignore[assignment]
    return live, slot


class _Seg:
    """A segment as the live count sees it: its YAML text is its cache key."""

    def __init__(self, points: int) -> None:
        self.points = points

    def to_yaml(self) -> str:
        return f"where: {{field: points, op: '>=', value: {self.points}}}\n"


def _seg(points: int) -> Segment:
    return _Seg(points)  # type: ignore[return-value]


def test_first_edit_after_a_pause_counts_at_once_and_a_burst_waits() -> None:
    now = [100.0]
    live, slot = _live(now)
    live.request(_seg(1))  # the first edit: at once
    now[0] += 0.08
    live.request(_seg(12))  # typing: waits for the debounce
    now[0] += 0.08
    live.invalid()  # a draft that does not parse is typing too
    now[0] += 0.08
    live.request(_seg(120))
    now[0] += 2.0
    live.request(_seg(1200))  # after a pause: at once again
    live.request(_seg(1201), immediate=True)  # (Enter: always at once)
    assert slot.delays == [0.0, live.debounce_s, live.debounce_s, 0.0, 0.0]
