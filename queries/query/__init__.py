"""Running segments against a snapshot: the snapshot, the session, the runner and its caches."""
