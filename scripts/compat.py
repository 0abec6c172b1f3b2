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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".compat"
TEST_TOOLS = ("pytest>=7", "hypothesis>=6.100")
# (Python, Kedro) pairs.
TARGETS = (
    ("3.11", "0.18.14"),
    ("3.11", "0.19.15"),
    ("3.11", "1.0.0"),
    ("3.10", "1.7.0"),
    ("3.12", "1.7.0"),
    ("3.13", "1.7.0"),
)


def find_interpreter(version: str) -> str | None:
    """pyenv's build of ``version``, else ``python<version>`` on PATH, if it runs."""
    candidates = sorted(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python"))
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        code = "import sys, venv; print('%d.%d' % sys.version_info[:2])"
        probe = subprocess.run([candidate, "-c", code], capture_output=True, check=0)
        if probe.returncode == 0 and probe.stdout.decode().strip() == version:
            return candidate
    return None


def pip(python: Path | str, *args: str) -> None:
    quiet = ("-qq", "--disable-pip-version-check")
    subprocess.run([str(python), "-m", "pip", *quiet, *args], check=True)


def build_wheel() -> Path:
    """The plugin as users get it: a wheel, not this source tree."""
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # A ``build/`` left by an earlier in-tree build would slip modules removed
    # since into the wheel.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT))
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = dist.glob("kedro_telemetry-*.whl")
    return wheel


def check(name: str, interpreter: str, kedro: str, wheel: Path) -> int:
    """A fresh virtualenv with the wheel, the pinned Kedro and the test tools, and
    the essentials run there; the exit code."""
    venv = WORK / name
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip(python, "install", str(wheel), f"kedro=={kedro}", *TEST_TOOLS)
    pip(python, "check")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    essentials = ["tests/compat/essentials.py", "-q", "-p", "no:cacheprovider"]
    command = [str(python), "-m", "pytest", *essentials]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    WORK.mkdir(exist_ok=True)
    wheel = build_wheel()
    failed: list[str] = []
    for python, kedro in TARGETS:
        name = f"py{python}-kedro{kedro}"
        interpreter = find_interpreter(python)
        if interpreter is None:
            print(f"compat: SKIP {name}: no Python {python} on this machine")
            continue
        print(f"compat: {name} ({interpreter})", flush=True)
        started = time.monotonic()
        try:
            code = check(name, interpreter, kedro, wheel)
        except subprocess.CalledProcessError as error:
            print(f"compat: {name}: setup failed: {error}")
            code = 1
        took = time.monotonic() - started
        print(f"compat: {name}: {'ok' if code == 0 else 'FAILED'} ({took:.0f} s)")
        if code != 0:
            failed.append(name)
    if failed:
        print(f"compat: failed: {', '.join(failed)}")
        return 1
    print("compat: every available target passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
