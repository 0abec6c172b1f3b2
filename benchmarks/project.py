"""The Kedro project the commands run in, and the isolated home each venv uses.

One template is made with ``kedro new`` from venv A (offline: the starter is
bundled with Kedro); every benchmark run then gives each venv a fresh copy and
a fresh home, so that no venv sees files another one wrote (0.9.0, for one,
writes a project id into ``pyproject.toml`` and a user id into the home).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from venvs import Venv

__all__ = ["PACKAGE", "make_template", "prepare_workspace", "scrubbed_environment"]

PACKAGE = "bench_project"
_PROJECT_DIR = "bench-project"
_TEMPLATE_STAMP = ".bench-template"

_PIPELINE_REGISTRY = '''\
"""Two nodes, so that ``kedro run`` has something to run and count."""

from kedro.pipeline import Pipeline, node


def double(start: int) -> int:
    return start * 2


def total(doubled: int, start: int) -> int:
    return doubled + start


def register_pipelines() -> dict[str, Pipeline]:
    pipeline = Pipeline(
        [
            node(double, "params:start", "doubled", name="double"),
            node(total, ["doubled", "params:start"], "total", name="total"),
        ]
    )
    return {"__default__": pipeline}
'''

# Variables that change what Kedro or either plugin does, or where requests go;
# the scenarios set the ones they need.
_SCRUBBED = (
    "DO_NOT_TRACK",
    "KEDRO_DISABLE_TELEMETRY",
    "KEDRO_TELEMETRY_ENDPOINT",
    "KEDRO_TELEMETRY_APP_ID",
    "KEDRO_TELEMETRY_DEBUG",
    "KEDRO_TELEMETRY_NO_WAIT",
    "KEDRO_LOGGING_CONFIG",
    "HEAP_APPID_DEV",
    "GITHUB_REPOSITORY_OWNER",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    # Users' Pythons cache bytecode: so must the project's modules here.
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "SSL_CERT_DIR",
    "CI",
    "GITHUB_ACTION",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BITBUCKET_BUILD_NUMBER",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "CIRCLECI",
    "TRAVIS",
    "BUILDKITE",
    "TF_BUILD",
    "TEAMCITY_VERSION",
)


def scrubbed_environment(home: Path) -> dict[str, str]:
    """This process's environment minus telemetry and proxy settings, homed at ``home``.

    Proxies go too: a request sent to a proxy would never reach the local servers.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _SCRUBBED and "proxy" not in name.lower()
    }
    for name, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env.update({"NO_COLOR": "1", "COLUMNS": "120", "PYTHONWARNINGS": "ignore"})
    return env


def make_template(bench_dir: Path, venv_a: Venv) -> Path:
    """``kedro new`` once, then the two-node pipeline; reused while its stamp holds."""
    parent = bench_dir / "template"
    project = parent / _PROJECT_DIR
    if (project / _TEMPLATE_STAMP).exists():
        return project
    shutil.rmtree(parent, ignore_errors=True)
    parent.mkdir(parents=True)
    env = scrubbed_environment(parent / "home")
    command = [
        str(venv_a.kedro), "new", "--name", "bench-project",
        "--tools", "none", "--example", "no", "--telemetry", "yes",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        cwd=parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kedro new failed:\n{result.stdout}\n{result.stderr}")
    (project / "src" / PACKAGE / "pipeline_registry.py").write_text(_PIPELINE_REGISTRY)
    (project / "conf" / "base" / "parameters.yml").write_text("start: 3\n")
    (project / ".telemetry").write_text("consent: true\n")
    (project / _TEMPLATE_STAMP).write_text("made by benchmarks/project.py\n")
    return project


def prepare_workspace(bench_dir: Path, template: Path, key: str) -> tuple[Path, Path]:
    """A fresh copy of the project and a fresh home for venv ``key``."""
    root = bench_dir / "work" / key
    shutil.rmtree(root, ignore_errors=True)
    project = root / _PROJECT_DIR
    shutil.copytree(template, project, ignore=shutil.ignore_patterns("__pycache__"))
    home = root / "home"
    home.mkdir(parents=True)
    return project, home
