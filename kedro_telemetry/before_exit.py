"""Sending from the command's own process, where no sender could outlive it.

In a container (see ``delivery.ends_with_this_process``) the detached sender
would die with the command, and the event with the container's files. So the
event is sent by a daemon thread of this process, started as soon as the event
is queued, and at exit the process waits for that thread, but never past
``BUDGET_SECONDS`` after the last event was queued.

Why the wait is bounded whatever the network does: the thread does all the
work (importing ``requests`` included, a quarter of a second of CPU), and a
daemon thread stuck in DNS or on an endpoint that never answers is simply
abandoned when the wait ends; the event stays in the outbox, since an event
leaves it only once Heap has accepted it. The thread is started when the event
is queued, not at exit: a long ``kedro run`` in a container has its event sent
while it runs, and Python 3.12.0 and 3.12.1 refuse to start threads in
``atexit`` handlers.
"""

from __future__ import annotations

import atexit
import threading
import time

__all__ = ["BUDGET_SECONDS", "send_before_exit"]

# How long after queuing its last event the process may still be waiting for
# it at exit. Counted from the queuing, not from the wait, so that the work the
# thread does while Kedro shuts down is inside the budget. The 0.2 s left of
# the 1 s promised cover what the plugin costs besides (its hooks, the CPU the
# thread takes from Kedro on a busy machine); ``make bench`` checks the sum.
# With a healthy endpoint the event is out in about 0.2 s.
BUDGET_SECONDS = 0.8
# How long the thread may keep trying while the process still runs (a long
# ``kedro run``); the same deadline as the background sender.
_DRAIN_SECONDS = 60.0


class _BeforeExit:
    """One sending thread per process at a time, and one wait at exit."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._pending = False  # an event was queued that no drain has looked at yet
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._waits_at_exit = False
        self._deadline = 0.0  # monotonic time; the wait at exit ends there

    def request(self) -> None:
        """Have the events queued so far sent before this process ends."""
        with self._mutex:
            self._pending = True
            self._deadline = time.monotonic() + BUDGET_SECONDS
            if not self._waits_at_exit:
                atexit.register(self.wait_at_exit)
                self._waits_at_exit = True
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="kedro-telemetry-before-exit", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        """Drain until no request is pending; a request made meanwhile is seen."""
        try:
            while self._take_request():
                from kedro_telemetry.sender import drain_in_turns

                drain_in_turns(time.monotonic() + _DRAIN_SECONDS, self._stop.is_set)
        except Exception:  # nowhere to report it: the command goes on regardless
            with self._mutex:
                if self._worker is threading.current_thread():
                    self._worker = None

    def _take_request(self) -> bool:
        with self._mutex:
            pending, self._pending = self._pending, False
            if not pending or self._stop.is_set():
                self._worker = None
                return False
            return True

    def wait_at_exit(self) -> None:
        """At exit: wait for the thread until the deadline at most, then stop it."""
        try:
            worker = self._worker
            if worker is not None:
                worker.join(max(0.0, self._deadline - time.monotonic()))
        finally:
            self._stop.set()  # a thread that wakes up late writes nothing more


_before_exit = _BeforeExit()


def send_before_exit() -> None:
    """Send the queued events from this process, which waits for them at exit.

    The wait ends ``BUDGET_SECONDS`` after this call at the latest.
    """
    _before_exit.request()
