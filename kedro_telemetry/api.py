"""A small public API for other Kedro plugins to report their own events.

It goes through the same consent, base properties, outbox and sender as the
plugin's own events, so a user's opt-out covers every plugin at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro_telemetry import consent, events, facts
from kedro_telemetry.delivery import deliver
from kedro_telemetry.recorder import PendingEvent

__all__ = ["send_event"]


def send_event(
    name: str,
    properties: Mapping[str, Any],
    project_path: str | Path | None = None,
) -> bool:
    """Queue one event named ``name`` if the user consented; return whether it was.

    ``properties`` must map strings to strings or numbers, each under 1,024
    characters: other values raise ``TypeError`` or ``ValueError`` rather than
    being converted behind the caller's back. With ``project_path`` the
    project's consent applies and its hashed names are added; without it only
    the environment and the user-wide setting count. Nothing here touches the
    network, so network trouble can never raise.
    """
    _check_name(name)
    _check_properties(properties)
    path = Path(project_path) if project_path is not None else None
    if not consent.decide(path).collects:
        return False
    merged: dict[str, Any] = dict(properties)
    if path is not None:
        merged.update(_project_properties(path))
    merged.update(facts.base_properties())  # the plugin's own fields win
    try:
        return deliver(PendingEvent(name, merged).finish())
    except OSError:
        return False


def _project_properties(path: Path) -> events.Properties:
    try:
        return facts.project_from_path(path)
    except Exception:  # not a Kedro project after all: report no project data
        return {}


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the event name must be a non-empty string")
    if len(name) > events.MAX_TEXT:
        raise ValueError(
            f"the event name must be under {events.MAX_TEXT + 1} characters"
        )


def _check_properties(properties: Any) -> None:
    if not isinstance(properties, Mapping):
        raise TypeError("properties must be a mapping of names to strings or numbers")
    for key, value in properties.items():
        if not isinstance(key, str) or not key or len(key) > events.MAX_TEXT:
            raise ValueError(
                f"property name {key!r} must be a non-empty string "
                f"under {events.MAX_TEXT + 1} characters"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(
                f"property {key!r} is a {type(value).__name__}; "
                "only strings and numbers can be sent"
            )
        if isinstance(value, str) and len(value) > events.MAX_TEXT:
            raise ValueError(
                f"property {key!r} must be under {events.MAX_TEXT + 1} characters"
            )
