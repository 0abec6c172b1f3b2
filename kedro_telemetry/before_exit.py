"""Sending from the command's own process, where no sender could outlive it.

In a container (see ``lifetime``) the detached sender would die with the
command, and the event with the container's files. So the event is sent by a
daemon thread of this process, started as soon as the event is queued, and at
exit the process waits for that thread for ``EXIT_WAIT_SECONDS`` at most.

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

__all__ = ["EXIT_WAIT_SECONDS", "send_before_exit"]

# The most the process waits for its event at exit. Under the 1 s promised:
# the rest covers starting the thread and the CPU it takes from Kedro's own
# shutdown.
EXIT_WAIT_SECONDS = 0.9
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

    def request(self) -> None:
        """Have the events queued so far sent before this process ends."""
        with self._mutex:
            self._pending = True
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
        """At exit: give the thread ``EXIT_WAIT_SECONDS`` at most, then stop it."""
        try:
            worker = self._worker
            if worker is not None:
                worker.join(EXIT_WAIT_SECONDS)
        finally:
            self._stop.set()  # a thread that wakes up late writes nothing more


_before_exit = _BeforeExit()


def send_before_exit() -> None:
    """Send the queued events from this process, which waits 0.9 s at most at exit."""
    _before_exit.request()
