"""The last step of the foreground: queue a finished event and wake a sender.

This is all a command ever does with an event: one small file write, one lock
probe and, when no sender is at work, one process start, whatever the network
is doing. In debug mode it only shows the event on stderr; with an endpoint
that can never work it queues nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.containers import ends_with_this_process
from kedro_telemetry.outbox import Outbox
from kedro_telemetry.spawn import wake_sender

__all__ = ["queue_event"]


def queue_event(event: dict[str, Any]) -> bool:
    """Queue ``event`` and see that it gets sent; return whether it was queued."""
    if environment.debug_enabled():
        shown = {"app_id": environment.app_id(), **event}
        sys.stderr.write(json.dumps(shown, indent=2) + "\n")
        sys.stderr.flush()
        return False
    endpoint = environment.endpoint()
    if environment.endpoint_problem(endpoint):
        return False  # it could never leave; ``kedro telemetry status`` says why
    # The event is on disk BEFORE anyone is woken: see ``turns``.
    Outbox.default().put(
        {"endpoint": endpoint, "app_id": environment.app_id(), "event": event}
    )
    wake_sender(wait_at_exit=environment.wait_allowed() and ends_with_this_process())
    return True
