"""What the benchmark runs: paired rounds of single commands, the plugin's share
of a command, a lone command and a working session counted in full.

Rounds are paired (A, B, C in turn) after one warm-up round: on a shared 2-core
machine whatever else runs slows a whole round, and each plugin is compared
with the Kedro-alone run of its own round.
"""

from __future__ import annotations

import functools
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.enclosure import Enclosure
from benchmarks.network import Network
from benchmarks.world import Workspace
from tests.support.namespaces import in_pid_namespace

_PROBE = str(Path(__file__).with_name("hookprobe.py"))
# The longest a command and what it leaves may take before the run counts as
# missed; the plugin's own bound is about two minutes.
_LAST_PROCESS_CEILING = 300.0
_FLOOR = (
    "import os, requests; requests.post(os.environ['KEDRO_TELEMETRY_ENDPOINT'], "
    "json={'event': 'floor'}, timeout=10)"
)


T = TypeVar("T")

_CONDITIONS = {
    "healthy": "consented, healthy endpoint",
    "opt-out": "`DO_NOT_TRACK=1`",
    "black-hole": "endpoint never answers",
    "hanging-dns": "DNS never answers",
}


@dataclass(frozen=True)
class Scenario:
    """One command under one condition; the target is a ratio to Kedro alone, or
    (as PID 1 of a fresh PID namespace, as in ``docker run --rm``) seconds added.
    0.9.0's ~10 s with a silent network shows once, not in every variant."""

    key: str
    command: str
    condition: str
    target: float
    pid1: bool = False
    compare_old: bool = True

    @property
    def endpoint(self) -> str:
        return "healthy" if self.condition == "opt-out" else self.condition

    @property
    def title(self) -> str:
        where = " as PID 1 of its namespace (a container)" if self.pid1 else ""
        return f"`kedro {self.command}`{where}, {_CONDITIONS[self.condition]}"


SCENARIOS = (
    Scenario("info", "info", "healthy", 1.03),
    Scenario("run", "run", "healthy", 1.03),
    Scenario("opt-out", "info", "opt-out", 1.01),
    Scenario("black-hole", "info", "black-hole", 1.05),
    Scenario("dns", "info", "hanging-dns", 1.05),
    Scenario("pid1", "info", "healthy", 1.0, pid1=True),
    Scenario("pid1-black-hole", "info", "black-hole", 1.0, True, compare_old=False),
    Scenario("pid1-dns", "info", "hanging-dns", 1.0, True, compare_old=False),
)


def run_once(ws: Workspace, argv: list[str], extra: dict[str, str]) -> float:
    """Wall seconds of one command; whatever it leaves is killed, its queue emptied."""
    with Enclosure(ws.env, ws.project.parent / "output.txt") as box:
        wall = box.run(argv, ws.project, extra).wall
    shutil.rmtree(ws.state_dir, ignore_errors=True)
    return wall


def paired(
    label: str,
    rounds: int,
    spaces: dict[str, Workspace],
    measure: Callable[[Workspace], T],
) -> dict[str, list[T]]:
    """``measure`` each workspace in turn: a warm-up round, then ``rounds`` kept."""
    found: dict[str, list[T]] = {key: [] for key in spaces}
    for number in range(rounds + 1):  # round 0 warms caches, writes first-run files
        for key, ws in spaces.items():
            result = measure(ws)
            if number:
                found[key].append(result)
        title = f"round {number}" if number else "warm-up"
        print(f"  {label}: {title}", file=sys.stderr, flush=True)
    return found


def foreground(
    scenario: Scenario, spaces: dict[str, Workspace], network: Network, rounds: int
) -> dict[str, Any]:
    """Wall seconds per venv over paired rounds; events delivered as PID 1."""
    extra = network.configure(scenario.endpoint)
    if scenario.condition == "opt-out":
        extra["DO_NOT_TRACK"] = "1"
    if not scenario.compare_old:
        spaces = {key: ws for key, ws in spaces.items() if key != "B"}

    def wall(ws: Workspace) -> float:
        argv = [ws.kedro, scenario.command]
        return run_once(ws, in_pid_namespace(argv) if scenario.pid1 else argv, extra)

    started = time.monotonic()
    walls = paired(scenario.key, rounds, spaces, wall)
    return {"wall": walls, "delivered": len(network.since(started)), "runs": rounds + 1}


