"""Where the plugin keeps its files, and the careful way it reads and writes them.

The project directory holds only ``.telemetry``; everything else (the outbox,
the delivery log, the user-wide choice) lives in the user's own state and
config directories, so that no project file is ever touched. Every write goes
through a temporary file and a rename, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

__all__ = [
    "PROJECT_CONSENT_FILENAME",
    "FileTooLargeError",
    "NoHomeError",
    "NotARegularFileError",
    "delivery_log_file",
    "dropped_log_file",
    "flush_request_file",
    "outbox_dir",
    "project_consent_file",
    "read_small_file",
    "sender_lock_file",
    "sender_log_file",
    "state_dir",
    "user_consent_file",
    "write_atomically",
]

PROJECT_CONSENT_FILENAME = ".telemetry"


class NoHomeError(OSError):
    """No home directory is known: ``HOME`` is unset and the uid has no passwd entry."""


def _home() -> Path:
    try:
        return Path.home()
    except (RuntimeError, KeyError) as error:  # RuntimeError: "Could not determine..."
        raise NoHomeError("no home directory is known for this user") from error


def _base_dir(xdg_variable: str, posix_default: str, windows_variable: str) -> Path:
    configured = os.environ.get(xdg_variable, "").strip()
    if configured and os.path.isabs(configured):
        return Path(configured)
    if sys.platform == "win32":
        windows_dir = os.environ.get(windows_variable, "").strip()
        if windows_dir:
            return Path(windows_dir)
    if sys.platform == "darwin" and xdg_variable == "XDG_STATE_HOME":
        return _home() / "Library" / "Application Support"
    return _home() / posix_default


def state_dir() -> Path:
    """The directory of the outbox, the sender's lock and its logs."""
    return _base_dir("XDG_STATE_HOME", ".local/state", "LOCALAPPDATA") / (
        "kedro-telemetry"
    )


# The state directory's files; only this module names them.


def outbox_dir() -> Path:
    """One file per queued event (``outbox``)."""
    return state_dir() / "outbox"


def delivery_log_file() -> Path:
    """The last events Heap accepted, for ``kedro telemetry show``."""
    return state_dir() / "delivered.json"


def dropped_log_file() -> Path:
    """The last events given up on, and why, for ``kedro telemetry status``."""
    return state_dir() / "dropped.json"


def sender_lock_file() -> Path:
    """Held by whoever drains the outbox, so that one sender works at a time."""
    return state_dir() / "sender.lock"


def sender_log_file() -> Path:
    """The detached sender's own log: it has no terminal."""
    return state_dir() / "sender.log"


def flush_request_file() -> Path:
    """Present while ``kedro telemetry flush`` waits for the sender lock."""
    return state_dir() / "flush.request"


def user_consent_file() -> Path:
    """The user-wide choice, written by ``kedro telemetry enable --global``."""
    base = _base_dir("XDG_CONFIG_HOME", ".config", "APPDATA")
    return base / "kedro" / "telemetry.yml"


def project_consent_file(project_path: Path) -> Path:
    """The project's own choice, the only file the plugin writes in a project."""
    return project_path / PROJECT_CONSENT_FILENAME


# Reading and writing ---------------------------------------------------------


class FileTooLargeError(OSError):
    """A file the plugin owns is far larger than anything it would write."""


class NotARegularFileError(OSError):
    """The path is a directory, a device or a dangling link, not a file."""


def read_small_file(path: Path, limit: int) -> bytes:
    """Read ``path`` whole, refusing all but a regular file of ``limit`` bytes or less.

    A bound keeps a corrupted or hostile file from costing a Kedro command memory
    or time; every caller treats the errors as "this file says nothing".
    """
    # O_NONBLOCK: opening a named pipe would otherwise wait forever for a writer;
    # it changes nothing for the regular files read here.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    with open(os.open(path, flags | getattr(os, "O_BINARY", 0)), "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFileError(f"{path} is not a regular file")
        if info.st_size > limit:
            raise FileTooLargeError(f"{path} is larger than {limit} bytes")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(f"{path} is larger than {limit} bytes")
    return data


def write_atomically(
    path: Path, data: bytes, mode: int = 0o600, *, durable: bool = True
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a temporary file in the same directory, are flushed to disk
    (unless ``durable`` is false), and the temporary file is renamed over
    ``path``: a crash mid-write leaves at worst a stray ``.tmp-`` file, never a
    half-written ``path``. Plain descriptor calls, no file object: the outbox
    writes through here inside a hook of every consented command.
    """
    directory, name = os.path.split(path)
    temporary = os.path.join(
        directory, f".tmp-{name}-{os.getpid()}-{os.urandom(4).hex()}"
    )
    # O_BINARY: on Windows, a descriptor opened without it would turn every
    # newline into two bytes; elsewhere it does not exist and is 0.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, mode)
    try:
        try:
            view = memoryview(data)
            while view:  # a regular file takes it all at once; just in case
                view = view[os.write(descriptor, view) :]
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
