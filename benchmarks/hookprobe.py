"""Time spent inside a plugin's hooks during one real ``kedro`` command.

On a shared machine the wall time of a 1-second command wanders by tens of
percent, which hides a plugin's few milliseconds. Timing the hook methods from
inside the process measures exactly the plugin's foreground work (everything
but importing it, which ``importcost`` measures), with far less noise.

Run as a script by a venv's interpreter, this file is the probe: it wraps the
hook methods of ``KedroTelemetryHook`` in the given module, runs Kedro's CLI,
and writes the seconds spent per hook to a JSON file when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["measure_hooks"]

_HOOKS = (
    "before_command_run",
    "after_command_run",
    "after_context_created",
    "after_catalog_created",
)


def measure_hooks(
    run_probe: Callable[[list[str]], None], module: str, runs: int, out_file: Path
) -> float:
    """Median milliseconds spent in ``module``'s hooks over ``runs`` commands.

    ``run_probe`` runs this file with the given arguments in the right venv,
    project and environment, and settles whatever the command left behind.
    """
    totals: list[float] = []
    for _ in range(runs):
        out_file.unlink(missing_ok=True)
        run_probe([str(Path(__file__).resolve()), module, str(out_file)])
        spent = json.loads(out_file.read_text())
        totals.append(float(sum(spent.values())) * 1000)
    return statistics.median(totals)


def _timed(name: str, method: Any, spent: dict[str, float]) -> Any:
    @functools.wraps(method)  # keeps pluggy's hookimpl marker and signature
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _probe(module_name: str, out_file: str, kedro_args: list[str]) -> int:
    hook_class = importlib.import_module(module_name).KedroTelemetryHook
    spent: dict[str, float] = {}
    for name in _HOOKS:
        if hasattr(hook_class, name):
            setattr(hook_class, name, _timed(name, getattr(hook_class, name), spent))
    atexit.register(lambda: Path(out_file).write_text(json.dumps(spent)))
    from kedro.framework.cli import main

    sys.argv = ["kedro", *kedro_args]
    main()  # Kedro's CLI ends the process itself, through SystemExit
    return 0


if __name__ == "__main__":
    # This directory holds modules named like common ones (network, project...):
    # keep it off the path of the Kedro process being probed.
    sys.path[:] = [
        p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent
    ]
    raise SystemExit(_probe(sys.argv[1], sys.argv[2], sys.argv[3:]))
