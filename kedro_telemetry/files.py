"""Where the plugin keeps its files, and the careful way it reads and writes them.

A project holds only ``.telemetry``. The person's answers, key, outbox and logs
live in their own config and state directories (``platformdirs``': on Linux
0.9.0's ``~/.config/kedro`` and ``~/.local/state/kedro-telemetry``, or where
the XDG variables say); the machine-wide policy is only read. Each path is
named here once. Every write goes through a temporary file and a rename, so a
reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import platformdirs

__all__ = [
    "POLICY_FILE_VARIABLE",
    "PROJECT_CONSENT_FILENAME",
    "FileTooLargeError",
    "NoHomeError",
    "NotARegularFileError",
    "config_dir",
    "delivery_log_file",
    "describe_os_error",
    "dropped_log_file",
    "flush_request_file",
    "identity_secret_file",
    "outbox_dir",
    "policy_file",
    "project_answers_file",
    "project_consent_file",
    "read_small_file",
    "remove_stale_temporaries",
    "sender_lock_file",
    "sender_log_file",
    "state_dir",
    "user_consent_file",
    "write_atomically",
]

PROJECT_CONSENT_FILENAME = ".telemetry"
# Moves the machine-wide policy file (tests, images that keep it elsewhere).
POLICY_FILE_VARIABLE = "KEDRO_TELEMETRY_POLICY_FILE"


class NoHomeError(OSError):
    """No home directory is known: ``HOME`` is unset and the uid has no passwd entry."""


def _absolute(directory: Callable[[], str]) -> Path:
    """The directory ``platformdirs`` names, refused unless absolute.

    With neither ``HOME`` nor a passwd entry, recent ``platformdirs`` raise
    ``RuntimeError`` and older ones leave ``~`` as it is, a path relative to
    wherever the command runs, where nothing of ours belongs.
    """
    try:
        path = directory()
    except RuntimeError as error:
        raise NoHomeError("no home directory is known for this user") from error
    if not os.path.isabs(path):
        raise NoHomeError("no home directory is known for this user")
    return Path(path)


def state_dir() -> Path:
    """The directory of the outbox, the sender's lock and its logs."""
    return _absolute(
        lambda: platformdirs.user_state_dir("kedro-telemetry", appauthor=False)
    )


def config_dir() -> Path:
    """Kedro's user config directory, 0.9.0's: the user-wide choice, the answers."""
    return _absolute(
        lambda: platformdirs.user_config_dir("kedro", appauthor=False, roaming=True)
    )


# The state directory's files; only this module names them.


def outbox_dir() -> Path:
    """One file per queued event (``outbox``)."""
    return state_dir() / "outbox"


def delivery_log_file(directory: Path | None = None) -> Path:
    """The last events Heap accepted, for ``kedro telemetry show``.

    In ``directory`` instead of the state directory, for a test's own.
    """
    return (directory or state_dir()) / "delivered.json"


def dropped_log_file(directory: Path | None = None) -> Path:
    """The last events given up on, and why, for ``kedro telemetry status``."""
    return (directory or state_dir()) / "dropped.json"


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
    return config_dir() / "telemetry.yml"


def project_answers_file() -> Path:
    """Your own answers for projects whose ``.telemetry`` cannot hold them.

    That file is someone else's, or git tracks it. Keyed by the project's
    absolute path; it lives with the user-wide choice, in a directory that
    belongs to the user and never to a repository or another person.
    """
    return config_dir() / "telemetry-projects.yml"


def identity_secret_file() -> Path:
    """The key of the person's hashed names (``collect.identity``); never sent."""
    return config_dir() / "telemetry-secret"


def policy_file(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> Path:
    """The machine-wide policy an administrator writes; it can only say no."""
    moved = environ.get(POLICY_FILE_VARIABLE, "").strip()
    if moved:
        return Path(moved)
    if platform == "win32":
        program_data = environ.get("PROGRAMDATA", "").strip() or r"C:\ProgramData"
        return Path(program_data) / "kedro" / "telemetry.yml"
    return Path("/etc/kedro/telemetry.yml")


def project_consent_file(project_path: Path) -> Path:
    """The project's own choice, the only file the plugin writes in a project."""
    return project_path / PROJECT_CONSENT_FILENAME


def describe_os_error(error: OSError) -> str:
    """The short reason of an ``OSError``, for a message to a person."""
    return error.strerror or type(error).__name__


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
        # Sized by the file, not the limit: a generous limit costs nothing.
        data = handle.read(info.st_size + 1)
        if len(data) > info.st_size:  # it grew meanwhile
            data += handle.read(limit + 1 - len(data))
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
    half-written ``path``.
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


def remove_stale_temporaries(directory: Path, older_than: float = 3600) -> None:
    """Remove the ``.tmp-`` files that writers killed mid-write left behind.

    A temporary younger than ``older_than`` seconds may be a live writer's.
    """
    cutoff = time.time() - older_than
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".tmp-"):
            with contextlib.suppress(OSError):
                if os.stat(directory / name).st_mtime < cutoff:
                    os.unlink(directory / name)