def probe(ws: Workspace, args: list[str], extra: dict[str, str]) -> dict[str, Any]:
    """One command run through ``hookprobe.py``; what it measured inside."""
    out = ws.project.parent / "probe.json"
    out.unlink(missing_ok=True)
    run_once(ws, [ws.python, _PROBE, str(out), *args], extra)
    return json.loads(out.read_text())


def share(run: dict[str, Any]) -> float:
    """The CPU time inside the hooks over the process's own, in percent."""
    return 100 * sum(cpu for _, cpu in run["hooks"].values()) / run["process_cpu"]


def summary(runs: list[dict[str, Any]]) -> str:
    def median(values: Any) -> float:
        return statistics.median(list(values))

    hooks = median(sum(w for w, _ in run["hooks"].values()) * 1000 for run in runs)
    cpu = median(sum(c for _, c in run["hooks"].values()) * 1000 for run in runs)
    return (
        f"{cpu:.1f} ms of CPU in the hooks ({hooks:.1f} ms wall) of "
        f"{median(run['process_cpu'] for run in runs):.3f} s process CPU: "
        f"{median(share(run) for run in runs):.2f} % (median of {len(runs)}); "
        f"import after Kedro {median(run['import_ms'] for run in runs):.1f} ms"
    )


def hooks(
    spaces: dict[str, Workspace], extra: dict[str, str], runs: int,
    commands: Sequence[str] = ("info", "run"),
) -> dict[str, dict[str, list[Any]]]:  # fmt: skip
    """The probe on each consented command, the venvs of ``spaces`` in turn."""
    found = {}
    for command in commands:
        measure = functools.partial(probe, args=[command], extra=extra)
        found[command] = paired(f"hooks {command}", runs, spaces, measure)
        for key, results in found[command].items():
            print(f"  hooks {command}: {key} {summary(results)}", file=sys.stderr)
    return found


Extra = dict[str, str]


def whole(
    ws: Workspace, commands: list[str], gap: float, network: Network, extra: Extra
) -> dict[str, Any]:
    """``commands`` one after another, ``gap`` s apart, in one enclosure, until
    its last process has ended: CPU of all, and this project's delivery times."""
    with Enclosure(ws.env, ws.project.parent / "output.txt") as box:
        timings = []
        for number, args in enumerate(commands):
            if number:
                time.sleep(gap)
            timings.append(box.run([ws.kedro, args], ws.project, extra))
        empty = box.wait_empty(_LAST_PROCESS_CEILING)
        cpu = box.cpu()
    ends = [timing.ended for timing in timings]
    arrivals = network.since(timings[0].started) if ws.key == "C" else []
    return {
        "cpu": cpu,
        "own_cpu": sum(timing.cpu for timing in timings),
        "delays": [at - end for at, end in zip(arrivals, ends, strict=False)],
        "arrived": len(arrivals),
        "lifetime": None if empty is None else empty - ends[-1],
    }


def total(
    spaces: dict[str, Workspace], network: Network, rounds: int, session: list[str],
    gap: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """Per round, each venv's whole cost; ``session`` empty for a lone ``kedro info``,
    which also gets the floor: a fresh interpreter that imports requests and posts."""
    extra = network.configure("healthy")
    label = "session" if session else "lone"
    for ws in spaces.values():  # warm-up, not counted
        run_once(ws, [ws.kedro, "info"], extra)
    found = []
    for number in range(1, rounds + 1):
        commands = session or ["info"]
        result = {
            k: whole(ws, commands, gap, network, extra) for k, ws in spaces.items()
        }
        if not session:
            c = spaces["C"]
            with Enclosure(c.env, c.project.parent / "output.txt") as box:
                box.run([c.python, "-c", _FLOOR], c.project, extra)
                box.wait_empty(_LAST_PROCESS_CEILING)
                result["floor"] = box.cpu()
        found.append(result)
        shown = " ".join(f"{key} {result[key]['cpu']:.3f}s" for key in spaces)
        print(f"  {label}: round {number} {shown}", file=sys.stderr, flush=True)
    return found
