"""Screens for campaigns: list, editor, live preview, messages, preflight."""
