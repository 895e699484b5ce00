"""Typed access to the Kizuna app from screens and widgets (Textual types `node.app` as any App).

Screens cannot import `tui.app` (it imports them), so what they use of the app is stated here
as a protocol; `tui/app.py` checks that `KizunaApp` has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.dom import DOMNode

if TYPE_CHECKING:  # the session (sqlglot, DuckDB) loads after the first screen
    from queries.query.session import Session
    from queries.segments.model import Segment


class Kizuna(Protocol):
    """What screens and widgets use of the app, beyond Textual's `App`."""

    session: Session | None
    monotonic: Callable[[], float]
    values_cache: dict[tuple[str | None, str], list[tuple[Any, int]]]
    last_stem: str | None

    def open_session(self) -> None: ...

    def open_stem(self, stem: str) -> None: ...

    def new_segment(self) -> None: ...

    def action_toggle_theme(self) -> None: ...

    def action_help(self) -> None: ...

    def segments_changed(self) -> None: ...

    def cached_count(self, stem: str) -> int | None: ...

    def remember_count(self, stem: str, count: int) -> None: ...

    def open_builder(self, segment: Segment | None) -> None: ...

    def refresh_title(self, name: str, dirty: bool) -> None: ...


def kizuna(node: DOMNode) -> Kizuna:
    """The app a screen or widget runs in, typed."""
    return cast(Kizuna, node.app)


def session_of(node: DOMNode) -> Session:
    """The open session (screens that query are only shown once it is open)."""
    session = kizuna(node).session
    assert session is not None, "the workspace is not open yet"
    return session
