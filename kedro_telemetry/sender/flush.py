"""``kedro telemetry flush``: run the drain now, in this process.

A background sender that is backing off from a failing endpoint, or waiting
for the next command's event, holds the sender lock; the flush asks it to let
go (see ``outbox.lock``), so the person waiting gets the outbox at once.
"""

from __future__ import annotations

import time

from kedro_telemetry.outbox.lock import SenderLock
from kedro_telemetry.outbox.store import Outbox
from kedro_telemetry.outbox.wake import wake_sender
from kedro_telemetry.sender.drain import Report
from kedro_telemetry.sender.serve import serve

__all__ = ["flush"]


def flush(seconds: float) -> Report:
    """Send what the outbox holds, for ``seconds`` at most, and say how it went.

    Events queued while it runs are sent too while time is left, and get a
    background sender of their own otherwise.
    """
    until = time.monotonic() + seconds
    lock = SenderLock.default()
    with lock.ask_holder_to_yield(seconds) as acquired:
        if not acquired:
            return Report(
                left=Outbox.default().count(),
                problem="another sender kept the outbox busy",
            )
        return serve(
            lock,
            Outbox.default(),
            pass_seconds=max(0.1, until - time.monotonic()),
            idle_seconds=0.0,
            until=until,
            stop_requested=lambda: False,
            on_stranded=wake_sender,
        )
