"""Past-tense events the TUI's workers post; handlers on screens and the app own the state.

Every message about the segment being edited carries the `generation` it was computed for,
so a handler can drop a stale result (an answer for a tree that has since changed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.widget import Widget

from queries.core.errors import KizunaError

if TYPE_CHECKING:  # types only: the first screen paints before sqlglot and DuckDB load
    from queries.query.explain import Verdict
    from queries.query.runner import BreakdownRow, WaterfallStep
    from queries.query.session import Session
    from queries.segments.model import Node


class SessionProgressed(Message):
    """Opening the snapshot reported progress (e.g. computing the features cache)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SessionOpened(Message):
    """The workspace and snapshot are open and ready for queries."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class SessionFailed(Message):
    """Opening the workspace or snapshot failed (locked, invalid config, missing file)."""

    def __init__(self, error: KizunaError) -> None:
        super().__init__()
        self.error = error


class SegmentCounted(Message):
    """A saved segment in the list was counted (or could not be: `error` says why)."""

    def __init__(self, stem: str, count: int | None, error: str | None = None) -> None:
        super().__init__()
        self.stem = stem
        self.count = count
        self.error = error


class SegmentsCounted(Message):
    """The background count of every saved segment finished (or was stopped)."""

    def __init__(self, cancelled: bool = False) -> None:
        super().__init__()
        self.cancelled = cancelled


class Generational(Message):
    """A result for one version of the edited segment."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class AudienceCounted(Generational):
    """The live count of the edited segment finished."""

    def __init__(self, generation: int, count: int, base: int) -> None:
        super().__init__(generation)
        self.count = count
        self.base = base


class WaterfallComputed(Generational):
    """How many each top-level condition removes, for the edited segment."""

    def __init__(self, generation: int, base: int, steps: list[WaterfallStep]) -> None:
        super().__init__(generation)
        self.base = base
        self.steps = steps


class QueryFailed(Generational):
    """A query about the edited segment failed; `what` names the view that asked."""

    def __init__(self, generation: int, what: str, error: KizunaError) -> None:
        super().__init__(generation)
        self.what = what
        self.error = error


class SampleLoaded(Generational):
    """A stable sample of members arrived (masked unless `unmasked`)."""

    def __init__(self, generation: int, rows: list[dict[str, Any]], unmasked: bool) -> None:
        super().__init__(generation)
        self.rows = rows
        self.unmasked = unmasked


class BreakdownLoaded(Generational):
    """The audience against the base by one field's values."""

    def __init__(self, generation: int, field: str, rows: list[BreakdownRow]) -> None:
        super().__init__(generation)
        self.field = field
        self.rows = rows


class OverlapComputed(Generational):
    """How many are in the edited segment, in another one, and in both."""

    def __init__(self, generation: int, other: str, a: int, b: int, both: int) -> None:
        super().__init__(generation)
        self.other = other
        self.a = a
        self.b = b
        self.both = both


class CustomerExplained(Generational):
    """A customer's profile, recent history and condition-by-condition verdicts."""

    def __init__(
        self,
        generation: int,
        customer_id: str,
        member: bool,
        verdicts: list[Verdict],
        profile: dict[str, Any],
        history: dict[str, list[dict[str, Any]]],
    ) -> None:
        super().__init__(generation)
        self.customer_id = customer_id
        self.member = member
        self.verdicts = verdicts
        self.profile = profile
        self.history = history


class ValuesLoaded(Message):
    """Distinct values of a field with counts, for a value picker."""

    def __init__(self, field: str, values: list[tuple[Any, int]]) -> None:
        super().__init__()
        self.field = field
        self.values = values


class CustomerPicked(Message):
    """A customer was chosen in the sample (Enter on a row) to look at in the customer view."""

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id


class Drafted(Message):
    """A condition dialog's draft changed: the node as typed, or None and why it is not valid."""

    def __init__(self, dialog: Widget, node: Node | None, problem: str | None = None) -> None:
        super().__init__()
        self.dialog = dialog
        self.node = node
        self.problem = problem
