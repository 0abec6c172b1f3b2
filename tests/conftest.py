"""Fixtures: an isolated home, a real Kedro project, a real Heap receiver."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from kedro_telemetry import files
from tests.support.delivery_tools import Senders, TimedReceiver
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import isolated_environment, make_project


@pytest.fixture(scope="session", autouse=True)
def no_machine_policy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """In-process tests never read this machine's real policy file either."""
    policy = tmp_path_factory.mktemp("etc") / "kedro" / "telemetry.yml"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(files.POLICY_FILE_VARIABLE, str(policy))
        yield


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template")
    return make_project(root, isolated_environment(root))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_environment(tmp_path)


@pytest.fixture
def project(tmp_path: Path, project_template: Path) -> Path:
    destination = tmp_path / "spaceship-log"
    shutil.copytree(project_template, destination)
    return destination


@pytest.fixture
def receiver(env: dict[str, str]) -> Iterator[HeapReceiver]:
    with HeapReceiver() as running:
        env["KEDRO_TELEMETRY_ENDPOINT"] = running.url
        yield running
    assert running.violations == [], "the plugin sent something Heap would refuse"


@pytest.fixture
def home(env: dict[str, str]) -> Path:
    return Path(env["HOME"])


@pytest.fixture
def state_dir(env: dict[str, str]) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "kedro-telemetry"


@pytest.fixture
def senders(env: dict[str, str]) -> Iterator[Senders]:
    """This test's detached senders; any still running at the end are stopped."""
    tracked = Senders(env)
    yield tracked
    tracked.stop_all()


@pytest.fixture
def timed_receiver(env: dict[str, str]) -> Iterator[TimedReceiver]:
    """Like ``receiver``, also noting arrival times and able to answer slowly."""
    with TimedReceiver() as running:
        env["KEDRO_TELEMETRY_ENDPOINT"] = running.url
        yield running
    assert running.violations == [], "the plugin sent something Heap would refuse"


# CI gets a fixed sequence of generated examples, so a run there is
# reproducible; local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
