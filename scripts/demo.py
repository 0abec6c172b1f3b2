"""``make demo``: the whole flow, end to end, on this machine only.

A throwaway Kedro project in an isolated home, consent recorded with
``kedro telemetry enable``, a ``kedro run`` with a secret on its command line,
and the event as a Heap-compatible receiver on 127.0.0.1 received it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.heap_receiver import HeapReceiver  # noqa: E402
from tests.support.kedro_env import isolated_environment, kedro, make_project  # noqa: E402


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def show(result_stdout: str, result_stderr: str = "") -> None:
    for line in (result_stdout + result_stderr).strip().splitlines():
        print(f"   {line}")


def main() -> int:
    workdir = ROOT / ".demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    env = isolated_environment(workdir)

    step("Creating a throwaway project with `kedro new` (offline template)")
    project = make_project(workdir, env)
    print(f"   {project}")

    with HeapReceiver() as receiver:
        env["KEDRO_TELEMETRY_ENDPOINT"] = receiver.url
        print(f"   a Heap-compatible receiver listens on {receiver.url}")

        step("Recording consent: kedro telemetry enable")
        result = kedro("telemetry", "enable", cwd=project, env=env)
        show(result.stdout, result.stderr)

        command = ("run", "--pipeline=__default__", "--params=token=s3cret")
        step(f"Running: kedro {' '.join(command)}")
        result = kedro(*command, cwd=project, env=env)
        print(f"   exit code {result.returncode}")

        step("The event the receiver got (the detached sender delivered it)")
        events = receiver.wait_for(1, seconds=90)  # the plugin's bound
        if not events:
            print("   no event arrived within 90 s", file=sys.stderr)
            return 1
        print(json.dumps(events[0], indent=2))
        leaked = "s3cret" in json.dumps(receiver.requests)
        print(f"\n   the secret on the command line reached the receiver: {leaked}")

        step("kedro telemetry status")
        result = kedro("telemetry", "status", cwd=project, env=env)
        show(result.stdout, result.stderr)
        if receiver.violations:
            print(f"   contract violations: {receiver.violations}", file=sys.stderr)
            return 1
    return 0 if not leaked else 1


if __name__ == "__main__":
    raise SystemExit(main())
