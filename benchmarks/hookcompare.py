"""This checkout's time inside the hooks against an earlier revision's, run by run.

This machine's speed drifts by half within an hour, so two hook times taken
minutes apart say little about the code. Runs that alternate between the two
versions share the drift, and their ratio holds better than either number:
this prints the ratio of the medians and the median of each round's ratio,
per command.

Usage: ``python benchmarks/hookcompare.py REVISION`` (``make bench-hooks-against
REV=...``). Each version is installed, not editable, with the benchmark's Kedro
into a virtualenv of its own under ``.bench/hookcompare/``, reused while the
sources it was built from are unchanged; building one needs PyPI.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from hookprobe import probe_runs
from measure import Workspace, settle_senders, time_command
from project import make_template, prepare_workspace, scrubbed_environment
from venvs import KEDRO, Venv, run_build_step, source_hash

_REPO = Path(__file__).resolve().parent.parent
_BENCH = _REPO / ".bench" / "hookcompare"
_MODULE = "kedro_telemetry.hooks"
_STAMP = ".hookcompare-stamp"


def main(argv: list[str]) -> int:
    args = _parse(argv)
    revision = _git("rev-parse", "--verify", f"{args.revision}^{{commit}}").strip()
    versions = {
        "this checkout": _checkout_venv(),
        revision[:7]: _revision_venv(revision),
    }
    template = make_template(_BENCH, versions["this checkout"])
    workspaces = {label: _workspace(template, venv) for label, venv in versions.items()}
    commands = args.commands.split(",")
    totals: dict[tuple[str, str], list[float]] = {
        (label, command): [] for label in workspaces for command in commands
    }
    for workspace in workspaces.values():  # first runs write caches: unmeasured
        for command in commands:
            _hook_ms(workspace, command)
    labels = list(workspaces)
    for round_number in range(args.runs):
        # Alternate who goes first, so neither always follows the other.
        order = labels if round_number % 2 == 0 else labels[::-1]
        for label in order:
            for command in commands:
                totals[(label, command)].append(_hook_ms(workspaces[label], command))
    _print(totals, labels, commands, args.runs)
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare against")
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument(
        "--commands", default="info,run", help="comma-separated kedro commands"
    )
    return parser.parse_args(argv)


def _hook_ms(workspace: Workspace, command: str) -> float:
    def run_probe(probe: list[str]) -> None:
        arguments = [str(workspace.venv.python), *probe, *command.split()]
        time_command(workspace, arguments, {})
        settle_senders(workspace, 0.0)

    out_file = workspace.project.parent / "hook-times.json"
    [spent] = probe_runs(run_probe, _MODULE, 1, out_file)
    return float(sum(spent["hooks"].values())) * 1000


def _print(
    totals: dict[tuple[str, str], list[float]],
    labels: list[str],
    commands: list[str],
    runs: int,
) -> None:
    print(f"milliseconds inside the hooks, median (min) of {runs} alternating runs")
    for command in commands:
        medians = {
            label: statistics.median(totals[(label, command)]) for label in labels
        }
        cells = ", ".join(
            f"{label} {medians[label]:.2f} ({min(totals[(label, command)]):.2f})"
            for label in labels
        )
        first, second = (totals[(label, command)] for label in labels)
        # Each round's two runs are minutes closer than the medians' runs.
        paired = statistics.median(a / b for a, b in zip(first, second, strict=True))
        ratio = medians[labels[0]] / medians[labels[1]]
        print(
            f"kedro {command}: {cells}; ratio of medians {ratio:.2f}, "
            f"median of the rounds' ratios {paired:.2f}"
        )


def _workspace(template: Path, venv: Venv) -> Workspace:
    project, home = prepare_workspace(_BENCH, template, venv.key)
    env = scrubbed_environment(home)
    env["KEDRO_TELEMETRY_ENDPOINT"] = "http://127.0.0.1:9/api/track"
    return Workspace(venv, project, home, env)


def _checkout_venv() -> Venv:
    venv = Venv("checkout", "this checkout", _BENCH / "venvs" / "checkout")
    # An earlier in-tree build's ``build/`` would bring back removed modules.
    shutil.rmtree(_REPO / "build", ignore_errors=True)
    _ensure(venv, source_hash(_REPO), _REPO)
    shutil.rmtree(_REPO / "build", ignore_errors=True)
    return venv


def _revision_venv(revision: str) -> Venv:
    key = f"rev-{revision[:12]}"
    venv = Venv(key, revision[:7], _BENCH / "venvs" / key)
    if _read_stamp(venv) == revision:
        return venv
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision],
            cwd=_REPO,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        _ensure(venv, revision, Path(scratch))
    return venv


def _ensure(venv: Venv, stamp: str, source: Path) -> None:
    """Build ``venv`` with the benchmark's Kedro and ``source``, unless stamped so."""
    if _read_stamp(venv) == stamp:
        return
    print(f"building {venv.path} ...", file=sys.stderr, flush=True)
    shutil.rmtree(venv.path, ignore_errors=True)
    run_build_step([sys.executable, "-m", "venv", str(venv.path)])
    run_build_step(
        [str(venv.python), "-m", "pip", "install", "--quiet", KEDRO, str(source)]
    )
    (venv.path / _STAMP).write_text(json.dumps(stamp))


def _read_stamp(venv: Venv) -> str | None:
    try:
        stamp = json.loads((venv.path / _STAMP).read_text())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, str) else None


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments],
        cwd=_REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
