"""The three interpreters the benchmark compares, each in its own virtualenv.

A: Kedro alone (the baseline), B: Kedro with kedro-telemetry 0.9.0 from PyPI,
C: Kedro with this checkout. Building them takes minutes, so each keeps a stamp
of what it was built from and is rebuilt only when that changes; for C the stamp
includes a hash of the plugin's sources, so a benchmark never measures stale code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "KEDRO",
    "LABELS",
    "Venv",
    "build_all",
    "locate",
    "run_build_step",
    "source_hash",
]

KEDRO = "kedro==1.7.0"
OLD_TELEMETRY = "kedro-telemetry==0.9.0"
_STAMP = ".bench-stamp.json"
LABELS = {"A": "Kedro alone", "B": "0.9.0", "C": "this project"}
_PIP_TIMEOUT = 1200.0


@dataclass(frozen=True)
class Venv:
    """One built virtualenv and the label the results table gives it."""

    key: str
    label: str
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def kedro(self) -> Path:
        return self.path / "bin" / "kedro"


def build_all(bench_dir: Path, repo: Path) -> dict[str, Venv]:
    """Build (or reuse) venvs A, B and C under ``bench_dir/venvs``."""
    plans = {
        # Kedro 1.7 depends on kedro-telemetry, so the baseline removes it again.
        "A": [["install", KEDRO], ["uninstall", "kedro-telemetry"]],
        "B": [["install", KEDRO, OLD_TELEMETRY]],
        "C": [["install", KEDRO, str(repo)]],
    }
    venvs = locate(bench_dir)
    for key, steps in plans.items():
        _ensure(venvs[key], steps)
    _refresh_project(venvs["C"], repo)
    return venvs


def locate(bench_dir: Path) -> dict[str, Venv]:
    """The venvs by key, built or not (the measuring half must not run pip)."""
    return {
        key: Venv(key, label, bench_dir / "venvs" / key)
        for key, label in LABELS.items()
    }


def _ensure(venv: Venv, steps: list[list[str]]) -> None:
    """Reuse ``venv`` when its stamp matches ``steps``, else build it from scratch."""
    stamp = _read_stamp(venv)
    if stamp.get("steps") == steps:
        return
    print(
        f"building venv {venv.key} ({venv.label}) in {venv.path} ...", file=sys.stderr
    )
    shutil.rmtree(venv.path, ignore_errors=True)
    run_build_step([sys.executable, "-m", "venv", str(venv.path)])
    for step in steps:
        if step[0] == "uninstall":
            _pip(venv, "uninstall", "--yes", *step[1:])
        else:
            _pip(venv, "install", "--quiet", *step[1:])
    _write_stamp(venv, {"steps": steps})


def _refresh_project(venv: Venv, repo: Path) -> None:
    """Reinstall this checkout into ``venv`` when its sources changed since.

    The install is not editable on purpose: an editable install adds an import
    hook to every process, which would bill the plugin for a cost users never pay.
    """
    stamp = _read_stamp(venv)
    sources = source_hash(repo)
    if stamp.get("sources") == sources:
        return
    print("installing this checkout into venv C ...", file=sys.stderr)
    # An earlier in-tree build's ``build/`` would bring back removed modules.
    shutil.rmtree(repo / "build", ignore_errors=True)
    _pip(venv, "install", "--quiet", "--no-deps", "--force-reinstall", str(repo))
    _write_stamp(venv, {**stamp, "sources": sources})


def _read_stamp(venv: Venv) -> dict[str, object]:
    try:
        content = json.loads((venv.path / _STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _write_stamp(venv: Venv, stamp: dict[str, object]) -> None:
    (venv.path / _STAMP).write_text(json.dumps(stamp))


def _pip(venv: Venv, *args: str) -> None:
    run_build_step([str(venv.python), "-m", "pip", *args])


def source_hash(repo: Path) -> str:
    """A digest of what ``pip install repo`` would install, to detect changes."""
    digest = hashlib.sha256()
    files = sorted((repo / "kedro_telemetry").rglob("*.py"))
    files += [repo / "setup.cfg", repo / "setup.py", repo / "pyproject.toml"]
    for path in files:
        digest.update(str(path.relative_to(repo)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_build_step(command: list[str]) -> None:
    """Run a build step; a failure stops the benchmark with pip's own message."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=_PIP_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
