"""Screens for the handoff: approval, export, results."""
