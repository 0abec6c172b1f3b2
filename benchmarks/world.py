"""The three virtualenvs compared, and the project and isolated home each runs in.

A: Kedro alone, B: Kedro with kedro-telemetry 0.9.0 from PyPI, C: Kedro with this
checkout, installed as users get it (not editable: an editable install adds an
import hook to every process, a cost users never pay). Each venv keeps a stamp of
what it was built from and is rebuilt only when that changes; C's stamp hashes the
plugin's sources, so the bench never measures stale code. The project and the
isolated homes are tests/support's: made once with ``kedro new``, then a fresh copy
and a fresh home per venv for every benchmark run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.kedro_env import isolated_environment, make_project, state_dir_of

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / ".bench"

KEDRO = "kedro==1.7.0"
LABELS = {"A": "Kedro alone", "B": "0.9.0", "C": "this project"}
_PLANS = {
    # Kedro 1.7 depends on kedro-telemetry, so the baseline removes it again.
    "A": [["install", KEDRO], ["uninstall", "kedro-telemetry"]],
    "B": [["install", KEDRO, "kedro-telemetry==0.9.0"]],
    "C": [["install", KEDRO, str(REPO)]],
}
_STAMP = ".bench-stamp.json"
# Set in a user's shell, these would change Python or where requests go.
_SCRUBBED_NAMES = (
    "VIRTUAL_ENV PYTHONPATH PYTHONHOME PYTHONDONTWRITEBYTECODE PYTHONUNBUFFERED "
    "REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR HEAP_APPID_DEV "
    "GITHUB_REPOSITORY_OWNER "
    # The tests' one-second idle: the bench measures the sender as users get it.
    "KEDRO_TELEMETRY_SENDER_IDLE"
)


@dataclass(frozen=True)
class Workspace:
    """Where one venv runs: its project copy and its isolated environment."""

    key: str
    venv: Path
    project: Path
    env: dict[str, str]

    @property
    def kedro(self) -> str:
        return str(self.venv / "bin" / "kedro")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    @property
    def state_dir(self) -> Path:
        return state_dir_of(self.env)


def venv_path(key: str) -> Path:
    return BENCH / "venvs" / key


def build_venvs() -> None:
    """Build (or reuse) venvs A, B and C; reinstall C when its sources changed."""
    for key, steps in _PLANS.items():
        venv = venv_path(key)
        if _stamp(venv).get("steps") != steps:
            print(f"building venv {key} ({LABELS[key]}) ...", file=sys.stderr)
            shutil.rmtree(venv, ignore_errors=True)
            _step(sys.executable, "-m", "venv", str(venv))
            for action, *packages in steps:
                quiet = "--yes" if action == "uninstall" else "--quiet"
                _step(f"{venv}/bin/python", "-m", "pip", action, quiet, *packages)
            (venv / _STAMP).write_text(json.dumps({"steps": steps}))
    venv, stamp, sources = venv_path("C"), _stamp(venv_path("C")), _source_hash()
    if stamp.get("sources") != sources:
        print("installing this checkout into venv C ...", file=sys.stderr)
        shutil.rmtree(REPO / "build", ignore_errors=True)  # would revive old modules
        pip = f"{venv}/bin/python -m pip install --quiet --no-deps --force-reinstall"
        _step(*pip.split(), str(REPO))
        (venv / _STAMP).write_text(json.dumps({**stamp, "sources": sources}))


def template() -> Path:
    """The consented project every workspace copies, made once with ``kedro new``."""
    parent = BENCH / "template"
    project = parent / "spaceship-log"
    if not (project / ".telemetry").exists():
        shutil.rmtree(parent, ignore_errors=True)
        project = make_project(parent, isolated_environment(parent / "home"))
        (project / ".telemetry").write_text("consent: true\n")
    return project


def workspaces(where: str = "work") -> dict[str, Workspace]:
    """A fresh project copy and home per venv, for one benchmark run."""
    found = {}
    for key in LABELS:
        root = BENCH / where / key
        shutil.rmtree(root, ignore_errors=True)
        project = root / "project"
        shutil.copytree(
            template(), project, ignore=shutil.ignore_patterns("__pycache__")
        )
        # A git work tree, as most projects are: every consented command then
        # pays for asking git whether it tracks the project's ``.telemetry``.
        subprocess.run(["git", "init", "--quiet", str(project)], check=True)
        env = isolated_environment(root)
        for name in [
            n for n in env if n in _SCRUBBED_NAMES.split() or "proxy" in n.lower()
        ]:
            del env[name]
        found[key] = Workspace(key, venv_path(key), project, env)
    return found


def _stamp(venv: Path) -> dict[str, object]:
    try:
        content = json.loads((venv / _STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _source_hash() -> str:
    """A digest of what ``pip install REPO`` would install, to detect changes."""
    digest = hashlib.sha256()
    files = sorted((REPO / "kedro_telemetry").rglob("*.py"))
    for path in [
        *files,
        *(REPO / f for f in ("setup.cfg", "setup.py", "pyproject.toml")),
    ]:
        digest.update(str(path.relative_to(REPO)).encode() + path.read_bytes())
    return digest.hexdigest()


def _step(*command: str) -> None:
    """A build step; a failure stops the benchmark with pip's own message."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"{command} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
