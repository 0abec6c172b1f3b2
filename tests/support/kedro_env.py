"""Real ``kedro`` processes in an isolated home, and a real project to run them in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kedro_telemetry import environment

__all__ = [
    "KEDRO_EXECUTABLE",
    "PACKAGE",
    "PROJECT_NAME",
    "isolated_environment",
    "kedro",
    "kedro_without_hooks",
    "make_project",
    "python_code",
    "run",
]

PROJECT_NAME = "Spaceship Log"
PACKAGE = "spaceship_log"
_SUPPORT = Path(__file__).parent
KEDRO_EXECUTABLE = str(Path(sys.executable).with_name("kedro"))

# Every variable the plugin reads (CI runs these tests with CI=true), and
# Kedro's logging switch; tests set the ones they want.
_CLEARED = (
    *environment.OPT_OUT_VARIABLES,
    *environment.CI_VARIABLES,
    environment.ENDPOINT_VARIABLE,
    environment.APP_ID_VARIABLE,
    environment.DEBUG_VARIABLE,
    environment.NO_WAIT_VARIABLE,
    "KEDRO_LOGGING_CONFIG",
)


def isolated_environment(root: Path) -> dict[str, str]:
    """An environment whose home and XDG directories are under ``root``."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    for name, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "home/.config"),
        ("XDG_STATE_HOME", "home/.local/state"),
        ("XDG_CACHE_HOME", "home/.cache"),
        ("XDG_DATA_HOME", "home/.local/share"),
    ):
        path = root / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    # Nothing may leave this machine: an unset endpoint would mean Heap itself.
    env["KEDRO_TELEMETRY_ENDPOINT"] = "http://127.0.0.1:9/unset-endpoint"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float = 180,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    """A process with no terminal (unless ``stdin`` is given), its output as text."""
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **options,
    )


def kedro(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the real ``kedro`` command."""
    return run([KEDRO_EXECUTABLE, *args], cwd=cwd, env=env, timeout=timeout)


def python_code(
    code: str, *, cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` with the test environment's interpreter."""
    return run([sys.executable, "-c", code], cwd=cwd, env=env, timeout=timeout)


def kedro_without_hooks(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The same command with the plugin's hooks blocked: the baseline."""
    argv = [sys.executable, str(_SUPPORT / "kedro_without_hooks.py"), *args]
    return run(argv, cwd=cwd, env=env, timeout=timeout)


def make_project(parent: Path, env: dict[str, str]) -> Path:
    """``kedro new`` (offline template), plus a small pipeline and catalog."""
    result = kedro(
        "new",
        "--name",
        PROJECT_NAME,
        "--tools",
        "none",
        "--example",
        "no",
        "--telemetry",
        "no",
        cwd=parent,
        env={**env, "DO_NOT_TRACK": "1"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"kedro new failed:\n{result.stdout}\n{result.stderr}")
    project = parent / "spaceship-log"
    (project / ".telemetry").unlink()
    package = project / "src" / PACKAGE
    shutil.copy(_SUPPORT / "project_files" / "pipeline_registry.py", package)
    shutil.copy(_SUPPORT / "project_files" / "notes.py", package)
    shutil.copy(_SUPPORT / "project_files" / "catalog.yml", project / "conf" / "base")
    (project / "conf" / "base" / "parameters.yml").write_text("start: 3\n")
    return project
