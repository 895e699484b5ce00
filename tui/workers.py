"""Database work for the TUI: thin thread workers around `queries`, each with a cancel token.

A `JobSlot` holds at most one running job per concern (the live count, the sample, ...):
starting a new one cancels the previous (its DuckDB cursor is interrupted, its worker
flagged), and whatever the cancelled job would have posted is dropped. Workers only call
the engine and post a message; the screens' handlers own the state.

This is the TUI's one worker pattern and `Job` its one cancel token (`queries` takes the same
`Job`, e.g. `export_campaign(cancel=job)`). Typing is debounced with `later`: an exclusive
async worker whose first line sleeps, so a newer keystroke cancels it before any query starts.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker

from queries.core.errors import KizunaError, QueryCancelled
from queries.segments.model import FieldCond, Segment

if TYPE_CHECKING:  # DuckDB and sqlglot load with the session, after the first screen
    from queries.engines.jobs import Job
    from queries.query.session import Session

HISTORY_SOURCES = ("orders", "web", "messages")
_SLOTS: weakref.WeakSet[JobSlot] = weakref.WeakSet()


def cancel_all() -> None:
    """Interrupt every running job (on quit), so no query outlives the app."""
    for slot in list(_SLOTS):
        slot.cancel()


class JobSlot:
    """One concern's database job: `start` cancels the one before, `cancel` stops it."""

    def __init__(self, owner: DOMNode, group: str) -> None:
        self.owner = owner
        self.group = group
        self.job: Job | None = None
        self.worker: Worker[None] | None = None
        self.waiting: Worker[None] | None = None  # a debounce not yet run (see `later`)
        self._told = False  # the running job reports its end even when cancelled
        self._lock = threading.Lock()
        _SLOTS.add(self)

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(
        self,
        body: Callable[[Job], Message | list[Message] | None],
        on_error: Callable[[KizunaError], Message | None] | None = None,
        on_cancelled: Callable[[QueryCancelled], Message | None] | None = None,
    ) -> Job:
        """Run `body(job)` in a thread; post what it returns unless the job was cancelled.

        With `on_cancelled`, the job's end is always told (work whose outcome matters even
        when stopped, like an export: "nothing was written", or the files if it finished
        first); its worker then runs until the body returns, so nothing waits on a ghost."""
        self.cancel()
        from queries.engines.jobs import Job

        job = Job()
        told = on_cancelled is not None
        with self._lock:
            self.job = job
            self._told = told

        def work() -> None:
            try:
                out = body(job)
            except QueryCancelled as exc:
                if on_cancelled is None:
                    return
                out = on_cancelled(exc)
            except KizunaError as exc:
                if (job.cancelled and not told) or on_error is None:
                    return
                out = on_error(exc)
            except Exception as exc:  # an engine bug must not take the app down
                if (job.cancelled and not told) or on_error is None:
                    return
                out = on_error(KizunaError(f"unexpected error: {exc!r}"))
            finally:
                self._finished(job)
            if (job.cancelled and not told) or out is None:
                return
            for msg in out if isinstance(out, list) else [out]:
                self.owner.post_message(msg)

        worker = self.owner.run_worker(
            work, thread=True, group=self.group, exit_on_error=False, name=self.group
        )
        with self._lock:
            if self.job is job:
                self.worker = worker
        return job

    def tell(self, job: Job, msg: Message) -> None:
        """Post a message from inside a running body (a first result before the rest), unless
        its job was cancelled or replaced."""
        with self._lock:
            current = self.job is job
        if current and not job.cancelled:
            self.owner.post_message(msg)

    def _finished(self, job: Job) -> None:
        with self._lock:
            if self.job is job:
                self.job = None
                self.worker = None

    def later(self, delay: float, then: Callable[[], None]) -> None:
        """Debounce: call `then` (on the UI thread) after `delay` quiet seconds, unless
        cancelled or replaced first (by `later`, `start` or `cancel`) or the owner went away."""
        self.cancel()

        async def wait() -> None:
            await asyncio.sleep(delay)
            if self.owner.is_attached:  # a screen closed during the debounce does nothing
                self.waiting = None
                then()

        group = f"{self.group}-debounce"
        self.waiting = self.owner.run_worker(wait, exclusive=True, group=group, name=group)

    def cancel(self) -> bool:
        """Interrupt the running job, if any, and drop a waiting debounce; True when there
        was either."""
        waiting, self.waiting = self.waiting, None
        pending = waiting is not None and waiting.is_running
        if pending and waiting is not None:
            waiting.cancel()
        with self._lock:
            job, worker, told = self.job, self.worker, self._told
            self.job = None
            self.worker = None
        if job is None:
            return pending
        job.cancel()
        if worker is not None and not told:
            worker.cancel()
        return True


# -- customer view -------------------------------------------------------------------------
def customer_profile(session: Session, customer_id: str, unmask: bool, job: Job) -> dict[str, Any]:
    """Every catalog field of one customer (PII masked unless asked), via the sample query."""
    cat = session.catalog
    probe = Segment("profile", FieldCond("customer_id", "=", customer_id))
    rows = session.runner.sample(probe, 1, unmask, job, columns=list(cat.fields))
    return rows[0] if rows else {}


def customer_history(
    session: Session, customer_id: str, job: Job, n: int = 5
) -> dict[str, list[dict[str, Any]]]:
    """Recent orders, web events and messages of one customer."""
    return {
        src: session.runner.recent_events(customer_id, src, n, job)
        for src in HISTORY_SOURCES
        if src in session.catalog.events and not session.catalog.events[src].unavailable
    }
