"""Small, careful file operations shared by the consent and outbox modules."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = [
    "FileTooLargeError",
    "NotARegularFileError",
    "read_small_file",
    "write_atomically",
]


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
    half-written ``path``.
    """
    temporary = path.with_name(f".tmp-{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
