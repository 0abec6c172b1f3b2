"""Opt-in, anonymised usage analytics for Kedro.

Importing this package must stay cheap: Kedro loads it on every command, so the
heavy parts (YAML, HTTP) are imported only by the code paths that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro_telemetry.version import __version__

__all__ = ["__version__", "send_event"]


def send_event(
    name: str,
    properties: dict[str, Any],
    project_path: str | Path | None = None,
) -> bool:
    """Queue one event from another Kedro plugin, under the user's consent.

    See :func:`kedro_telemetry.api.send_event`; this wrapper keeps the import lazy.
    """
    from kedro_telemetry.api import send_event as _send_event

    return _send_event(name, properties, project_path=project_path)
