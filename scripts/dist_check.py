"""``make dist-check``: build the sdist and wheel, install the wheel fresh, try it.

What a user gets from PyPI is the wheel, not this checkout: a module left out of
the package, a missing entry point or dependency only shows there. So this
builds both distributions (the wheel from the sdist, as ``python -m build``
does), checks their metadata with ``twine check --strict``, installs the wheel
with Kedro 1.7.0 into a new virtualenv, and runs a consented ``kedro info`` in a
fresh project against the local Heap-compatible receiver. Needs PyPI access for
the virtualenv; nothing leaves 127.0.0.1 otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kedro_telemetry import __version__  # noqa: E402
from tests.support.heap_receiver import HeapReceiver  # noqa: E402
from tests.support.kedro_env import isolated_environment, make_project, run  # noqa: E402
from tests.support.processes import Senders  # noqa: E402

KEDRO_VERSION = "1.7.0"


def step(title: str) -> None:
    print(f"== {title}", flush=True)


def checked(*argv: str | Path, cwd: Path = ROOT) -> str:
    result = run([str(a) for a in argv], cwd=cwd, env={**os.environ}, timeout=1200)
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def build(dist: Path) -> Path:
    step("Building the sdist, and the wheel from it")
    checked(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    checked(sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir())
    [wheel] = dist.glob("*.whl")
    print(f"   {wheel.name} and {next(dist.glob('*.tar.gz')).name}: twine check passed")
    return wheel


def fresh_venv(where: Path, wheel: Path) -> Path:
    step(f"Installing the wheel with kedro=={KEDRO_VERSION} into a new virtualenv")
    checked(sys.executable, "-m", "venv", where)
    python = where / "bin" / "python"
    checked(python, "-m", "pip", "install", "--quiet", wheel, f"kedro=={KEDRO_VERSION}")
    code = "import kedro_telemetry; print(kedro_telemetry.__file__)"
    location = checked(python, "-c", code, cwd=where.parent).strip()
    if not location.startswith(str(where)):
        raise SystemExit(f"kedro_telemetry came from {location}, not the wheel")
    return where / "bin" / "kedro"


def try_it(kedro: Path, root: Path) -> None:
    step("A consented `kedro info` in a fresh project, to the local receiver")
    env = isolated_environment(root)
    project = make_project(root, env)
    (project / ".telemetry").write_text("consent: true\n")
    with HeapReceiver() as receiver:
        env["KEDRO_TELEMETRY_ENDPOINT"] = receiver.url
        info = run([str(kedro), "info"], cwd=project, env=env)
        if info.returncode != 0:
            raise SystemExit(f"kedro info failed:\n{info.stderr}")
        events = receiver.wait_for(1, seconds=60)
        Senders(env).wait_until_gone()
        problems = list(receiver.violations)
        if len(events) != 1:
            problems.append(f"{len(events)} events arrived instead of 1")
        else:
            properties = events[0]["properties"]
            if properties.get("command") != "kedro info":
                problems.append(f"command was {properties.get('command')!r}")
            if properties.get("telemetry_version") != __version__:
                problems.append(f"version {properties.get('telemetry_version')!r}")
        status = run([str(kedro), "telemetry", "status"], cwd=project, env=env)
        if "Usage data is collected here" not in status.stdout:
            problems.append(f"status said: {status.stdout}{status.stderr}")
    if problems:
        raise SystemExit("the installed wheel misbehaved:\n" + "\n".join(problems))
    print("   one event arrived, as sent by the installed wheel; status agrees")


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kedro-telemetry-dist-") as temporary:
        workdir = Path(temporary)
        wheel = build(workdir / "dist")
        kedro = fresh_venv(workdir / "venv", wheel)
        try_it(kedro, workdir / "try")
    step(f"All good, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
