"""Hands a finished event to the outbox and makes sure a sender will see it.

This is all the foreground ever does with an event: one small file write, one
lock probe and, when no sender is at work, one process start, whatever the
network is doing. In debug mode it only shows the event on stderr.

Where nothing of ours can outlive the command (a container, see
``ends_with_this_process``), a detached sender would be killed with it; there
the event is sent from this process instead, and the process waits for it at
exit, a second at most (see ``before_exit``).
"""

from __future__ import annotations

import _thread
import atexit
import json
import os
import subprocess
import sys
import threading
from typing import Any

from kedro_telemetry import environment
from kedro_telemetry.outbox import Outbox, SenderLock

__all__ = [
    "CONTAINER_INITS",
    "deliver",
    "ends_with_this_process",
    "start_sender",
    "wake_sender",
]


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
    if environment.wait_allowed() and ends_with_this_process():
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

    The process start itself happens in a thread of its own, started without
    waiting for it to run (``threading.Thread.start`` waits, which costs the
    hook a cross-core wake-up of half a millisecond on a quiet machine and
    more on a busy one). An ``atexit`` wait, not thread bookkeeping, makes the
    interpreter finish the start before it exits.
    """
    lock = SenderLock.default()
    if not lock.acquire():
        return  # a sender is at work, or about to be: it will see our event
    started = _thread.allocate_lock()
    started.acquire()
    try:
        _thread.start_new_thread(_start_sender_holding, (lock, started))
    except RuntimeError:  # no new threads once the interpreter shuts down
        _start_sender_holding(lock, started)
        return
    except BaseException:
        lock.release()
        raise
    _finish_before_exit(started)


def _start_sender_holding(lock: SenderLock, started: _thread.LockType) -> None:
    """Start a sender that inherits ``lock``; never raises (no boundary in a thread).

    ``started`` is released at the end, whatever happened: it is what the
    exit wait watches.
    """
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
        started.release()


# Starter threads that may still be running, each as the lock it releases
# when done. A long-lived process (a notebook) prunes finished ones as it goes.
_starting: list[_thread.LockType] = []

# Far longer than starting a process takes even on a loaded machine; it only
# bounds the exit of a process whose starter thread is stuck.
_START_WAIT_SECONDS = 5.0


def _finish_before_exit(started: _thread.LockType) -> None:
    if not _starting:  # the first starter of this process (see below)
        atexit.register(_wait_for_starters)
    # Finished ones go, but never the whole list: an empty list means the exit
    # wait is not registered yet, so one stays behind.
    _starting[:-1] = [lock for lock in _starting[:-1] if lock.locked()]
    _starting.append(started)


def _wait_for_starters() -> None:
    """At exit: let each starter thread finish starting its sender.

    Without it the interpreter could stop the thread mid-start: threads made
    by ``_thread`` are not waited for, unlike ``threading`` ones.
    """
    for started in _starting:
        if started.acquire(timeout=_START_WAIT_SECONDS):
            started.release()


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


# Whether a process started by this one can outlive it -----------------------
#
# The detached sender relies on outliving the ``kedro`` command that queued the
# event. In a throwaway container it cannot: when the container's first process
# (PID 1 of its PID namespace) exits, the kernel kills every other process of the
# namespace, the sender included, and the container's files go with it.
#
# Two signals say so, both cheap and both false on an ordinary machine:
#
# * ``os.getpid() == 1``: this process is the init of its own PID namespace, as
#   in ``docker run --rm image kedro run``, a Kubernetes or Argo pod whose
#   command is ``kedro``, or ``unshare --pid --fork kedro info``. On an ordinary
#   machine PID 1 is the system's init (systemd, launchd), never Kedro.
# * ``os.getppid() == 1`` and PID 1 is a minimal init that exits with its one
#   child: ``docker run --init`` (tini, docker-init), dumb-init, podman's
#   catatonit, Argo's argoexec, or a shell running the container's command
#   (``sh -c "kedro run"``). Only then is ``/proc/1/comm`` read: on an ordinary
#   Linux machine PID 1 is systemd or init (WSL's too), which outlives us.
#
# Anything else (macOS, Windows, a parent that is not PID 1) counts as a machine
# where the sender outlives the command. Left out on purpose: ``getppid() == 0``
# (the parent is outside our PID namespace) is also true of ``docker exec``,
# where the container and so the sender live on; a wrong "yes" would make every
# such command wait for the network.

# The ``comm`` names of inits that exit as soon as their one child does.
CONTAINER_INITS = frozenset(
    {
        "tini",
        "docker-init",  # Docker's --init is tini under this name
        "dumb-init",
        "catatonit",  # podman --init
        "argoexec",  # Argo Workflows' emissary wraps the step's command
        "sh",
        "bash",
        "dash",
        "ash",
        "busybox",
    }
)
_INIT_PID = 1


def ends_with_this_process() -> bool:
    """Whether every process we start is killed when this one exits (a container)."""
    if not sys.platform.startswith("linux"):
        return False  # containers run Linux; elsewhere PID 1 is launchd or absent
    if os.getpid() == _INIT_PID:
        return True
    return os.getppid() == _INIT_PID and _init_name() in CONTAINER_INITS


def _init_name() -> str:
    """The command name of PID 1 in our namespace, or "" when it cannot be read."""
    try:
        with open(f"/proc/{_INIT_PID}/comm", encoding="utf-8", errors="replace") as f:
            return f.read(64).strip()
    except OSError:
        return ""
