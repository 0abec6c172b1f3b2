"""The lock that lets one sender at a time drain the outbox.

Whoever holds it (a detached sender, a flush, a command about to hand it to
the sender it starts) is the one that sends. The rule that keeps an event from
being stranded rests on it, and lives in ``sender.serve``.

A flush that wants the lock while a sender holds it leaves a request file; the
holder sees it at its next step and lets go (``ask_holder_to_yield``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kedro_telemetry import files
from kedro_telemetry.logs import LOGGER_NAME

__all__ = ["SenderLock", "holder_asked_to_yield"]

logger = logging.getLogger(LOGGER_NAME)

# A request older than any flush waits is left over from a crash.
_REQUEST_LIFETIME_SECONDS = 600.0


class SenderLock:
    """An advisory lock that the operating system releases when its holder exits.

    On POSIX it is an ``flock``, which belongs to the open file description,
    not to the process: a child that inherits the descriptor holds the same
    lock and keeps it when the parent closes its copy. That is how a command
    hands the lock to the sender it starts, with no moment where nobody holds
    it. Windows' ``msvcrt.locking`` cannot be handed down that way.
    """

    CAN_HAND_DOWN = sys.platform != "win32"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    @classmethod
    def default(cls) -> SenderLock:
        return cls(files.sender_lock_file())

    def acquire(self, wait_seconds: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait_seconds``; whether we hold it now."""
        handle = self._open()
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.close()
                return False
            time.sleep(0.05)
        self._handle = handle
        return True

    def _open(self) -> IO[bytes]:
        try:
            return open(self.path, "a+b")  # held until release
        except FileNotFoundError:  # no state directory yet
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return open(self.path, "a+b")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor releases the lock
            self._handle = None

    def descriptor(self) -> int | None:
        """The held lock's descriptor, for a child process to inherit (POSIX)."""
        return None if self._handle is None else self._handle.fileno()

    def adopt(self, descriptor: int) -> bool:
        """Take over the lock a parent acquired and handed down as ``descriptor``.

        Only a descriptor of this very lock file is adopted, and only while it
        still holds the lock (locking it again through the same open file
        description succeeds at once); anything else is closed and refused.
        """
        try:
            handle = os.fdopen(descriptor, "a+b")
        except OSError:
            logger.debug("no descriptor %d to adopt", descriptor, exc_info=True)
            return False
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(self.path))
        except OSError:
            logger.debug("could not compare descriptor %d", descriptor, exc_info=True)
            same = False
        if same and _try_lock(handle):
            self._handle = handle
            return True
        logger.debug("descriptor %d holds no sender lock: refused", descriptor)
        handle.close()
        return False

    @contextlib.contextmanager
    def ask_holder_to_yield(self, wait_seconds: float) -> Iterator[bool]:
        """Acquire the lock, asking a sender that holds it to let go at once.

        Yields whether the lock was acquired, and releases it afterwards.
        """
        request = files.flush_request_file()
        try:
            request.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            request.touch()
            acquired = self.acquire(wait_seconds)
        finally:
            request.unlink(missing_ok=True)
        try:
            yield acquired
        finally:
            self.release()


def holder_asked_to_yield() -> bool:
    """Whether a flush waits for the lock that we hold (see ``ask_holder_to_yield``)."""
    try:
        age = time.time() - files.flush_request_file().stat().st_mtime
    except OSError:
        return False
    return age < _REQUEST_LIFETIME_SECONDS


def _try_lock(handle: IO[bytes]) -> bool:
    """Lock ``handle`` without waiting; whether we hold the lock now.

    Held by another is the usual "no"; any other failure is a "no" too (nobody
    sends this time, the event waits), shown in debug mode.
    """
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in _HELD_BY_ANOTHER:
            logger.debug("could not lock %s", handle.name, exc_info=True)
        return False
    return True


# What a lock attempt raises when another holds it: EWOULDBLOCK (= EAGAIN) from
# ``flock``, EACCES or EDEADLOCK from ``msvcrt.locking``.
_HELD_BY_ANOTHER = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}
