"""What importing a plugin adds to a ``kedro`` process, from ``python -X importtime``.

Kedro is imported first (the modules its CLI has loaded by the time it loads
plugins), then a marker is written, then the plugin. Every module that
importtime reports after the marker was imported because of the plugin, so
the sum of their self times is the plugin's own cost, its new dependencies
included; modules Kedro already loaded cost nothing and do not appear.
"""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ImportCost", "measure_import"]

# What ``kedro`` has imported before it loads the entry points of plugins.
_KEDRO_FIRST = (
    "import kedro, kedro.framework.cli.cli, kedro.framework.cli.hooks, "
    "kedro.framework.hooks, kedro.framework.startup, click"
)
_MARKER = "--- plugin imports start here ---"
_TIMEOUT = 60.0


@dataclass(frozen=True)
class ImportCost:
    """Median milliseconds over the runs: everything the import pulled in, and
    the plugin's own modules only."""

    total_ms: float
    own_ms: float
    runs: int


def measure_import(
    python: Path, modules: str, cwd: Path, env: dict[str, str], runs: int
) -> ImportCost:
    """Import ``modules`` after Kedro in ``runs`` fresh interpreters; report medians.

    ``cwd`` must not contain a ``kedro_telemetry`` directory: ``-c`` puts the
    current directory first on ``sys.path``.
    """
    totals: list[float] = []
    owns: list[float] = []
    for _ in range(runs):
        total, own = _one_run(python, modules, cwd, env)
        totals.append(total)
        owns.append(own)
    return ImportCost(statistics.median(totals), statistics.median(owns), runs)


def _one_run(
    python: Path, modules: str, cwd: Path, env: dict[str, str]
) -> tuple[float, float]:
    code = (
        f"{_KEDRO_FIRST}; import sys; sys.stderr.write({_MARKER!r} + '\\n'); "
        f"sys.stderr.flush(); import {modules}"
    )
    result = subprocess.run(
        [str(python), "-X", "importtime", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0 or _MARKER not in result.stderr:
        raise RuntimeError(
            f"{python} could not import {modules}:\n{result.stderr[-3000:]}"
        )
    after_marker = result.stderr.split(_MARKER, 1)[1]
    total_us = own_us = 0
    for self_us, name in _entries(after_marker):
        total_us += self_us
        if name.split(".")[0] == "kedro_telemetry":
            own_us += self_us
    return total_us / 1000, own_us / 1000


def _entries(text: str) -> list[tuple[int, str]]:
    """``(self microseconds, module)`` for each ``import time:`` line."""
    entries = []
    for line in text.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        entries.append((int(fields[0]), fields[2].strip()))
    return entries
