"""Where the plugin keeps its files.

The project directory holds only ``.telemetry``; everything else (the outbox,
the delivery log, the user-wide choice) lives in the user's own state and
config directories, so that no project file is ever touched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = [
    "PROJECT_CONSENT_FILENAME",
    "NoHomeError",
    "project_consent_file",
    "state_dir",
    "user_consent_file",
]

PROJECT_CONSENT_FILENAME = ".telemetry"


class NoHomeError(OSError):
    """No home directory is known: ``HOME`` is unset and the uid has no passwd entry."""


def _home() -> Path:
    try:
        return Path.home()
    except (RuntimeError, KeyError) as error:  # RuntimeError: "Could not determine..."
        raise NoHomeError("no home directory is known for this user") from error


def _base_dir(xdg_variable: str, posix_default: str, windows_variable: str) -> Path:
    configured = os.environ.get(xdg_variable, "").strip()
    if configured and os.path.isabs(configured):
        return Path(configured)
    if sys.platform == "win32":
        windows_dir = os.environ.get(windows_variable, "").strip()
        if windows_dir:
            return Path(windows_dir)
    if sys.platform == "darwin" and xdg_variable == "XDG_STATE_HOME":
        return _home() / "Library" / "Application Support"
    return _home() / posix_default


def state_dir() -> Path:
    """The directory of the outbox, the sender's lock and its logs."""
    return _base_dir("XDG_STATE_HOME", ".local/state", "LOCALAPPDATA") / (
        "kedro-telemetry"
    )


def user_consent_file() -> Path:
    """The user-wide choice, written by ``kedro telemetry enable --global``."""
    base = _base_dir("XDG_CONFIG_HOME", ".config", "APPDATA")
    return base / "kedro" / "telemetry.yml"


def project_consent_file(project_path: Path) -> Path:
    """The project's own choice, the only file the plugin writes in a project."""
    return project_path / PROJECT_CONSENT_FILENAME
