"""CLI commands for campaigns: preview (and later approve, export)."""

from __future__ import annotations
