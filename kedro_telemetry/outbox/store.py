"""The durable queue of events waiting to be sent.

Each event is its own file in the user's state directory, written atomically
and readable only by the user (0600), named so that the oldest sort first.
One file per event means parallel ``kedro`` commands never write the same file,
and a corrupt file costs one event, not the queue.

The caps hold when an event is queued, whether or not a sender ever runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, NamedTuple

from kedro_telemetry import files
from kedro_telemetry.files import (
    FileTooLargeError,
    NotARegularFileError,
    read_small_file,
    write_atomically,
)
from kedro_telemetry.logs import LOGGER_NAME

__all__ = ["MAX_AGE_SECONDS", "MAX_BYTES", "MAX_EVENTS", "Entry", "Outbox"]

MAX_EVENTS = 10_000
MAX_BYTES = 5 * 1024 * 1024
# An event that could not be sent in 30 days is given up (by the drain).
MAX_AGE_SECONDS = 30 * 24 * 3600
# One event is a few kilobytes; a file far larger than that is not one of ours.
_MAX_EVENT_FILE = 256 * 1024
# How long a reader leaves a file alone after it could not read it.
_UNREADABLE_SECONDS = 60.0

logger = logging.getLogger(LOGGER_NAME)


class Entry(NamedTuple):
    """One queued record: the event and where it goes."""

    path: Path
    record: dict[str, Any]

    @property
    def destination(self) -> tuple[str, str]:
        return str(self.record["endpoint"]), str(self.record["app_id"])

    @property
    def event(self) -> dict[str, Any]:
        return dict(self.record["event"])

    def age_seconds(self, now: float) -> float:
        """How long ago it was queued (``now`` is ``time.time()``), from its name."""
        stamp = self.path.name.split("-", 1)[0]
        return now - int(stamp) / 1e9 if stamp.isdigit() else 0.0


class Outbox:
    """A directory of queued events, oldest first."""

    def __init__(
        self,
        directory: Path,
        *,
        max_events: int = MAX_EVENTS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.directory = directory
        self.max_events = max_events
        self.max_bytes = max_bytes
        # Files this reader could not read for a passing reason (a permission,
        # an I/O error): left on disk and uncounted by this reader for a minute,
        # so that a sender neither loops on them nor, serving a whole session,
        # gives them up. A ``TTLCache``, made at the first such file.
        self._unreadable: MutableMapping[str, bool] | None = None

    @classmethod
    def default(cls) -> Outbox:
        return cls(files.outbox_dir())

    def put(self, record: dict[str, Any]) -> Path:
        """Queue one record: ``{"endpoint", "app_id", "event"}``.

        The oldest events make room for it, so the queue stays within its caps
        even when no sender can start. A record larger than a reader accepts is
        refused (``FileTooLargeError``): it could never be sent.
        """
        data = json.dumps(record).encode("utf-8")
        if len(data) > _MAX_EVENT_FILE:
            raise FileTooLargeError(f"an event of {len(data)} bytes is too large")
        self.trim(room_for=len(data))
        key = record["event"]["idempotency_key"]
        name = f"{time.time_ns():020d}-{key}.json"
        path = self.directory / name
        # Not durable (no fsync): a file that a power cut leaves corrupt is
        # skipped and removed like any other, and the command does not wait.
        try:
            write_atomically(path, data, mode=0o600, durable=False)
        except FileNotFoundError:  # the first event of this user: no directory yet
            # The state directory too: made by ``parents=True`` it would follow
            # the umask, and be world-writable under umask 0.
            self.directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory.mkdir(mode=0o700, exist_ok=True)
            write_atomically(path, data, mode=0o600, durable=False)
        return path

    def files(self) -> list[Path]:
        """Queued event files, oldest first; temporary files are not events yet."""
        return [self.directory / name for name in sorted(self.names())]

    def names(self) -> set[str]:
        """The names of the queued event files now, for a later ``added_since``.

        A directory is no event and cannot be removed like a corrupt file: it is
        left alone rather than counted as waiting forever.
        """
        try:
            with os.scandir(self.directory) as listing:
                return {
                    entry.name
                    for entry in listing
                    if entry.name.endswith(".json")
                    and not entry.name.startswith(".")
                    and not entry.is_dir()
                }
        except FileNotFoundError:
            return set()

    def added_since(self, seen: set[str]) -> bool:
        """Whether an event was queued that is not among the names in ``seen``."""
        return not self.names() <= seen

    def count(self) -> int:
        """Queued files, less those this reader already failed to read."""
        unreadable = self._unreadable or {}
        return sum(1 for name in self.names() if name not in unreadable)

    def read(self, limit: int, *, remove_corrupt: bool = False) -> list[Entry]:
        """Up to ``limit`` readable entries, oldest first.

        Only the sender removes corrupt files on the way (``remove_corrupt``):
        they could never be sent. Reading for people changes nothing on disk.
        """
        entries: list[Entry] = []
        for path in self.files():
            if len(entries) >= limit:
                break
            record = self._read(path, remove_corrupt)
            if record is not None:
                entries.append(Entry(path, record))
        return entries

    def remove(self, entries: list[Entry]) -> None:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                entry.path.unlink()

    def trim(self, room_for: int | None = None) -> int:
        """Drop the oldest events until within the caps; return how many.

        With ``room_for``, one more event of that many bytes must fit as well.
        """
        max_events, max_bytes = self.max_events, self.max_bytes
        if room_for is not None:
            max_events, max_bytes = max_events - 1, max_bytes - room_for
        names = sorted(self.names())  # oldest first
        sizes = [self._size_of(name) for name in names]
        total = sum(sizes)
        dropped = 0
        while dropped < len(names) and (
            len(names) - dropped > max_events or total > max_bytes
        ):
            total -= sizes[dropped]
            with contextlib.suppress(FileNotFoundError):
                (self.directory / names[dropped]).unlink()
            dropped += 1
        return dropped

    def _size_of(self, name: str) -> int:
        try:
            return os.stat(self.directory / name).st_size
        except FileNotFoundError:
            return 0
        except OSError:  # unknown: assume the most a reader accepts
            logger.debug("could not size %s", name, exc_info=True)
            return _MAX_EVENT_FILE

    def _remember_unreadable(self, name: str) -> None:
        if self._unreadable is None:
            from cachetools import TTLCache

            self._unreadable = TTLCache(self.max_events, _UNREADABLE_SECONDS)
        self._unreadable[name] = True

    def _read(self, path: Path, remove_corrupt: bool) -> dict[str, Any] | None:
        """The record in ``path``, or ``None``; only a proven-corrupt file is removed.

        Proven corrupt: read whole and not a record, or refused by the size and
        type checks. Any other ``OSError`` (too many open files, an I/O error,
        a permission) may pass, so the file stays for the next reader.
        """
        try:
            record = json.loads(read_small_file(path, _MAX_EVENT_FILE))
        except (FileTooLargeError, NotARegularFileError, ValueError, RecursionError):
            record = None  # ValueError covers bad JSON and bad UTF-8
        except FileNotFoundError:  # sent and removed by someone else meanwhile
            return None
        except OSError:
            logger.debug("could not read %s", path.name, exc_info=True)
            self._remember_unreadable(path.name)
            return None
        if self._unreadable is not None:
            self._unreadable.pop(path.name, None)
        if _is_record(record):
            return dict(record)
        if remove_corrupt:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError:  # cannot be removed: not to be counted again either
                logger.debug("could not remove %s", path.name, exc_info=True)
                self._remember_unreadable(path.name)
        return None


def _is_record(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("endpoint"), str)
        and isinstance(record.get("app_id"), str)
        and isinstance(record.get("event"), dict)
        and isinstance(record["event"].get("idempotency_key"), str)
        and isinstance(record["event"].get("properties"), dict)
    )
