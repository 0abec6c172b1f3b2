"""``make bench-hooks``: the plugin's share of a consented command, per hook and step.

Needs neither root nor the benchmark's venvs: the probe (``hookprobe.py``) runs
with this interpreter, this checkout as installed in ``.venv``, in a fresh copy
of the benchmark's project, against an endpoint that refuses connections (the
sending happens after the command, whatever the endpoint does). A second pass
per command also times the steps named in ``--parts``; wrapping a step imports
its module before Kedro starts, so read that pass for the split only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from benchmarks.scenarios import hooks, summary
from benchmarks.world import Workspace, template, workspaces

_PARTS = (
    "kedro_telemetry.consent:decide,kedro_telemetry.collect.machine:machine_properties,"
    "kedro_telemetry.collect.project:project_properties,"
    "kedro_telemetry.collect.counts:count_properties,"
    "kedro_telemetry.collect.masking:command_properties,"
    "kedro_telemetry.outbox.store:Outbox.put,kedro_telemetry.outbox.wake:wake_sender"
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="commands per pass")
    parser.add_argument("--commands", default="info,run", help="kedro commands")
    parser.add_argument("--parts", default=_PARTS, help="module:function,... to split")
    args = parser.parse_args(argv)
    template()
    c = workspaces("hooktime")["C"]  # apart from a ``make bench`` that runs
    here = {"C": Workspace("C", Path(sys.prefix), c.project, c.env)}  # this venv
    commands = args.commands.split(",")
    for parts in ("", args.parts):
        extra = {"HOOKPROBE_PARTS": parts} if parts else {}
        for command, found in hooks(here, extra, args.runs, commands).items():
            runs = found["C"]
            title = f"kedro {command}" + (" (split)" if parts else "")
            print(f"{title}: {summary(runs)}")
            for kind in ("hooks", "parts"):
                for name in sorted({n for run in runs for n in run[kind]}):
                    ms = [run[kind].get(name, [0.0])[0] * 1000 for run in runs]
                    print(f"  {name}: median {statistics.median(ms):.2f} ms")
            missing = sorted({n for run in runs for n in run["missing"]})
            if missing:
                print(f"  not found (moved?): {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
