"""The compatibility tier's project: the same as the main suite's, on any Kedro.

``scripts/compat.py`` runs ``tests/compat/essentials.py`` with the interpreter of
each compat virtualenv; every other fixture comes from ``tests/conftest.py``.
Only making the project differs: ``kedro new`` takes other flags before Kedro 0.19.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kedro_env import (
    PACKAGE,
    PROJECT_NAME,
    add_pipeline_and_catalog,
    isolated_environment,
    kedro,
)


def kedro_version() -> tuple[int, ...]:
    from kedro import __version__

    return tuple(int(part) for part in __version__.split(".")[:2])


def _new_project(parent: Path, env: dict[str, str]) -> Path:
    """``kedro new`` from the built-in template, offline, with this Kedro's flags."""
    if kedro_version() < (0, 19):
        config = parent / "new.yml"
        config.write_text(
            f"output_dir: {parent}\nproject_name: {PROJECT_NAME}\n"
            f"repo_name: spaceship-log\npython_package: {PACKAGE}\n"
        )
        args = ["new", "--config", str(config)]
    else:
        args = ["new", "--name", PROJECT_NAME, "--tools", "none", "--example", "no"]
        args += ["--telemetry", "no"]
    result = kedro(*args, cwd=parent, env={**env, "DO_NOT_TRACK": "1"})
    if result.returncode != 0:
        raise RuntimeError(f"kedro new failed:\n{result.stdout}\n{result.stderr}")
    return parent / "spaceship-log"


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template")
    project = _new_project(root, isolated_environment(root))
    (project / ".telemetry").unlink(missing_ok=True)
    add_pipeline_and_catalog(project)
    return project
