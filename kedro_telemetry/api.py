"""A small public API for other Kedro plugins to report their own events.

It goes through the same consent, base properties, outbox and sender as the
plugin's own events, so a user's opt-out covers every plugin at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro_telemetry import consent
from kedro_telemetry.collect import event, machine, project
from kedro_telemetry.logs import stderr_logger
from kedro_telemetry.outbox.wake import queue_event
from kedro_telemetry.tracker import PendingEvent

__all__ = ["send_event", "send_telemetry_event"]

# The value types kedro-telemetry 0.9.0 sent as they were; it made text of others.
_SCALARS = (str, int, float, bool)


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
    return _queue_under_consent(name, properties, project_path)


def send_telemetry_event(
    event_name: str,
    properties: Mapping[str, Any] | None = None,
    project_path: str | Path | None = None,
) -> bool:
    """kedro-telemetry 0.9.0's API for plugins, kept so that their calls still work.

    The same consent and queue as :func:`send_event`, with 0.9.0's lenient
    contract: a value that is not a string, number or boolean is sent as its
    ``str()``, and nothing ever raises; any problem returns ``False``. ``True``
    means the event was accepted for sending (0.9.0 waited for Heap's answer;
    this only queues it, so the caller never waits).
    """
    try:
        _check_name(event_name)
        scalars = {
            str(key): value if isinstance(value, _SCALARS) else str(value)
            for key, value in (properties or {}).items()
            if str(key)  # Heap refuses an event with an empty property name
        }
        return _queue_under_consent(event_name, scalars, project_path)
    except Exception:  # shown in debug mode only, as the hooks' failures
        stderr_logger().debug("send_telemetry_event skipped", exc_info=True)
        return False


def _queue_under_consent(
    name: str, properties: Mapping[str, Any], project_path: str | Path | None
) -> bool:
    """The one implementation behind both APIs: consent, base fields, outbox."""
    path = Path(project_path) if project_path is not None else None
    if not consent.decide(path).collects:
        return False
    merged: dict[str, Any] = dict(properties)
    if path is not None:
        merged.update(project_properties(path))
    merged.update(machine.machine_properties())  # the plugin's own fields win
    try:
        return queue_event(PendingEvent(name, merged).finish())
    except OSError:
        return False


def project_properties(path: Path) -> event.Properties:
    """The project's hashed names, or none when ``path`` is not a Kedro project."""
    try:
        return project.project_properties(project.metadata_at(path))
    except Exception:  # not a Kedro project after all: report no project data
        return {}


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the event name must be a non-empty string")
    if len(name) > event.MAX_TEXT:
        raise ValueError(
            f"the event name must be under {event.MAX_TEXT + 1} characters"
        )


def _check_properties(properties: Any) -> None:
    if not isinstance(properties, Mapping):
        raise TypeError("properties must be a mapping of names to strings or numbers")
    for key, value in properties.items():
        if not isinstance(key, str) or not key or len(key) > event.MAX_TEXT:
            raise ValueError(
                f"property name {key!r} must be a non-empty string "
                f"under {event.MAX_TEXT + 1} characters"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(
                f"property {key!r} is a {type(value).__name__}; "
                "only strings and numbers can be sent"
            )
        if isinstance(value, str) and len(value) > event.MAX_TEXT:
            raise ValueError(
                f"property {key!r} must be under {event.MAX_TEXT + 1} characters"
            )
