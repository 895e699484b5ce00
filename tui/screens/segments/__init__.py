"""Screens for the saved segments: the list, file actions, backtests."""
