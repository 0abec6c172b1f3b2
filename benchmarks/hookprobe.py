"""The plugin's share of one real ``kedro`` command, measured inside its process.

Run as a script by a venv's interpreter (``python hookprobe.py OUT kedro-args``),
this imports what Kedro's CLI imports before it loads plugins, then the plugin's
entry points (timed: the plugin's import cost after Kedro), wraps the hook
methods of every object they name, runs Kedro's CLI, and at exit (the first
``atexit`` handler, so it runs last) writes to OUT: the time inside each hook
(wall, and the CPU meanwhile), the CPU time so far, and the import time.
CPU is the process's own and that of the children it waited for (the ``git``
that consent asks), so the share the target is about counts git's answer.
``HOOKPROBE_PARTS`` (``module:function,...``) also times functions the hooks
call; one that does not exist (the code moved) is listed under ``missing``.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import os
import resource
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

_HOOKS = (
    "before_command_run",
    "after_command_run",
    "after_context_created",
    "after_catalog_created",
)
_GROUPS = ("kedro.cli_hooks", "kedro.hooks", "kedro.global_commands")


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum((own.ru_utime, own.ru_stime, children.ru_utime, children.ru_stime))


def _timed(name: str, method: Any, spent: dict[str, list[float]]) -> Any:
    @functools.wraps(method)  # keeps pluggy's hookimpl marker and signature
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return method(*args, **kwargs)
        finally:
            total = spent.setdefault(name, [0.0, 0.0])
            total[0] += time.perf_counter() - wall
            total[1] += _cpu() - cpu

    return wrapper


def _plugin_entry_points() -> list[Any]:
    """The plugin's entry points (Kedro scans them anyway: not timed)."""
    return [
        point
        for group in _GROUPS
        for point in entry_points(group=group)
        if point.dist is not None
        and point.dist.name.replace("_", "-").lower() == "kedro-telemetry"
    ]


def _probe(out_file: str, kedro_args: list[str]) -> None:
    report: dict[str, Any] = {"hooks": {}, "parts": {}, "missing": []}

    def write() -> None:
        report["process_cpu"] = _cpu()
        Path(out_file).write_text(json.dumps(report))

    atexit.register(write)
    import click  # noqa: F401  (what Kedro has imported when it loads plugins)
    import kedro.framework.cli.cli
    import kedro.framework.cli.hooks
    import kedro.framework.hooks
    import kedro.framework.startup

    points = _plugin_entry_points()
    started = time.perf_counter()
    objects = [point.load() for point in points]
    report["import_ms"] = (time.perf_counter() - started) * 1000
    for cls in {type(o) for o in objects if any(hasattr(o, n) for n in _HOOKS)}:
        for name in _HOOKS:
            if hasattr(cls, name):
                setattr(cls, name, _timed(name, getattr(cls, name), report["hooks"]))
    for target in filter(None, os.environ.get("HOOKPROBE_PARTS", "").split(",")):
        module, _, path = target.partition(":")
        *outer, name = path.split(".")
        try:
            owner: Any = importlib.import_module(module)
            for attribute in outer:
                owner = getattr(owner, attribute)
            setattr(owner, name, _timed(target, getattr(owner, name), report["parts"]))
        except (ImportError, AttributeError):
            report["missing"].append(target)
    sys.argv = ["kedro", *kedro_args]
    kedro.framework.cli.cli.main()  # ends the process itself, through SystemExit


if __name__ == "__main__":
    # This directory's modules must not shadow anything in the probed process.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    _probe(sys.argv[1], sys.argv[2:])
