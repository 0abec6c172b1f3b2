"""The consent files as a person or ``kedro telemetry`` would leave them.

One writer for every one of them (the project's ``.telemetry``, the user-wide
file, the machine policy), so a test says only where and what.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["give_consent", "user_wide_file", "write_consent", "write_user_wide"]


def write_consent(path: Path, value: bool | str, version: int | None = None) -> Path:
    """``path`` saying ``consent: value``; a string is written as it is (valid or not).

    ``version`` is what a yes records since consent versions exist; without
    it, the file is a yes of version 1 (or an older plugin's).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = str(value).lower() if isinstance(value, bool) else value
    recorded = "" if version is None else f"version: {version}\n"
    path.write_text(f"consent: {text}\n{recorded}")
    return path


def give_consent(project: Path, value: bool | str = True) -> Path:
    """The project's answer, as ``kedro telemetry enable|disable`` records it."""
    return write_consent(project / ".telemetry", value)


def user_wide_file(env: dict[str, str]) -> Path:
    """Where ``kedro telemetry enable --global`` writes, in ``env``'s home."""
    return Path(env["XDG_CONFIG_HOME"]) / "kedro" / "telemetry.yml"


def write_user_wide(env: dict[str, str], value: bool | str) -> Path:
    return write_consent(user_wide_file(env), value)
