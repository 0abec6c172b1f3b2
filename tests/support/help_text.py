"""``kedro --help`` with the plugin against Kedro's own, for both test tiers."""

from __future__ import annotations

from pathlib import Path

from tests.support.kedro_env import kedro, kedro_without_plugin

__all__ = ["OUR_SECTION", "assert_kedros_help_unchanged"]

# All the plugin may add to ``kedro --help``: its command group, listed last.
OUR_SECTION = (
    "Global commands from kedro-telemetry\n"
    "Commands:\n"
    "  telemetry  See and change whether Kedro sends anonymous usage data.\n"
)


def _from_usage_line(stdout: str) -> str:
    """``kedro --help`` from its usage line on (Kedro may log a line before it)."""
    return stdout[stdout.index("Usage:") :]


def assert_kedros_help_unchanged(cwd: Path, env: dict[str, str]) -> None:
    """Byte for byte Kedro's text, plus our section in the list of command groups."""
    ours = kedro("--help", cwd=cwd, env=env)
    kedros = kedro_without_plugin("--help", cwd=cwd, env=env)
    assert ours.returncode == kedros.returncode == 0, ours.stderr + kedros.stderr
    assert OUR_SECTION in ours.stdout
    assert "telemetry" not in _from_usage_line(kedros.stdout)
    assert _from_usage_line(ours.stdout).replace(
        "\n" + OUR_SECTION, ""
    ) == _from_usage_line(kedros.stdout)
