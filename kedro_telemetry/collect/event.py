"""An event in the shape Heap's track API takes, from plain data.

Nothing here reads the machine, the project or the clock: ``machine``,
``project``, ``counts`` and ``masking`` read the properties, and this module
only gives them Heap's shape (strings and numbers, under 1,024 characters).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "CLI_COMMAND",
    "MAX_TEXT",
    "PROJECT_RUN",
    "Properties",
    "build_event",
    "clean_properties",
    "sha256_hex",
]

CLI_COMMAND = "CLI command"
PROJECT_RUN = "Kedro project run"

# Heap accepts keys and values strictly under 1,024 characters.
MAX_TEXT = 1023

Properties = dict[str, "str | int | float"]


def sha256_hex(text: str) -> str:
    """The plain hash of a project's names (see ``project``); never a person's."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_properties(properties: Mapping[str, Any]) -> Properties:
    """Properties in the only shapes Heap accepts: strings and numbers, under 1,024.

    ``None`` means "no value" and is left out; booleans become ``"true"`` or
    ``"false"``; anything else becomes its string form; long texts are cut.
    """
    cleaned: Properties = {}
    for key, value in properties.items():
        if value is not None:
            cleaned[str(key)[:MAX_TEXT]] = _heap_value(value)
    return cleaned


def _heap_value(value: Any) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)[:MAX_TEXT]


def build_event(
    name: str,
    *,
    identity: str,
    properties: Mapping[str, Any],
    timestamp: datetime,
    idempotency_key: str,
) -> dict[str, Any]:
    """One event in the shape of an entry of Heap's bulk ``events`` list."""
    return {
        "identity": identity[:255],
        "event": name[:MAX_TEXT],
        "timestamp": timestamp.isoformat(),
        "idempotency_key": idempotency_key,
        "properties": clean_properties(properties),
    }
