"""The compatibility tier: the essentials on every supported Kedro and Python.

One virtualenv per target, under ``.compat/``: the plugin's wheel, the pinned
Kedro, pytest and hypothesis, installed in one pip call, so that pip's resolver
has to keep the pinned Kedro (a wheel that asked for another Kedro would fail
here). Then ``tests/compat/essentials.py`` runs with that virtualenv's own
interpreter. An interpreter the machine lacks is skipped with one line.

Usage: ``python scripts/compat.py`` (``make compat``); exit code 1 if a target fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".compat"
ESSENTIALS = "tests/compat/essentials.py"
TEST_TOOLS = ("pytest>=7", "hypothesis>=6.100")


@dataclass(frozen=True)
class Target:
    python: str  # "3.11"
    kedro: str  # "0.19.15"

    @property
    def name(self) -> str:
        return f"py{self.python}-kedro{self.kedro}"


TARGETS = (
    Target("3.11", "0.18.14"),
    Target("3.11", "0.19.15"),
    Target("3.11", "1.0.0"),
    Target("3.10", "1.7.0"),
    Target("3.12", "1.7.0"),
    Target("3.13", "1.7.0"),
)


def find_interpreter(version: str) -> str | None:
    """pyenv's build of ``version``, else ``python<version>`` on PATH, if it runs."""
    candidates = sorted(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python"))
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys, venv; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(
            tuple(map(int, version.split(".")))
        ):
            return candidate
    return None


def pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "-qq", "--disable-pip-version-check", *args],
        check=True,
    )


def build_wheel() -> Path:
    """The plugin as users get it: a wheel, not this source tree."""
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # A ``build/`` left by an earlier in-tree build would slip modules removed
    # since into the wheel.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    pip(Path(sys.executable), "wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT))
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = dist.glob("kedro_telemetry-*.whl")
    return wheel


def prepare(target: Target, interpreter: str, wheel: Path) -> Path:
    """A fresh virtualenv with the wheel, the pinned Kedro and the test tools."""
    venv = WORK / target.name
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip(python, "install", str(wheel), f"kedro=={target.kedro}", *TEST_TOOLS)
    pip(python, "check")
    return python


def run_essentials(python: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    command = [str(python), "-m", "pytest", ESSENTIALS, "-q", "-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    WORK.mkdir(exist_ok=True)
    wheel = build_wheel()
    failed: list[str] = []
    for target in TARGETS:
        interpreter = find_interpreter(target.python)
        if interpreter is None:
            print(
                f"compat: SKIP {target.name}: no Python {target.python} on this machine"
            )
            continue
        print(f"compat: {target.name} ({interpreter})", flush=True)
        started = time.monotonic()
        try:
            code = run_essentials(prepare(target, interpreter, wheel))
        except subprocess.CalledProcessError as error:
            print(f"compat: {target.name}: setup failed: {error}")
            code = 1
        took = time.monotonic() - started
        print(
            f"compat: {target.name}: {'ok' if code == 0 else 'FAILED'} ({took:.0f} s)"
        )
        if code != 0:
            failed.append(target.name)
    if failed:
        print(f"compat: failed: {', '.join(failed)}")
        return 1
    print("compat: every available target passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
