"""A command's far edges, played in this process: the terminal and click's runner.

``kedro telemetry ...`` through ``click.testing.CliRunner`` (the plugin's own
command group, with this process's environment) and a terminal on both ends
for the consent question; everything between them is the plugin's real code.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from click.testing import CliRunner, Result

__all__ = ["Terminal", "telemetry_here"]


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a person's would."""

    def isatty(self) -> bool:
        return True


def telemetry_here(*args: str, cwd: Path | None = None) -> Result:
    """``kedro telemetry *args`` in this process, from ``cwd``; it must succeed.

    Exceptions are not caught: a traceback fails the test where it happened.
    """
    from kedro_telemetry.cli import commands

    before = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            commands, ["telemetry", *args], catch_exceptions=False
        )
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    return result
