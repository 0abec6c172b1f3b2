"""Only the hook probe of ``make bench``: milliseconds inside this plugin's hooks.

The full benchmark needs root, a private network namespace and three venvs;
the hook time needs none of that. This runs the probe with the interpreter
that runs it (``.venv/bin/python benchmarks/hooktime.py``), in a fresh copy
of the benchmark's project with consent given, against an endpoint that
refuses connections at once (delivery happens after the command, so the
endpoint does not change the hooks' time).

Two passes per command: the first times the hooks alone (the number the target
is about); the second also times the parts named in ``--parts`` from inside the
hooks. Wrapping a part imports its module before Kedro starts, so the second
pass leaves that import out of the hooks' time: read it for the split only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from hookprobe import PARTS_VARIABLE, probe_runs
from measure import Workspace, settle_senders, time_command
from project import make_template, prepare_workspace, scrubbed_environment
from venvs import Venv

_REPO = Path(__file__).resolve().parent.parent
_MODULE = "kedro_telemetry.hooks"
_DEFAULT_PARTS = ",".join(
    (
        "kedro_telemetry.consent:decide",
        "kedro_telemetry.facts:base_properties",
        "kedro_telemetry.facts:project_from_metadata",
        "kedro_telemetry.facts:statistics",
        "kedro_telemetry.facts:host_identity",
        "kedro_telemetry.masking:mask_command",
        "kedro_telemetry.delivery:deliver",
        "kedro_telemetry.outbox:Outbox.put",
        "kedro_telemetry.delivery:wake_sender",
        "kedro_telemetry.recorder:PendingEvent.finish",
        "kedro_telemetry.recorder:_masked_command",
    )
)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    venv = Venv("C", "this project", Path(sys.prefix))
    bench_dir = _REPO / ".bench" / "hooktime"
    template = make_template(bench_dir, venv)
    project, home = prepare_workspace(bench_dir, template, "C")
    env = scrubbed_environment(home)
    env["KEDRO_TELEMETRY_ENDPOINT"] = "http://127.0.0.1:9/api/track"
    workspace = Workspace(venv, project, home, env)
    for command in args.commands.split(","):
        _report(workspace, command.split(), args.runs, "")
        _report(workspace, command.split(), args.runs, args.parts)
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="commands per pass")
    parser.add_argument(
        "--commands", default="info,run", help="comma-separated kedro commands"
    )
    parser.add_argument(
        "--parts", default=_DEFAULT_PARTS, help="module:function,... to split"
    )
    return parser.parse_args(argv)


def _report(workspace: Workspace, command: list[str], runs: int, parts: str) -> None:
    extra_env = {PARTS_VARIABLE: parts} if parts else {}

    def run_probe(probe: list[str]) -> None:
        time_command(workspace, [str(workspace.venv.python), *probe, *command], {})
        settle_senders(workspace, 0.0)

    workspace.env.update(extra_env)
    try:
        # One unmeasured run first: bytecode caches and first-run files.
        out_file = workspace.project.parent / "hook-times.json"
        probe_runs(run_probe, _MODULE, 1, out_file)
        results = probe_runs(run_probe, _MODULE, runs, out_file)
    finally:
        workspace.env.pop(PARTS_VARIABLE, None)
    title = f"kedro {' '.join(command)}" + (" (split)" if parts else "")
    totals = [sum(r["hooks"].values()) * 1000 for r in results]
    print(
        f"{title}: median {statistics.median(totals):.2f} ms,"
        f" min {min(totals):.2f} ms over {runs} runs"
    )
    print(f"  all runs (ms): {', '.join(f'{t:.2f}' for t in totals)}")
    for kind in ("hooks", "parts"):
        names = sorted({name for r in results for name in r[kind]})
        for name in names:
            values = [r[kind].get(name, 0.0) * 1000 for r in results]
            print(
                f"  {kind[:-1]} {name}: median {statistics.median(values):.2f} ms,"
                f" min {min(values):.2f} ms"
            )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
