"""Fixtures: an isolated home, a real Kedro project, a real Heap receiver.

Tests that start real processes carry the ``slow`` marker, and the rest run in
this process: ``pytest -m "not slow"`` is the in-process tier, a few seconds.
``pytest_runtest_call`` below holds every test to its marker.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import settings

from kedro_telemetry import files
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.in_process import Terminal
from tests.support.kedro_env import (
    isolated_environment,
    kedro_without_hooks,
    make_project,
    state_dir_of,
)
from tests.support.outbox import assert_nothing_sent
from tests.support.processes import Senders


@contextlib.contextmanager
def _shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A directory every xdist worker of this run shares, held by one at a time.

    What is made there once (the project, the baselines) serves both workers.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory, above each worker's own
    with (base / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield base / name


@pytest.fixture(scope="session", autouse=True)
def no_machine_policy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """In-process tests never read this machine's real policy file either."""
    policy = tmp_path_factory.mktemp("etc") / "kedro" / "telemetry.yml"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(files.POLICY_FILE_VARIABLE, str(policy))
        yield


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make_project`` once per run; each test works in a copy (``project``)."""
    with _shared(tmp_path_factory, "template") as root:
        project = root / "spaceship-log"
        if not (root / "ready").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            make_project(root, isolated_environment(root))
            (root / "ready").touch()
    return project


@pytest.fixture(scope="session")
def baseline(
    project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``kedro *args`` with the plugin's hooks blocked, in a pristine project.

    Each command runs once per run: Kedro reads no file of the plugin, so one
    baseline serves every test that changes only the plugin's files (consent
    files, the outbox, the plugin's environment variables).
    """

    def of(*args: str) -> subprocess.CompletedProcess[str]:
        with _shared(tmp_path_factory, "baseline") as root:
            answers = root / "answers"
            answer = answers / (hashlib.sha256("\0".join(args).encode()).hexdigest())
            if not answer.exists():
                if not (root / "spaceship-log").exists():
                    shutil.copytree(project_template, root / "spaceship-log")
                env = isolated_environment(root)
                result = kedro_without_hooks(*args, cwd=root / "spaceship-log", env=env)
                answers.mkdir(exist_ok=True)
                kept = [result.returncode, result.stdout, result.stderr]
                answer.write_text(json.dumps(kept))
            returncode, stdout, stderr = json.loads(answer.read_text())
        return subprocess.CompletedProcess(list(args), returncode, stdout, stderr)

    return of


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_environment(tmp_path)


@pytest.fixture
def project(tmp_path: Path, project_template: Path) -> Path:
    destination = tmp_path / "spaceship-log"
    shutil.copytree(project_template, destination)
    return destination


@pytest.fixture
def in_process_home(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """This process in the test's isolated environment, for in-process tests.

    The plugin reads ``os.environ`` (the home, the XDG directories, the opt-out
    and CI variables), so it becomes ``env``; no consent decision is
    remembered from before. Set variables with ``monkeypatch`` afterwards.
    """
    for name in list(os.environ):
        if name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


@pytest.fixture
def in_home(
    in_process_home: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A directory standing for a project, in this process's isolated home.

    ``consent.decide`` only reads its files, so no Kedro project is copied.
    It is the current directory: a YAML tag that ran a shell command would
    leave its marker there.
    """
    place = tmp_path / "work" / "spaceship-log"
    place.mkdir(parents=True)
    monkeypatch.chdir(place)
    return place


@pytest.fixture
def person_says_yes(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """The far edge only: a terminal on both ends, and a person who says yes.

    Called in the test's body (pytest sets its own streams between a fixture
    and the test); returns the list of the questions asked, as worded.
    """
    asked: list[str] = []

    def confirm(text: str, **options: object) -> bool:
        asked.append(text)
        return True

    def at_terminal() -> list[str]:
        monkeypatch.setattr(sys, "stdin", Terminal())
        monkeypatch.setattr(sys, "stderr", Terminal())
        monkeypatch.setattr(click, "confirm", confirm)
        return asked

    return at_terminal


@pytest.fixture
def consented(project: Path) -> Path:
    """The project, with its ``.telemetry`` saying yes."""
    give_consent(project)
    return project


def _serving(running: HeapReceiver, env: dict[str, str]) -> Iterator[HeapReceiver]:
    """``running`` as the endpoint of ``env``, held to Heap's contract at the end."""
    with running:
        env["KEDRO_TELEMETRY_ENDPOINT"] = running.url
        yield running
    assert running.violations == [], "the plugin sent something Heap would refuse"


@pytest.fixture
def receiver(env: dict[str, str]) -> Iterator[HeapReceiver]:
    yield from _serving(HeapReceiver(), env)


@pytest.fixture(scope="module")
def quiet_receiver() -> Iterator[HeapReceiver]:
    """One receiver for a module's cases that must send nothing (no restart each)."""
    with HeapReceiver() as running:
        yield running
    assert running.requests == []
    assert running.violations == []


@pytest.fixture
def silent(
    env: dict[str, str], quiet_receiver: HeapReceiver, state_dir: Path
) -> Callable[[], None]:
    """Sends this test's commands to ``quiet_receiver``; returns the silence check.

    The check: nothing sent, nothing queued, not even the plugin's state
    directory made (without consent nothing is written to the home).
    """
    env["KEDRO_TELEMETRY_ENDPOINT"] = quiet_receiver.url

    def check() -> None:
        assert_nothing_sent(quiet_receiver, state_dir)
        assert not state_dir.exists(), sorted(os.listdir(state_dir))

    return check


@pytest.fixture
def home(env: dict[str, str]) -> Path:
    return Path(env["HOME"])


@pytest.fixture
def state_dir(env: dict[str, str]) -> Path:
    return state_dir_of(env)


@pytest.fixture
def senders(env: dict[str, str]) -> Iterator[Senders]:
    """This test's detached senders; any still running at the end are stopped."""
    tracked = Senders(env)
    yield tracked
    tracked.stop_all()


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


@contextlib.contextmanager
def _counting_process_starts() -> Iterator[list[int]]:
    """Count the ``subprocess.Popen`` objects made meanwhile (in ``count[0]``)."""
    count = [0]
    original = subprocess.Popen.__init__

    def counting(self: subprocess.Popen[bytes], *args: Any, **kwargs: Any) -> None:
        count[0] += 1
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = counting  # type: ignore[method-assign, assignment]
    try:
        yield count
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test that starts processes is marked ``slow``; one that starts none is not.

    A process counts when the test body (fixture set-up aside) made a
    ``subprocess.Popen``, or waited for a child that used CPU (a pseudo-terminal
    forks without ``Popen``). Counting the ``Popen`` objects, not only the
    children's CPU, keeps a short ``git`` call from passing unseen.
    """
    before = _children_cpu()
    with _counting_process_starts() as starts:
        result = yield
    started_processes = starts[0] > 0 or _children_cpu() > before
    marked = item.get_closest_marker("slow") is not None
    if started_processes and not marked:
        raise AssertionError("this test starts processes: mark it @pytest.mark.slow")
    if marked and not started_processes:
        raise AssertionError("this test starts no process: drop its slow marker")
    return result


# CI gets a fixed sequence of generated examples, so a run there is
# reproducible; local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
