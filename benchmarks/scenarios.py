"""The scenarios, run as paired rounds A B C, A B C, ... after one warm-up round.

Pairing matters on a shared 2-core machine: whatever else runs slows a whole
round, and each plugin is compared with the Kedro-alone run of its own round.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from exitprobe import budget, measure_exit_waits
from hookprobe import measure_hooks
from measure import Workspace, settle_senders, time_command, time_kedro
from network import Network, Tally
from servers import Received

__all__ = [
    "HOOK_MODULES",
    "SCENARIOS",
    "Scenario",
    "ScenarioResult",
    "delivery_latency",
    "run_scenario",
]

_HEALTHY_GRACE = 10.0  # a sender that can reach its endpoint is done well before
_HANGING_GRACE = 2.0  # long enough to reach the hang, far short of its 60 s deadline
_DELIVERY_WAIT = 20.0


@dataclass(frozen=True)
class Scenario:
    """One command under one network condition, with this project's target ratio."""

    key: str
    title: str
    args: tuple[str, ...]
    endpoint: str
    target: float
    opt_out: bool = False
    # Run as PID 1 of a fresh PID namespace, as in ``docker run --rm``.
    pid_namespace: bool = False
    # 0.9.0 sends inline, for ~10 s when the network hangs: not worth timing
    # again in every variant.
    compare_old: bool = True

    @property
    def sender_grace(self) -> float:
        return _HEALTHY_GRACE if self.endpoint == "healthy" else _HANGING_GRACE

    def command(self, workspace: Workspace) -> list[str]:
        return self.as_pid_1([str(workspace.venv.kedro), *self.args])

    def as_pid_1(self, command: list[str]) -> list[str]:
        """``command``, made PID 1 of a fresh namespace if the scenario says so."""
        if self.pid_namespace:
            return ["unshare", "--pid", "--fork", "--mount-proc", *command]
        return command

    def venv_keys(self, available: list[str]) -> list[str]:
        return [key for key in available if self.compare_old or key != "B"]


SCENARIOS = (
    Scenario(
        "info", "`kedro info`, consented, healthy endpoint", ("info",), "healthy", 1.03
    ),
    Scenario(
        "run", "`kedro run`, consented, healthy endpoint", ("run",), "healthy", 1.03
    ),
    Scenario(
        "opt-out",
        "`kedro info`, DO_NOT_TRACK=1",
        ("info",),
        "healthy",
        1.01,
        opt_out=True,
    ),
    Scenario(
        "black-hole", "`kedro info`, black-hole endpoint", ("info",), "black-hole", 1.05
    ),
    Scenario("dns", "`kedro info`, hanging DNS", ("info",), "hanging-dns", 1.05),
    # The targets of these are in added seconds, not ratios (see ``rows``).
    Scenario(
        "pid1",
        "`kedro info` as PID 1 of its namespace (a container), healthy endpoint",
        ("info",),
        "healthy",
        1.0,
        pid_namespace=True,
    ),
    Scenario(
        "pid1-black-hole",
        "`kedro info` as PID 1 of its namespace, black-hole endpoint",
        ("info",),
        "black-hole",
        1.0,
        pid_namespace=True,
        compare_old=False,
    ),
    Scenario(
        "pid1-dns",
        "`kedro info` as PID 1 of its namespace, hanging DNS",
        ("info",),
        "hanging-dns",
        1.0,
        pid_namespace=True,
        compare_old=False,
    ),
)


@dataclass
class ScenarioResult:
    """Wall and CPU times per venv key (warm-up excluded), and what servers saw."""

    scenario: Scenario
    times: dict[str, list[float]]
    cpu: dict[str, list[float]]
    tally: Tally | None = None
    killed_senders: int = 0
    hook_ms: dict[str, float] = field(default_factory=dict)
    # PID 1 scenarios: seconds from queuing the event to the end of the wait,
    # and the most the plugin allows.
    exit_waits: list[float] = field(default_factory=list)
    exit_budget: float = 0.0


# The module holding each plugin's ``KedroTelemetryHook``.
HOOK_MODULES = {"B": "kedro_telemetry.plugin", "C": "kedro_telemetry.hooks"}


