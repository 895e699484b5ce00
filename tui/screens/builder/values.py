"""A field's values with counts for the pickers: fetched in a worker, cached per app."""

from __future__ import annotations

from tui.kizuna import kizuna, session_of
from tui.messages import ValuesLoaded

VALUES_LIMIT = 50


def load_values(screen, field: str, event: str | None) -> None:
    """Fetch a field's values with counts (cached per app) and post ValuesLoaded."""
    cache: dict = kizuna(screen).values_cache
    key = (event, field)
    if key in cache:
        screen.post_message(ValuesLoaded(field, cache[key]))
        return
    session = session_of(screen)

    def body(job):
        values = session.runner.values(field, VALUES_LIMIT, event=event, job=job)
        cache[key] = values
        return ValuesLoaded(field, values)

    screen.values_slot.start(body, lambda exc: None)
