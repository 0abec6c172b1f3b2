"""``make bench``: what kedro-telemetry costs a ``kedro`` command, next to 0.9.0.

Three venvs (Kedro alone, Kedro + kedro-telemetry 0.9.0, Kedro + this checkout)
run the same commands in copies of one small project, under five conditions:
consented with a healthy endpoint (``info`` and ``run``), opted out, an endpoint
that never answers, and a resolver that never answers. Then the import cost of
each plugin and the delivery delay of this one.

The script runs twice over. First in the normal world, where pip can reach
PyPI, to build the venvs and the project. Then it re-runs itself inside a
private network and mount namespace (see ``namespace.py``) to measure, where
every server is on 127.0.0.1 and nothing can reach the real Heap.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import namespace
from burst import run_burst
from importcost import ImportCost, measure_import
from measure import Workspace, settle_senders
from network import Network
from project import make_template, prepare_workspace, scrubbed_environment
from report import Row, render
from rows import (
    burst_row,
    delivery_row,
    hook_row,
    import_row,
    namespace_row,
    scenario_row,
)
from scenarios import SCENARIOS, ScenarioResult, delivery_latency, run_scenario
from tls import HEAP_HOST, Certificates, make_certificates
from venvs import Venv, build_all, locate

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / ".bench"
_PLUGIN_MODULES = {
    "B": "kedro_telemetry.plugin",
    "C": "kedro_telemetry.hooks, kedro_telemetry.cli",
}
# What the hooks import lazily for a consented command (an opt-out variable
# skips all of it; a "no" in a file stops after consent).
_HOOK_PATH_MODULES = "kedro_telemetry.hooks, kedro_telemetry.cli, " + (
    "kedro_telemetry.recorder, kedro_telemetry.masking, kedro_telemetry.events, "
    "kedro_telemetry.facts, kedro_telemetry.delivery"
)


def main() -> int:
    raw = sys.argv[1:]
    args = _parse([arg for arg in raw if arg != namespace.INSIDE_FLAG])
    if namespace.INSIDE_FLAG not in raw:
        _prepare()
        namespace.enter(Path(__file__).resolve(), raw)  # does not return
    return _measure(args)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="paired rounds (default 7)"
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        default=9,
        help="importtime runs per plugin (default 9)",
    )
    parser.add_argument(
        "--hook-runs",
        type=int,
        default=9,
        help="commands timed inside the hooks, per plugin and scenario (default 9)",
    )
    parser.add_argument(
        "--delivery-runs", type=int, default=3, help="delivery checks (default 3)"
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=20,
        help="commands started at once in the burst row (default 20; 0 skips it)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(s.key for s in SCENARIOS),
        help="comma-separated subset of: " + ", ".join(s.key for s in SCENARIOS),
    )
    args = parser.parse_args(argv)
    counts = (args.rounds, args.import_runs, args.hook_runs, args.delivery_runs)
    if min(counts) < 1:
        parser.error("every count of runs must be at least 1")
    unknown = set(args.scenarios.split(",")) - {s.key for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def _prepare() -> None:
    """Everything that needs PyPI or takes minutes, done once and reused after."""
    BENCH.mkdir(exist_ok=True)
    venvs = build_all(BENCH, REPO)
    make_template(BENCH, venvs["A"])
    _certificates(venvs["B"])


def _certificates(venv_b: Venv) -> Certificates:
    bundles = sorted(venv_b.path.glob("lib/python*/site-packages/certifi/cacert.pem"))
    if not bundles:
        raise SystemExit(f"no certifi bundle in {venv_b.path}")
    return make_certificates(BENCH / "tls", bundles[0])


def _measure(args: argparse.Namespace) -> int:
    """The measuring half, inside the private namespaces."""
    venvs = locate(BENCH)
    hosts = namespace.set_up(BENCH / "net")
    certificates = _certificates(venvs["B"])
    workspaces = _workspaces(venvs)
    load_before = os.getloadavg()[0]
    raw: dict[str, Any] = {"arguments": vars(args)}
    network = Network(hosts, certificates)
    try:
        _preflight(network, workspaces["B"])
        imports, consented = _import_costs(workspaces, args.import_runs)
        raw["imports"] = {key: asdict(cost) for key, cost in imports.items()}
        rows = []
        results = _scenarios(args, workspaces, network)
        for result in results:
            if result.scenario.pid_namespace:
                rows.append(namespace_row(result, _version()))
            else:
                rows.append(scenario_row(result, imports))
            raw[result.scenario.key] = {
                "wall": result.times,
                "cpu": result.cpu,
                "hook_ms": result.hook_ms,
            }
        if hooks := hook_row(results, args.hook_runs):
            rows.append(hooks)
        rows.append(import_row(imports, consented))
        print("delivery ...", file=sys.stderr, flush=True)
        after_exit, after_start, missing = delivery_latency(
            workspaces["C"], network, args.delivery_runs
        )
        raw["delivery"] = {"after_exit": after_exit, "after_start": after_start}
        rows.append(delivery_row(after_exit, after_start, missing))
        if args.burst:
            rows.append(_burst(workspaces["C"], network, args.burst, raw))
    finally:
        network.stop()
        for workspace in workspaces.values():
            settle_senders(workspace, grace=0.0)
    table = render(rows, _method_note(args, load_before))
    print(table)
    (BENCH / "results.md").write_text(table)
    (BENCH / "raw.json").write_text(json.dumps(raw, indent=1))
    print(
        f"(also in {BENCH / 'results.md'}; every sample in raw.json)", file=sys.stderr
    )
    return 0


def _burst(
    workspace: Workspace, network: Network, commands: int, raw: dict[str, Any]
) -> Row:
    print(f"burst of {commands} ...", file=sys.stderr, flush=True)
    settle_senders(workspace, grace=10.0)
    env = {**workspace.env, **network.configure("healthy")}
    result = run_burst(
        workspace.venv.kedro, workspace.project, env, commands, network.recording
    )
    settle_senders(workspace, grace=0.0)
    raw["burst"] = asdict(result)
    return burst_row(result)


def _version() -> str:
    """This checkout's version, which its events carry as ``telemetry_version``."""
    source = (REPO / "kedro_telemetry" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', source, re.MULTILINE)
    return found[1] if found else "?"


def _workspaces(venvs: dict[str, Venv]) -> dict[str, Workspace]:
    template = make_template(BENCH, venvs["A"])  # built by _prepare: reused here
    workspaces = {}
    for key, venv in venvs.items():
        project, home = prepare_workspace(BENCH, template, key)
        workspaces[key] = Workspace(venv, project, home, scrubbed_environment(home))
    return workspaces


def _preflight(network: Network, workspace_b: Workspace) -> None:
    """Refuse to measure unless the network behaves as each scenario claims."""
    network.configure("hanging-dns")
    for name in (namespace.UNRESOLVABLE_HOST, HEAP_HOST):
        if not namespace.check_resolution_hangs(name):
            raise SystemExit(f"resolving {name} did not hang: the DNS scenario is void")
    env = {**workspace_b.env, **network.configure("healthy")}
    probe = (
        "import requests; print(requests.post('https://heapanalytics.com/api/track', "
        "json={'preflight': True}, timeout=5).status_code)"
    )
    result = subprocess.run(
        [str(workspace_b.venv.python), "-c", probe],
        env=env,
        cwd=workspace_b.home,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.stdout.strip() != "200":
        raise SystemExit(
            f"the local Heap stand-in is not healthy:\n{result.stderr[-2000:]}"
        )
    print("preflight: DNS hangs, local heapanalytics.com answers 200", file=sys.stderr)


def _scenarios(
    args: argparse.Namespace, workspaces: dict[str, Workspace], network: Network
) -> list[ScenarioResult]:
    chosen = args.scenarios.split(",")
    results = []
    for scenario in SCENARIOS:
        if scenario.key in chosen:
            print(f"scenario {scenario.key}: {scenario.title}", file=sys.stderr)
            results.append(
                run_scenario(scenario, workspaces, network, args.rounds, args.hook_runs)
            )
    return results


def _import_costs(
    workspaces: dict[str, Workspace], runs: int
) -> tuple[dict[str, ImportCost], ImportCost]:
    """Each plugin's import cost, and this project's with its lazy imports too."""
    print("import time ...", file=sys.stderr, flush=True)
    costs = {}
    for key, modules in _PLUGIN_MODULES.items():
        workspace = workspaces[key]
        costs[key] = measure_import(
            workspace.venv.python, modules, workspace.home, workspace.env, runs
        )
    c = workspaces["C"]
    consented = measure_import(c.venv.python, _HOOK_PATH_MODULES, c.home, c.env, runs)
    return costs, consented


def _method_note(args: argparse.Namespace, load_before: float) -> str:
    return (
        "Wall time of the whole `kedro` process: median of "
        f"{args.rounds} paired rounds (A, B, C in turn) after 1 warm-up round; "
        "a ratio is the median of the "
        f"per-round ratios to Kedro alone. {os.cpu_count()} CPUs, 1-minute load "
        f"{load_before:.2f} before and {os.getloadavg()[0]:.2f} after; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Everything ran in a private network "
        "namespace: 0.9.0 posted over TLS to a local stand-in for heapanalytics.com, "
        "so its healthy times are a lower bound on its cost against the real Heap."
    )


if __name__ == "__main__":
    raise SystemExit(main())
