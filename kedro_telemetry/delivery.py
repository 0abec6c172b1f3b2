"""Hands a finished event to the outbox and makes sure a sender will see it.

This is all the foreground ever does with an event: one small file write, one
lock probe and, when no sender is at work, one process start, whatever the
network is doing. In debug mode it only shows the event on stderr.

Where nothing of ours can outlive the command (a container, see ``lifetime``),
a detached sender would be killed with it; there the event is sent from this
process instead, and the process waits for it at exit, a second at most (see
``before_exit``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

from kedro_telemetry import environment, lifetime
from kedro_telemetry.outbox import Outbox, SenderLock

__all__ = ["deliver", "start_sender", "wake_sender"]


def deliver(event: dict[str, Any]) -> bool:
    """Queue ``event`` and see that it gets sent; return whether it was queued."""
    if environment.debug_enabled():
        shown = {"app_id": environment.app_id(), **event}
        sys.stderr.write(json.dumps(shown, indent=2) + "\n")
        sys.stderr.flush()
        return False
    # The event is on disk BEFORE anyone is woken: see ``wake_sender``.
    Outbox.default().put(
        {
            "endpoint": environment.endpoint(),
            "app_id": environment.app_id(),
            "event": event,
        }
    )
    if environment.wait_allowed() and lifetime.ends_with_this_process():
        from kedro_telemetry import before_exit

        before_exit.send_before_exit()
    else:
        wake_sender()
    return True


def wake_sender() -> None:
    """Start a sender, unless one is draining the outbox or about to.

    A burst of commands thus starts about one sender, not one each. Why no
    event is left behind: every holder of the sender lock (a sender, a flush,
    a command about to hand the lock to the sender it starts) looks at the
    outbox again after it releases the lock, and goes on (or wakes a sender)
    for any event that arrived meanwhile. Our event is written before we try
    the lock; if the try fails, someone holds the lock at that moment, so their
    release, and the look after it, come after our event was on disk.

    The process start itself happens in a thread: on a busy machine it waits
    milliseconds for the child to be scheduled, which the hook need not
    spend. The thread is not a daemon, so the interpreter still starts the
    sender before it exits.
    """
    lock = SenderLock.default()
    if not lock.acquire():
        return  # a sender is at work, or about to be: it will see our event
    try:
        threading.Thread(
            target=_start_sender_holding,
            args=(lock,),
            name="kedro-telemetry-start-sender",
        ).start()
    except RuntimeError:  # no new threads once the interpreter shuts down
        _start_sender_holding(lock)
    except BaseException:
        lock.release()
        raise


def _start_sender_holding(lock: SenderLock) -> None:
    """Start a sender that inherits ``lock``; never raises (no boundary in a thread)."""
    try:
        if not SenderLock.CAN_HAND_DOWN:
            # Windows: the sender takes the lock itself. In the gap another
            # command may start a second sender, which finds the lock taken
            # and leaves: correct, just not as frugal as on POSIX.
            lock.release()
        start_sender(lock.descriptor())
    except Exception:
        pass  # the event stays queued for the next command
    finally:
        lock.release()  # the sender holds the lock through its own descriptor


def start_sender(lock_descriptor: int | None = None) -> None:
    """Start ``python -m kedro_telemetry.sender``, detached, and return at once.

    The child gets its own session and no descriptor of ours but the lock's
    (``lock_descriptor``, which it inherits, and with it the lock): a pipe
    such as ``kedro info | cat`` closes when Kedro exits, not when the sender
    does. ``--after`` tells it to wait for this process to exit before it
    works. A daemon thread reaps it, so that a long-lived process (a notebook)
    keeps no zombie and never waits for it.
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
    if lock_descriptor is not None:
        options["pass_fds"] = (lock_descriptor,)
        command += ["--lock-fd", str(lock_descriptor)]
    process = subprocess.Popen(command, **options)
    threading.Thread(
        target=process.wait, name="kedro-telemetry-reaper", daemon=True
    ).start()
