"""Error types that carry where a problem is, so the CLI and TUI can show it to people."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from queries.core.i18n import _


class KizunaError(Exception):
    """Base class for every user-facing error: rendered as a short paragraph, never a traceback."""

    exit_code = 1

    def render(self) -> str:
        """Return the message a person reads."""
        return str(self)


@dataclass
class Location:
    """Where in a file a problem sits: file, 1-based line, and dotted field path."""

    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(_("line {n}").format(n=self.line))
        if self.field:
            parts.append(_("at `{field}`").format(field=self.field))
        return " ".join(parts)


class SegmentError(KizunaError):
    """A segment or campaign file is invalid; names the file, line and field."""

    def __init__(self, message: str, loc: Location | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc or Location()
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = str(self.loc)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UnknownField(SegmentError):
    """A condition names a field the catalog does not have."""


class UnknownSegment(SegmentError):
    """A segment reference or CLI argument names no segment in the workspace."""


class SegmentCycle(SegmentError):
    """Segment references loop back on themselves."""


class SnapshotError(KizunaError):
    """The snapshot cannot be opened or read."""


class SnapshotLocked(SnapshotError):
    """A writer holds the snapshot (it is being refreshed)."""


class ConfigError(KizunaError):
    """The workspace kizuna.toml is invalid."""


class QueryCancelled(KizunaError):
    """A running query was interrupted by the user."""

    exit_code = 130


class CustomerNotFound(KizunaError):
    """The customer id asked about does not exist in the snapshot."""


def suggest(word: str, options: list[str]) -> str | None:
    """A "did you mean" hint for a misspelt name."""
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return _("did you mean `{name}`?").format(name=close[0]) if close else None
