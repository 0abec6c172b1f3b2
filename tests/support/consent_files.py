"""The two consent files as a person or ``kedro telemetry`` would leave them."""

from __future__ import annotations

from pathlib import Path

__all__ = ["give_consent", "user_wide_file", "write_user_wide"]


def give_consent(project: Path, value: bool = True) -> None:
    """The project's answer, as ``kedro telemetry enable|disable`` records it."""
    (project / ".telemetry").write_text(f"consent: {str(value).lower()}\n")


def user_wide_file(env: dict[str, str]) -> Path:
    """Where ``kedro telemetry enable --global`` writes, in ``env``'s home."""
    return Path(env["XDG_CONFIG_HOME"]) / "kedro" / "telemetry.yml"


def write_user_wide(env: dict[str, str], value: bool) -> None:
    path = user_wide_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"consent: {str(value).lower()}\n")
