"""The last step of the foreground: queue a finished event and wake a sender.

This is all a command ever does with an event: one small file write, one lock
probe and, when no sender is at work, one process start, whatever the network
is doing. In debug mode it only shows the event on stderr; with an endpoint
that can never work it queues nothing.

The foreground never imports the sending code: it starts ``python -m
kedro_telemetry.sender`` and hands it the sender lock, and the child does the
rest. A burst of commands starts about one sender, since a command starts one
only when it gets the lock (see ``sender.serve`` for why no event is left
behind when it does not).

Where nothing outlives the command (a container, see ``containers``), the
child would be killed at our exit, so it is started without waiting for us,
and we wait for it at exit, but never past ``WAIT_BUDGET_SECONDS`` after the
last event was queued.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.logs import LOGGER_NAME
from kedro_telemetry.outbox.containers import ends_with_this_process
from kedro_telemetry.outbox.lock import SenderLock
from kedro_telemetry.outbox.store import Outbox

__all__ = [
    "SENDER_MODULE",
    "WAIT_BUDGET_SECONDS",
    "queue_event",
    "sender_invocation",
    "start_sender",
    "wake_sender",
]

SENDER_MODULE = "kedro_telemetry.sender"

# How long after queuing its last event a command in a container may still be
# waiting for its sender at exit. The 0.2 s left of the promised second cover
# what the plugin costs besides; ``make bench`` checks the sum.
WAIT_BUDGET_SECONDS = 0.8

# Windows' process-creation flags; ``subprocess`` names them only on Windows.
_DETACHED_PROCESS = 0x00000008
_CREATE_NEW_PROCESS_GROUP = 0x00000200
_CREATE_NO_WINDOW = 0x08000000

# Far longer than starting a process takes even on a loaded machine; it only
# bounds the exit of a process whose starter thread is stuck.
_START_WAIT_SECONDS = 5.0

logger = logging.getLogger(LOGGER_NAME)


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
    # The event is on disk BEFORE anyone is woken: see ``sender.serve``.
    Outbox.default().put(
        {"endpoint": endpoint, "app_id": environment.app_id(), "event": event}
    )
    wake_sender(wait_at_exit=environment.wait_allowed() and ends_with_this_process())
    return True


def wake_sender(*, wait_at_exit: bool = False) -> None:
    """Start a sender, unless one is draining the outbox or about to.

    The process start runs in a thread of its own, so that the hook does not
    wait for it; an exit wait makes the interpreter finish the start before it
    exits. With ``wait_at_exit`` (a container) the exit also waits for the
    sender itself, within the budget.
    """
    if wait_at_exit:
        _senders.extend_deadline(time.monotonic() + WAIT_BUDGET_SECONDS)
    lock = SenderLock.default()
    if not lock.acquire():
        return  # a sender is at work, or about to be: it will see our event
    _senders.start_in_thread(lock, detached=not wait_at_exit)


def start_sender(
    lock_descriptor: int | None, *, detached: bool
) -> subprocess.Popen[bytes]:
    """Start the sender and return at once; it inherits ``lock_descriptor``."""
    command, options = sender_invocation(
        lock_descriptor=lock_descriptor, detached=detached, parent_pid=os.getpid()
    )
    return subprocess.Popen(command, **options)


def sender_invocation(
    *,
    lock_descriptor: int | None,
    detached: bool,
    parent_pid: int,
    platform: str = sys.platform,
) -> tuple[list[str], dict[str, Any]]:
    """The sender's command line and ``Popen`` options on ``platform``.

    A ``detached`` sender gets a session (a process group on Windows) of its
    own, waits for ``parent_pid`` to exit before it works, and then stays a
    while for the next commands' events. Otherwise it works at once and
    leaves when the outbox is empty. It gets no descriptor of ours but the
    lock's: a pipe such as ``kedro info | cat`` closes when Kedro exits, not
    when the sender does.
    """
    options: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "close_fds": True,
        "cwd": os.path.abspath(os.sep),
    }
    command = [sys.executable, "-m", SENDER_MODULE]
    command += ["--after", str(parent_pid)] if detached else ["--no-idle"]
    if platform == "win32":
        options["creationflags"] = (
            _DETACHED_PROCESS | _CREATE_NEW_PROCESS_GROUP | _CREATE_NO_WINDOW
        )
    else:
        options["start_new_session"] = detached
    if lock_descriptor is not None:
        options["pass_fds"] = (lock_descriptor,)
        command += ["--lock-fd", str(lock_descriptor)]
    return command, options


class _SenderStarts:
    """The senders this process started, and what its exit waits for."""

    def __init__(self) -> None:
        # One event per starter thread, set when its start is done.
        self._starting: list[threading.Event] = []
        # Set when the last sender we started has ended (container only).
        self._sender_done: threading.Event | None = None
        self._deadline = 0.0

    def extend_deadline(self, deadline: float) -> None:
        self._deadline = max(self._deadline, deadline)

    def start_in_thread(self, lock: SenderLock, *, detached: bool) -> None:
        started = threading.Event()
        # Finished starts are forgotten, so that a notebook keeps no list.
        self._starting = [done for done in self._starting if not done.is_set()]
        self._starting.append(started)
        starter = threading.Thread(
            target=self._start,
            args=(lock, started, detached),
            name="kedro-telemetry-starter",
            daemon=True,
        )
        try:
            starter.start()
        except RuntimeError:  # no new threads once the interpreter shuts down
            self._start(lock, started, detached)
        except BaseException:
            lock.release()
            started.set()
            raise

    def _start(
        self, lock: SenderLock, started: threading.Event, detached: bool
    ) -> None:
        """Start a sender that inherits ``lock``; never raises (it runs in a thread)."""
        try:
            if not SenderLock.CAN_HAND_DOWN:
                # Windows: the sender takes the lock itself. In the gap another
                # command may start a second sender, which finds the lock taken
                # and leaves: correct, just not as frugal as on POSIX.
                lock.release()
            process = start_sender(lock.descriptor(), detached=detached)
            done = threading.Event()
            if not detached:
                self._sender_done = done
            threading.Thread(
                target=_reap,
                args=(process, done),
                name="kedro-telemetry-reaper",
                daemon=True,
            ).start()
        except Exception:  # the event stays queued for the next command
            logger.debug("could not start a sender", exc_info=True)
        finally:
            lock.release()  # the sender holds the lock through its own descriptor
            started.set()

    def wait_at_exit(self) -> None:
        """Let each start finish; in a container, wait for the sender within budget."""
        for started in self._starting:
            started.wait(_START_WAIT_SECONDS)
        if self._sender_done is not None:
            self._sender_done.wait(max(0.0, self._deadline - time.monotonic()))


def _reap(process: subprocess.Popen[bytes], done: threading.Event) -> None:
    """Wait for the sender, so that a long-lived process keeps no zombie."""
    try:
        process.wait()
    finally:
        done.set()


_senders = _SenderStarts()
atexit.register(_senders.wait_at_exit)
