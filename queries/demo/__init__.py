"""The demo world: a deterministic loyalty snapshot, and its continuation for measuring."""
