"""Why an approval or an export was refused: error types the CLI and TUI render for people."""

from __future__ import annotations

from typing import Any

from queries.core.errors import KizunaError


class ExportError(KizunaError):
    """An export (or approval) cannot go ahead; `reason` is a short code for the audit log."""

    reason = "error"

    def __init__(self, message: str, audit: dict[str, Any] | None = None):
        super().__init__(message)
        self.audit = audit or {}  # what the audit log may keep: counts and codes, no personal data

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self), "audit": self.audit}


class NotApproved(ExportError):
    """The campaign has no approval on record."""

    reason = "not_approved"


class ApprovalInvalid(ExportError):
    """The approval file cannot be read (bad JSON, a missing or mistyped field); names which."""

    reason = "approval_invalid"


class ChangedSinceApproval(ExportError):
    """A definition file changed after the approval; names which."""

    reason = "changed"


class DriftExceeded(ExportError):
    """The final count moved further from the approved count than `drift_limit` allows."""

    reason = "drift"


class PreflightFailed(ExportError):
    """Rendering found problems (undefined values, over-length, unencodable, no coupon)."""

    reason = "preflight"


class EncodingFailed(ExportError):
    """A value cannot be written in the export encoding; names the row and customer."""

    reason = "encoding"


class FieldTooLong(ExportError):
    """A value is longer than the destination accepts; names the row and customer."""

    reason = "field_too_long"


class ExportBusy(ExportError):
    """Another export of the same campaign is running."""

    reason = "busy"


class SnapshotChanged(ExportError):
    """The snapshot file changed (was refreshed) while the export ran: nothing is published."""

    reason = "snapshot_changed"


def from_dict(d: dict[str, Any]) -> ExportError:
    """Rebuild an error a worker process reported."""
    kinds: list[type[ExportError]] = [ExportError, *ExportError.__subclasses__()]
    classes = {c.__name__: c for c in kinds}
    cls = classes.get(str(d.get("type")), ExportError)
    return cls(str(d.get("message", "export failed")), d.get("audit") or {})


class SendTimePassed(ExportError):
    """The campaign's `send_at` is already in the past (wall clock); `--force` exports anyway."""

    reason = "send_time_passed"


class ReplaceNeeded(ExportError):
    """The campaign was exported before; exporting again replaces that handoff (`--replace`)."""

    reason = "replace_needed"
