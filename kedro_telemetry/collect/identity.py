"""The keyed hashes of the person's host and login names.

Q: Why not plain SHA-256, as for the project's names?
A: A host or login name is often guessable (``Alices-MacBook-Pro.local``,
   ``jovyan``, ``ubuntu``), and its plain hash is then the name: whoever
   holds the events could hash guesses, or a list of a company's people, and
   see who uses Kedro. An HMAC with a key that never leaves the machine tells
   hosts and users apart just as well, and without the key no guess can be
   tested.

Q: Where is the key?
A: 32 random bytes in the person's own config directory
   (``files.identity_secret_file``), readable by them alone, made after
   their first yes and never sent, logged or written into a project. The
   same person on the same machine keeps the same identity across commands,
   sessions and upgrades; deleting the file starts a new one. Where it cannot
   be kept (a read-only home), each process makes a key of its own, so its
   events cannot be joined with any other process's.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os

from kedro_telemetry import files
from kedro_telemetry.logs import stderr_logger

__all__ = ["keyed_hash"]

_SECRET_BYTES = 32

# Where no key can be kept: this process's own, made once.
_process_key: bytes | None = None


def keyed_hash(kind: str, name: str) -> str:
    """HMAC-SHA256 of ``name``, keyed with the person's secret, as hex.

    ``kind`` (``host``, ``user``) keeps two names that are the same text from
    having the same hash, so neither field tells anything about the other.
    """
    message = f"{kind}\0{name}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _key() -> bytes:
    """The person's secret; this process's own when none can be kept."""
    global _process_key  # noqa: PLW0603
    try:
        return _stored_secret()
    except OSError as error:
        if _process_key is None:
            stderr_logger().debug(
                "no identity key can be kept (%s); this process uses its own",
                files.describe_os_error(error),
            )
            _process_key = os.urandom(_SECRET_BYTES)
        return _process_key


def _stored_secret() -> bytes:
    """The secret from its file; a new one when the file is missing or damaged.

    Two processes (or threads) may make one at the same moment: each writes
    its own temporary file and links it into place, so exactly one wins and
    all use the winner's.
    """
    path = files.identity_secret_file()
    with contextlib.suppress(FileNotFoundError, ValueError):
        return _parse(files.read_small_file(path, 1024))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = os.urandom(_SECRET_BYTES)
    temporary = path.with_name(f".tmp-{path.name}-{os.urandom(8).hex()}")
    files.write_atomically(temporary, fresh.hex().encode() + b"\n", mode=0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:  # another process won, or a damaged file is there
        with contextlib.suppress(ValueError):
            return _parse(files.read_small_file(path, 1024))
        os.replace(temporary, path)  # damaged: this one replaces it
    except OSError:  # a file system without hard links: a plain rename
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return fresh


def _parse(data: bytes) -> bytes:
    """The secret written as hex; ``ValueError`` for anything shorter or else."""
    secret = bytes.fromhex(data.decode("ascii").strip())
    if len(secret) < _SECRET_BYTES:
        raise ValueError("the identity key is too short")
    return secret
