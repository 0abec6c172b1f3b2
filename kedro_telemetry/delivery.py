"""Hands a finished event to the outbox and wakes the sender, in that order.

This is all the foreground ever does with an event: one small file write and
one process start, whatever the network is doing. In debug mode it only shows
the event on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.outbox import Outbox

__all__ = ["deliver", "start_sender"]


def deliver(event: dict[str, Any]) -> bool:
    """Queue ``event`` and start a sender; return whether it was queued."""
    if environment.debug_enabled():
        shown = {"app_id": environment.app_id(), **event}
        sys.stderr.write(json.dumps(shown, indent=2) + "\n")
        sys.stderr.flush()
        return False
    Outbox.default().put(
        {
            "endpoint": environment.endpoint(),
            "app_id": environment.app_id(),
            "event": event,
        }
    )
    start_sender()
    return True


def start_sender() -> None:
    """Start ``python -m kedro_telemetry.sender``, detached, and return at once.

    The child gets its own session and no descriptor of ours: a pipe such as
    ``kedro info | cat`` closes when Kedro exits, not when the sender does.
    ``--after`` tells it to wait for this process to exit before it works.
    """
    options: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "close_fds": True,
        "cwd": os.path.abspath(os.sep),
    }
    if os.name == "nt":
        options["creationflags"] = (
            subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
            | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
            | subprocess.CREATE_NO_WINDOW  # type: ignore[attr-defined]
        )
    else:
        options["start_new_session"] = True
    command = [
        sys.executable,
        "-m",
        "kedro_telemetry.sender",
        "--after",
        str(os.getpid()),
    ]
    subprocess.Popen(command, **options)