def run_scenario(
    scenario: Scenario,
    workspaces: dict[str, Workspace],
    network: Network,
    rounds: int,
    hook_runs: int,
) -> ScenarioResult:
    """Warm up once, then ``rounds`` paired rounds; settle senders after every run.

    Then, apart from the timed rounds, the time inside each plugin's hooks;
    0.9.0's is skipped where the network hangs, since its ~10 s shows anyway.
    """
    extra_env = _environment(scenario, network)
    workspaces = {
        key: workspaces[key] for key in scenario.venv_keys(list(workspaces))
    }
    result = ScenarioResult(
        scenario, {key: [] for key in workspaces}, {key: [] for key in workspaces}
    )
    for workspace in workspaces.values():
        settle_senders(workspace, scenario.sender_grace)
    before = network.tally()
    for round_number in range(rounds + 1):
        for key, workspace in workspaces.items():
            timing = time_command(workspace, scenario.command(workspace), extra_env)
            result.killed_senders += settle_senders(workspace, scenario.sender_grace)
            if round_number > 0:  # round 0 warms caches and writes first-run files
                result.times[key].append(timing.wall)
                result.cpu[key].append(timing.cpu)
        _progress(scenario, round_number, rounds, result)
    result.tally = network.tally().since(before)
    if scenario.pid_namespace:  # the hooks' time is the same in a namespace
        result.exit_waits = _exit_waits(scenario, workspaces["C"], extra_env, rounds)
        result.exit_budget = budget(workspaces["C"].venv.python)
        return result
    for key, module in HOOK_MODULES.items():
        if key == "B" and scenario.endpoint != "healthy":
            continue
        result.hook_ms[key] = _hook_time(
            scenario, workspaces[key], module, extra_env, hook_runs
        )
    return result


def _environment(scenario: Scenario, network: Network) -> dict[str, str]:
    extra_env = network.configure(scenario.endpoint)
    if scenario.opt_out:
        extra_env["DO_NOT_TRACK"] = "1"
    return extra_env


def _hook_time(
    scenario: Scenario,
    workspace: Workspace,
    module: str,
    extra_env: dict[str, str],
    runs: int,
) -> float:
    def run_probe(probe: list[str]) -> None:
        command = [str(workspace.venv.python), *probe, *scenario.args]
        time_command(workspace, command, extra_env)
        settle_senders(workspace, scenario.sender_grace)

    out_file = workspace.project.parent / "hook-times.json"
    return measure_hooks(run_probe, module, runs, out_file)


def _exit_waits(
    scenario: Scenario, workspace: Workspace, extra_env: dict[str, str], runs: int
) -> list[float]:
    def run_probe(probe: list[str]) -> None:
        command = [str(workspace.venv.python), *probe, *scenario.args]
        time_command(workspace, scenario.as_pid_1(command), extra_env)
        settle_senders(workspace, scenario.sender_grace)

    out_file = workspace.project.parent / "exit-wait.json"
    return measure_exit_waits(run_probe, runs, out_file)


def delivery_latency(
    workspace: Workspace, network: Network, runs: int
) -> tuple[list[float], list[float], int]:
    """Seconds from the end (and from the start) of a healthy ``kedro info`` until
    the recorder holds its event; also how many runs' events never came."""
    extra_env = network.configure("healthy")
    after_exit: list[float] = []
    after_start: list[float] = []
    missing = 0
    for _ in range(runs):
        settle_senders(workspace, _HEALTHY_GRACE)
        started = time.monotonic()
        time_kedro(workspace, ["info"], extra_env)
        ended = time.monotonic()
        received = network.recording.wait_for(_arrived_after(started), _DELIVERY_WAIT)
        if received is None:
            missing += 1
            continue
        after_exit.append(received.at - ended)
        after_start.append(received.at - started)
    settle_senders(workspace, _HEALTHY_GRACE)
    return after_exit, after_start, missing


def _arrived_after(moment: float) -> Callable[[Received], bool]:
    def arrived(received: Received) -> bool:
        return received.at >= moment

    return arrived


def _progress(
    scenario: Scenario, round_number: int, rounds: int, result: ScenarioResult
) -> None:
    label = "warm-up" if round_number == 0 else f"round {round_number}/{rounds}"
    latest = ""
    if round_number > 0:
        latest = " ".join(
            f"{key} {times[-1]:.3f}s" for key, times in result.times.items()
        )
    print(f"  {scenario.key}: {label} {latest}", file=sys.stderr, flush=True)
