"""What was delivered lately, kept for ``kedro telemetry show`` and ``status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro_telemetry import files
from kedro_telemetry.files import read_small_file, write_atomically

__all__ = ["DeliveryLog"]


class DeliveryLog:
    """The last events Heap accepted, kept for ``kedro telemetry show``."""

    KEEP = 20

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> DeliveryLog:
        return cls(files.delivery_log_file())

    def read(self) -> list[dict[str, Any]]:
        """The delivered events; whatever the file holds, a list of mappings."""
        try:
            content = json.loads(read_small_file(self.path, 4 * 1024 * 1024))
        except (OSError, ValueError, RecursionError):
            return []
        if not isinstance(content, list):
            return []
        return [item for item in content if isinstance(item, dict)]

    def add(self, delivered: list[dict[str, Any]], when: str) -> None:
        stamped = [{"delivered_at": when, **event} for event in delivered]
        kept = (self.read() + stamped)[-self.KEEP :]
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(kept).encode("utf-8"), mode=0o600)
