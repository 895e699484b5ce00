"""Which `| default:` fallbacks fired while a template rendered, shared by both renderers."""

from __future__ import annotations

from contextvars import ContextVar

# The fallback sites that fired during the current render (token start index of each).
FIRED: ContextVar[list[int] | None] = ContextVar("kizuna_fallbacks_fired", default=None)
