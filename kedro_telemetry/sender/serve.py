"""Taking turns at the outbox: the one rule that keeps an event from being stranded.

A command queues its event and then tries the sender lock; when someone holds
it, the command starts no sender and counts on the holder. So every holder, as
it lets go, looks at the outbox once more: an event queued since it last
looked, and not yet tried, makes it take the lock again and go on or, when it
may not go on, start a sender for it. The event was on disk before the command
tried the lock, and the holder's look comes after its release, so no event
falls between the two.

While it holds the lock, a holder may also wait a while for the next command's
event (``idle_seconds``): a working session is then served by one sender, and
its commands find the lock taken and start none of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kedro_telemetry.files import remove_stale_temporaries
from kedro_telemetry.outbox.lock import SenderLock
from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.sender.drain import Report, drain_within

__all__ = ["POLL_SECONDS", "serve"]

# How often an idle holder looks for a newcomer (a directory listing) and for
# a flush that asks for the lock.
POLL_SECONDS = 0.5

Drainer = Callable[[float, Outbox, Callable[[], bool]], Report]


def serve(
    lock: SenderLock,
    outbox: Outbox,
    *,
    pass_seconds: float,
    idle_seconds: float,
    until: float,
    stop_requested: Callable[[], bool],
    on_stranded: Callable[[], None],
    drain: Drainer = drain_within,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Drain the outbox while holding ``lock`` (already held), in turns.

    Each drain may take ``pass_seconds``; after it, newcomers are awaited for
    ``idle_seconds``. No drain starts after ``until`` (a monotonic time); an
    event that arrives after that is handed to ``on_stranded`` (which starts
    a fresh sender). ``stop_requested`` (a flush wants the lock) ends the turn
    at once: the one who asked looks at the outbox in its own turn. The lock
    is released on return, whatever happened; the report's ``left`` is what
    the outbox holds then.
    """
    total = Report()
    try:
        while True:
            seen = outbox.names()
            remove_stale_temporaries(outbox.directory)
            seconds = min(pass_seconds, until - clock())
            if seconds > 0 and not stop_requested():
                total.add(drain(seconds, outbox, stop_requested))
            seen |= total.attempted
            quiet_until = min(until, clock() + idle_seconds)
            if _newcomer_queued_by(
                quiet_until,
                outbox=outbox,
                seen=seen,
                stop_requested=stop_requested,
                clock=clock,
                sleep=sleep,
            ):
                continue  # before ``until``, and nobody asked us to stop
            lock.release()
            if not outbox.added_since(seen) or stop_requested():
                return total
            if clock() >= until:
                on_stranded()
                return total
            if not lock.acquire():
                return total  # the holder looks again after its own release
    finally:
        lock.release()
        total.left = outbox.count()


def _newcomer_queued_by(
    end: float,
    *,
    outbox: Outbox,
    seen: set[str],
    stop_requested: Callable[[], bool],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    """Whether an event not in ``seen`` is queued by ``end``, looking now and then.

    Always false once ``end`` has passed or a stop is requested, so that the
    caller's loop ends.
    """
    while not stop_requested() and (left := end - clock()) > 0:
        if outbox.added_since(seen):
            return True
        sleep(min(POLL_SECONDS, left))
    return False
