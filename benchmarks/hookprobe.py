"""Time spent inside a plugin's hooks during one real ``kedro`` command.

On a shared machine the wall time of a 1-second command wanders by tens of
percent, which hides a plugin's few milliseconds. Timing the hook methods from
inside the process measures exactly the plugin's foreground work (everything
but importing it, which ``importcost`` measures), with far less noise.

Run as a script by a venv's interpreter, this file is the probe: it wraps the
hook methods of ``KedroTelemetryHook`` in the given module, runs Kedro's CLI,
and writes the seconds spent per hook to a JSON file when the process exits.
``HOOKPROBE_PARTS`` (``module:function,...``) also times functions called from
inside the hooks, such as the sender's start, reported apart from the hooks.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["PARTS_VARIABLE", "measure_hooks", "probe_runs"]

PARTS_VARIABLE = "HOOKPROBE_PARTS"

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
    totals = [
        float(sum(spent["hooks"].values())) * 1000
        for spent in probe_runs(run_probe, module, runs, out_file)
    ]
    return statistics.median(totals)


def probe_runs(
    run_probe: Callable[[list[str]], None], module: str, runs: int, out_file: Path
) -> list[dict[str, dict[str, float]]]:
    """The seconds of each run, per hook (``hooks``) and per timed part (``parts``)."""
    results = []
    for _ in range(runs):
        out_file.unlink(missing_ok=True)
        run_probe([str(Path(__file__).resolve()), module, str(out_file)])
        results.append(json.loads(out_file.read_text()))
    return results


def _timed(name: str, method: Any, spent: dict[str, float]) -> Any:
    @functools.wraps(method)  # keeps pluggy's hookimpl marker and signature
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _time_parts(spec: str, parts: dict[str, float]) -> None:
    """Wrap each ``module:function`` (or ``module:Class.method``) of ``spec``."""
    for target in filter(None, spec.split(",")):
        module_name, _, path = target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for attribute in outer:
            owner = getattr(owner, attribute)
        setattr(owner, name, _timed(target, getattr(owner, name), parts))


def _probe(module_name: str, out_file: str, kedro_args: list[str]) -> int:
    hook_class = importlib.import_module(module_name).KedroTelemetryHook
    spent: dict[str, float] = {}
    parts: dict[str, float] = {}
    for name in _HOOKS:
        if hasattr(hook_class, name):
            setattr(hook_class, name, _timed(name, getattr(hook_class, name), spent))
    _time_parts(os.environ.get(PARTS_VARIABLE, ""), parts)
    atexit.register(
        lambda: Path(out_file).write_text(json.dumps({"hooks": spent, "parts": parts}))
    )
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
