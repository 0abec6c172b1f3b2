"""Real ``kedro`` processes in an isolated home, and a real project to run them in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kedro_telemetry import environment, files

__all__ = [
    "KEDRO_EXECUTABLE",
    "PACKAGE",
    "PIPELINES",
    "PROJECT_NAME",
    "add_pipeline_and_catalog",
    "isolated_environment",
    "kedro",
    "kedro_has_validators",
    "kedro_without_hooks",
    "kedro_without_plugin",
    "make_project",
    "modules_at_exit",
    "python_code",
    "python_process",
    "run",
    "state_dir_of",
]

PROJECT_NAME = "Spaceship Log"
PACKAGE = "spaceship_log"
_SUPPORT = Path(__file__).parent
# The test project's modular pipelines, three nodes each.
PIPELINES = ("data_processing", "feature_engineering", "reporting")
KEDRO_EXECUTABLE = str(Path(sys.executable).with_name("kedro"))

# Every variable the plugin reads (CI runs these tests with CI=true), and
# Kedro's logging switch; tests set the ones they want.
_CLEARED = (
    *environment.OPT_OUT_VARIABLES,
    *environment.CI_VARIABLES,
    environment.ENDPOINT_VARIABLE,
    environment.APP_ID_VARIABLE,
    environment.LEGACY_APP_ID_VARIABLE,
    environment.MAINTAINERS_CI_VARIABLE,
    files.POLICY_FILE_VARIABLE,
    environment.DEBUG_VARIABLE,
    environment.REPORTED_VARIABLE,
    environment.NO_WAIT_VARIABLE,
    environment.SENDER_IDLE_VARIABLE,
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
    # The machine's own policy, if any, must not decide for a test.
    env[files.POLICY_FILE_VARIABLE] = str(root / "etc" / "kedro" / "telemetry.yml")
    # Nothing may leave this machine: an unset endpoint would mean Heap itself.
    env["KEDRO_TELEMETRY_ENDPOINT"] = "http://127.0.0.1:9/unset-endpoint"
    # A sender stays a second for the next event, not a minute: each test's
    # senders are gone soon after its last command (``settle``).
    env[environment.SENDER_IDLE_VARIABLE] = "1"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    env["PYTHONWARNINGS"] = "ignore"
    return env


def state_dir_of(env: dict[str, str]) -> Path:
    """The plugin's state directory (outbox, lock, logs) in ``env``'s home."""
    return Path(env["XDG_STATE_HOME"]) / "kedro-telemetry"


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


def python_process(
    code: str, *, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    """Start ``python -c code`` that lives on, talking through stdin and stdout.

    For a process like a notebook kernel: the test reads what it prints and
    writes a line whenever it may go on.
    """
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


# Kedro's own main, in a real process; the probe runs at exit, after every hook.
_MODULES_PROBE = """
import atexit, json, sys
atexit.register(
    lambda: print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr)
)
sys.argv = ["kedro", *json.loads(sys.argv[1])]
from kedro.framework.cli.cli import main
main()
"""


def modules_at_exit(
    *args: str, cwd: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``kedro *args`` and return it with the modules it had imported at exit."""
    import json

    argv = [sys.executable, "-c", _MODULES_PROBE, json.dumps(list(args))]
    result = run(argv, cwd=cwd, env=env)
    [line] = [line for line in result.stderr.splitlines() if line.startswith("MODULES")]
    return result, set(json.loads(line.removeprefix("MODULES ")))


def kedro_without_hooks(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The same command with the plugin's hooks blocked: the baseline."""
    argv = [sys.executable, str(_SUPPORT / "kedro_without_hooks.py"), *args]
    return run(argv, cwd=cwd, env=env, timeout=timeout)


def kedro_has_validators() -> bool:
    """Whether the installed Kedro reads ``validator:`` in the catalog (1.6+)."""
    from kedro import __version__ as version

    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (1, 6)


def kedro_without_plugin(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The same command as if the plugin were not installed: no hooks, no commands."""
    argv = [sys.executable, str(_SUPPORT / "kedro_without_plugin.py"), *args]
    return run(argv, cwd=cwd, env=env, timeout=timeout)


def make_project(parent: Path, env: dict[str, str]) -> Path:
    """``kedro new`` (offline template), plus pipelines, a catalog and parameters.

    Three modular pipelines of three nodes each, found by ``find_pipelines()``
    (four registered with ``__default__``, which holds all nine nodes); two
    datasets, one of the project's own class, one with the project's own
    validator.
    """
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
    add_pipeline_and_catalog(project)
    return project


def add_pipeline_and_catalog(project: Path) -> None:
    """The pipelines, the catalog and the parameters ``make_project`` describes.

    Kedro before 1.6 has no dataset validators and refuses the ``validator:``
    key, so the compatibility tier's older Kedros get the catalog without it.
    """
    package = project / "src" / PACKAGE
    shutil.copy(_SUPPORT / "project_files" / "pipeline_registry.py", package)
    shutil.copytree(
        _SUPPORT / "project_files" / "pipelines",
        package / "pipelines",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(_SUPPORT / "project_files" / "notes.py", package)
    catalog = (_SUPPORT / "project_files" / "catalog.yml").read_text()
    if not kedro_has_validators():
        catalog = "".join(
            line
            for line in catalog.splitlines(keepends=True)
            if not line.strip().startswith("validator:")
        )
    (project / "conf" / "base" / "catalog.yml").write_text(catalog)
    (project / "conf" / "base" / "parameters.yml").write_text("start: 3\n")
