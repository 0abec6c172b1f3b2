"""What became of the events lately: the ones delivered and the ones given up.

Kept for ``kedro telemetry show`` and ``status``; each list holds the last
``KEEP`` entries. A dropped entry keeps the event's name, its masked command
and the reason, never more of it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from kedro_telemetry import files
from kedro_telemetry.files import read_small_file, write_atomically
from kedro_telemetry.logs import LOGGER_NAME

__all__ = ["DeliveryLog"]

_LOG_LIMIT = 4 * 1024 * 1024

logger = logging.getLogger(LOGGER_NAME)


class DeliveryLog:
    """The delivered events (``path``) and the dropped ones (``dropped_path``).

    Both in the state directory, or in ``directory`` when one is given.
    """

    KEEP = 20

    def __init__(self, directory: Path | None = None) -> None:
        self.path = files.delivery_log_file(directory)
        self.dropped_path = files.dropped_log_file(directory)

    @classmethod
    def default(cls) -> DeliveryLog:
        return cls()

    def read(self) -> list[dict[str, Any]]:
        """The delivered events; whatever the file holds, a list of mappings."""
        return _read_list(self.path)

    def read_dropped(self) -> list[dict[str, Any]]:
        """The dropped events, each ``{"dropped_at", "reason", "event", "command"}``."""
        return _read_list(self.dropped_path)

    def add(self, delivered: list[dict[str, Any]], when: str) -> None:
        _append(self.path, [{"delivered_at": when, **event} for event in delivered])

    def add_dropped(
        self, dropped: list[dict[str, Any]], reason: str, when: str
    ) -> None:
        _append(
            self.dropped_path,
            [
                {
                    "dropped_at": when,
                    "reason": reason,
                    "event": event.get("event"),
                    "command": (event.get("properties") or {}).get("command"),
                }
                for event in dropped
            ],
        )


def _read_list(path: Path) -> list[dict[str, Any]]:
    try:
        content = json.loads(read_small_file(path, _LOG_LIMIT))
    except FileNotFoundError:
        return []
    except (OSError, ValueError, RecursionError):
        logger.debug("could not read %s", path.name, exc_info=True)
        return []
    if not isinstance(content, list):
        return []
    return [item for item in content if isinstance(item, dict)]


def _append(path: Path, entries: list[dict[str, Any]]) -> None:
    """Keep the last ``KEEP`` entries; a log that cannot be written costs no event."""
    kept = (_read_list(path) + entries)[-DeliveryLog.KEEP :]
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, json.dumps(kept).encode("utf-8"), mode=0o600)
    except OSError:
        logger.debug("could not update %s", path.name, exc_info=True)
