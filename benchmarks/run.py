"""``make bench``: what kedro-telemetry costs, next to Kedro alone and 0.9.0.

Groups (``--only``, comma-separated; all by default):

* ``foreground``: single commands in paired rounds, wall time of the ``kedro``
  process, healthy, opted out, silent endpoint, silent DNS, and as PID 1;
* ``hooks``: the plugin's share of the command's own process CPU, and its import;
* ``total``: one lone consented ``kedro info``, the CPU of everything it starts
  until the last process has ended, and the floor of such a command;
* ``session``: a working session of consented commands a few seconds apart,
  counted the same way, with each event's delivery time and the plugin's last
  process's lifetime;
* ``burst``: many commands at once.

The script runs twice over: first where pip can reach PyPI, to build the venvs
and the project; then it re-runs itself in a private network namespace
(``network.py``) to measure, where nothing can reach the real Heap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks import rows, scenarios, world
from benchmarks.enclosure import Enclosure, cgroup_root
from benchmarks.network import INSIDE_FLAG, Network, enter

GROUPS = ("foreground", "hooks", "total", "session", "burst")


def main() -> int:
    raw = sys.argv[1:]
    args = _parse([arg for arg in raw if arg != INSIDE_FLAG])
    if INSIDE_FLAG not in raw:
        world.build_venvs()
        world.template()
        os.chdir(world.REPO)  # the measuring half runs as ``python -m benchmarks.run``
        enter("benchmarks.run", raw)  # does not return
    return _measure(args)


_OPTIONS = (  # name, type, default, help
    ("only", str, ",".join(GROUPS), "comma-separated groups: " + ", ".join(GROUPS)),
    ("rounds", int, 7, "paired rounds of single commands"),
    ("scenarios", str, ",".join(s.key for s in scenarios.SCENARIOS), "of foreground"),
    ("hook-runs", int, 9, "probed commands per plugin and command"),
    ("lone-rounds", int, 3, "rounds of the lone command"),
    ("session-rounds", int, 3, "rounds of the session"),
    ("session-commands", int, 12, "commands in a session, kedro info and run in turn"),
    ("session-gap", float, 2.0, "seconds between a session's commands"),
    ("burst", int, 20, "commands started at once"),
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, kind, default, text in _OPTIONS:
        parser.add_argument(f"--{name}", type=kind, default=default, help=text)
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")
    return args


def _measure(args: argparse.Namespace) -> int:
    Enclosure.root = cgroup_root()
    certifi = next(
        world.venv_path("B").glob("lib/python*/site-packages/certifi/cacert.pem")
    )
    network = Network(world.BENCH / "net", certifi)
    spaces = world.workspaces()
    chosen = args.only.split(",")
    load_before = os.getloadavg()[0]
    found: list[rows.Row] = []
    raw: dict[str, Any] = {"arguments": vars(args)}
    try:
        network.preflight(spaces["B"].python)
        if "foreground" in chosen:
            for scenario in scenarios.SCENARIOS:
                if scenario.key in args.scenarios.split(","):
                    print(f"{scenario.key}: {scenario.title}", file=sys.stderr)
                    raw[scenario.key] = scenarios.foreground(
                        scenario, spaces, network, args.rounds
                    )
                    found.append(rows.foreground_row(scenario, raw[scenario.key]))
        if "hooks" in chosen:
            extra = network.configure("healthy")
            hooks = {key: spaces[key] for key in "BC"}
            raw["hooks"] = scenarios.hooks(hooks, extra, args.hook_runs)
            found += rows.hook_rows(raw["hooks"])
        session = [("info", "run")[n % 2] for n in range(args.session_commands)]
        for group, commands, rounds in (
            ("total", [], args.lone_rounds),
            ("session", session, args.session_rounds),
        ):
            if group in chosen:
                raw[group] = scenarios.total(
                    spaces, network, rounds, commands, args.session_gap
                )
        if "total" in chosen or "session" in chosen:
            found += rows.total_rows(
                raw.get("total", []),
                raw.get("session", []),
                args.session_commands,
                args.session_gap,
            )
        if "burst" in chosen:
            raw["burst"] = _burst(spaces["C"], network, args.burst)
            found.append(rows.burst_row(raw["burst"], args.burst))
    finally:
        network.stop()
    table = rows.render(found, args, load_before, Enclosure.root is not None)
    print(table)
    (world.BENCH / "results.md").write_text(table)
    (world.BENCH / "raw.json").write_text(json.dumps(raw, indent=1))
    print(
        f"(also in {world.BENCH / 'results.md'}, every sample in raw.json)",
        file=sys.stderr,
    )
    return 0


def _burst(ws: world.Workspace, network: Network, commands: int) -> dict[str, Any]:
    print(f"burst of {commands} ...", file=sys.stderr, flush=True)
    env = {**ws.env, **network.configure("healthy")}
    spec = json.dumps(
        {"kedro": ws.kedro, "project": str(ws.project), "env": env, "n": commands}
    )
    started = len(network.since(0))
    helper = [sys.executable, str(Path(__file__).with_name("burst.py")), spec]
    with Enclosure(ws.env, ws.project.parent / "burst.json") as box:
        box.run(helper, ws.project, {}, timeout=400)  # its ceiling is 300 s
    tally = json.loads((ws.project.parent / "burst.json").read_text())
    return {**tally, "delivered": len(network.since(0)) - started}


if __name__ == "__main__":
    raise SystemExit(main())
