"""kedro-telemetry 0.9.0's import names, kept for the tools that still use them.

kedro-viz, the Kedro VS Code extension, kedro-databricks and Kedro's own tests
import these names from ``kedro_telemetry.plugin``. Each one here is a thin
translation onto the modules that do the work (``consent``, ``machine``,
``environment``, ``api``), never a second implementation, so a tool that uses
them follows the same consent and sends through the same queue.

Two rules of 0.9.0 do not survive, on purpose:

- Nothing here writes a file without consent. 0.9.0's ``_get_or_create_uuid``
  stored a random id in the user's config directory; this one returns the
  keyed identity our own events carry, so a tool's events join ours, and
  only under a yes (its key is made, like every event's, after the yes).
- No consent is implied. 0.9.0's ``_check_for_telemetry_consent`` returned
  ``None`` for "nobody decided", and its callers (0.9.0 itself, kedro-viz) took
  ``None`` as yes. Here nobody deciding means no, so it returns ``False``.

The plugin's own hooks never import this module, so patching a name here (as
Kedro's tests do) changes nothing of what the plugin does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kedro.framework.startup import ProjectMetadata

from kedro_telemetry import consent, environment
from kedro_telemetry.api import project_properties, send_telemetry_event
from kedro_telemetry.collect import machine
from kedro_telemetry.hooks import KedroTelemetryHook, telemetry_hook

__all__ = [
    "KNOWN_CI_ENV_VAR_KEYS",
    "MISSING_USER_IDENTITY",
    "KedroTelemetryHook",
    "ProjectMetadata",
    "_check_for_telemetry_consent",
    "_get_heap_app_id",
    "_get_or_create_uuid",
    "_get_project_properties",
    "_is_known_ci_env",
    "_is_valid_syntax",
    "_send_heap_event",
    "telemetry_hook",
]

# The CI services the plugin recognises (0.9.0 exported its own set).
KNOWN_CI_ENV_VAR_KEYS: set[str] = set(environment.CI_VARIABLES)

# 0.9.0's identity when it had none; ours is this, without consent.
MISSING_USER_IDENTITY = "missing_user_identity"


def _consent_of(project_path: str | Path | None) -> consent.Decision:
    return consent.decide(Path(project_path) if project_path is not None else None)


def _check_for_telemetry_consent(project_path: str | Path | None) -> bool:
    """Whether usage data may be collected for ``project_path``; never asks.

    ``True`` only when a setting says yes (see ``consent.decide``); ``False``
    when one says no, when an opt-out variable is set, and when nobody decided.
    """
    return _consent_of(project_path).collects


def _get_heap_app_id() -> str:
    """The Heap app that receives the events (``KEDRO_TELEMETRY_APP_ID`` or Kedro's)."""
    return environment.app_id()


def _get_or_create_uuid() -> str:
    """The ``identity`` of every event we send (``machine.host_identity``).

    Under consent for the project in the current directory (or the user-wide
    choice) only; without it, ``MISSING_USER_IDENTITY``, and no key is made.
    """
    if not _consent_of(_project_here()).collects:
        return MISSING_USER_IDENTITY
    return machine.host_identity()


def _get_project_properties(
    user_uuid: str, project_path: str | Path | None
) -> dict[str, Any]:
    """The properties our own events carry for ``project_path``, under consent.

    ``user_uuid`` is ignored: ``username`` keeps the meaning it has in every
    event of ours (a hash of the login name). Without consent the answer is
    empty, because some callers send it whether or not the user agreed.
    """
    if not _consent_of(project_path).collects:
        return {}
    properties: dict[str, Any] = dict(machine.machine_properties())
    if project_path is not None:
        properties.update(project_properties(Path(project_path)))
    return properties


def _send_heap_event(
    event_name: str, identity: str, properties: Mapping[str, Any] | None = None
) -> bool:
    """Queue one event, under the consent of the project in the current directory.

    It goes through ``api.send_telemetry_event``, so it never raises and never
    waits. ``identity`` is ignored: every event carries ``_get_or_create_uuid()``.
    """
    return send_telemetry_event(event_name, properties, project_path=_project_here())


def _project_here() -> Path | None:
    """The Kedro project in the current directory, if any."""
    try:
        from kedro_telemetry.collect.kedro_compat import find_project

        return find_project(Path.cwd())
    except Exception:  # no Kedro project to be found: the user-wide setting decides
        return None


def _is_valid_syntax(telemetry: Any) -> bool:
    """Whether a parsed ``.telemetry`` says ``consent: true`` or ``consent: false``."""
    return isinstance(telemetry, dict) and isinstance(telemetry.get("consent"), bool)


def _is_known_ci_env(
    known_ci_env_var_keys: Iterable[str] = KNOWN_CI_ENV_VAR_KEYS,
) -> bool:
    """Whether a CI service runs this process (``environment.is_ci``).

    Variables passed beyond the ones the plugin knows count when set, as in 0.9.0.
    """
    extra = set(known_ci_env_var_keys) - set(environment.CI_VARIABLES)
    return environment.is_ci() or any(os.environ.get(key) for key in extra)
