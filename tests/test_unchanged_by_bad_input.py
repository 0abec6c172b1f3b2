"""Bad input never changes the ``kedro`` command, nor makes the plugin send.

What people leave behind, each with a real ``kedro``: broken consent files,
read-only projects, homes that cannot be made or do not exist, a uid with no
name, odd ``pyproject.toml`` files. The command keeps the baseline's exit code
and stdout (the same command with the plugin's hooks blocked, timestamps and
durations aside), prints no traceback, and sends no more than it may.
``tests/BAD_INPUT.md`` is the table of what the plugin does in every case; a
failing step inside the plugin: test_unchanged_by_a_fault.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.baseline import (
    BASELINE_SCRIPT,
    PYTHON,
    Result,
    assert_unchanged_by_plugin,
    normalised,
)
from tests.support.consent_files import (
    PYTHON_TAG_MARKER,
    bad_file,
    give_consent,
    snapshot,
)
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import (
    KEDRO_EXECUTABLE,
    isolated_environment,
    kedro,
    kedro_without_hooks,
    run,
)
from tests.support.processes import settle
from tests.support.restrictions import (
    UidRunner,
    in_read_only_project,
    needs_read_only_mount,
    room_for_another_uid,
)
from tests.support.snippets import PUBLIC_API, api_answers

pytestmark = pytest.mark.slow  # every test runs a real kedro


# Broken consent files, read-only projects ------------------------------------


@pytest.mark.parametrize(
    ("name", "command"),
    # A pipe used to hang ``kedro`` forever; a YAML tag must never run.
    [("named-pipe", "run"), ("python-tag", "info")],
)
def test_a_broken_project_consent_file_changes_nothing(
    project: Path,
    env: dict[str, str],
    silent: Callable[[], None],
    baseline: Callable[[str], Result],
    *,
    name: str,
    command: str,
) -> None:
    consent_file = project / ".telemetry"
    bad_file(name).make(consent_file)
    before = snapshot(consent_file)

    result = kedro(command, cwd=project, env=env, timeout=60)

    assert_unchanged_by_plugin(result, baseline(command))
    silent()
    assert snapshot(consent_file) == before
    assert not (project / PYTHON_TAG_MARKER).exists()


@needs_read_only_mount
def test_a_read_only_project_changes_nothing(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    baseline = run(
        in_read_only_project(project, [PYTHON, BASELINE_SCRIPT, "run"]),
        cwd=project,
        env=env,
    )
    result = run(
        in_read_only_project(project, [KEDRO_EXECUTABLE, "run"]), cwd=project, env=env
    )

    assert not list(project.rglob("__pycache__")), "the project was not read-only"
    assert_unchanged_by_plugin(result, baseline)
    silent()
    assert not (project / ".telemetry").exists()


# Homes that cannot be used ---------------------------------------------------


def _without_xdg(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if not name.startswith("XDG_")}


def test_a_home_that_cannot_be_created_changes_nothing(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """``HOME`` lies under a regular file, and no XDG variable points elsewhere.

    With the project's yes: the event cannot be queued, the command is Kedro's.
    """
    occupied = tmp_path / "occupied"
    occupied.write_text("a file where the home's parent should be\n")
    home_env = {**_without_xdg(env), "HOME": str(occupied / "home")}

    baseline = kedro_without_hooks("run", cwd=consented, env=home_env)
    result = kedro("run", cwd=consented, env=home_env)
    assert_unchanged_by_plugin(result, baseline)

    assert receiver.wait_for(1, seconds=1) == []
    assert receiver.requests == []
    assert occupied.read_text() == "a file where the home's parent should be\n"


@dataclass
class NamelessUser:
    """A uid with no passwd entry, and a project and home that belong to it."""

    runner: UidRunner
    root: Path
    project: Path
    env: dict[str, str]


@pytest.fixture
def nameless(project_template: Path, receiver: HeapReceiver) -> Iterator[NamelessUser]:
    with room_for_another_uid("kedro-telemetry-nameless-") as (runner, root):
        project = shutil.copytree(project_template, root / "spaceship-log")
        env = isolated_environment(root)
        env["KEDRO_TELEMETRY_ENDPOINT"] = receiver.url
        for name in ("USER", "LOGNAME", "LNAME", "USERNAME"):
            env.pop(name, None)
        runner.give(root)
        yield NamelessUser(runner, root, project, env)


def consent_as(nameless: NamelessUser) -> None:
    """The project's yes, in a file that belongs to the nameless uid."""
    give_consent(nameless.project)
    consent_file = nameless.project / ".telemetry"
    os.lchown(consent_file, nameless.runner.uid, nameless.runner.uid)


def test_a_uid_without_a_user_name_is_reported_as_anonymous(
    nameless: NamelessUser, receiver: HeapReceiver
) -> None:
    consent_as(nameless)

    baseline = nameless.runner.kedro_without_hooks(
        "info", cwd=nameless.project, env=nameless.env
    )
    result = nameless.runner.kedro("info", cwd=nameless.project, env=nameless.env)
    assert_unchanged_by_plugin(result, baseline)
    # That uid cannot start this environment's interpreter again for the detached
    # sender (it lives under root's private home): deliver what it queued as root.
    flushed = kedro(
        "telemetry", "flush", "--timeout", "10", cwd=nameless.root, env=nameless.env
    )
    assert flushed.returncode == 0, flushed.stderr

    [event] = receiver.wait_for(1)
    assert event["properties"]["username"] == "anonymous"
    assert event["properties"]["command"] == "kedro info"


def test_no_home_at_all_changes_nothing_and_the_api_answers_false(
    nameless: NamelessUser, receiver: HeapReceiver
) -> None:
    """``HOME`` and the XDG variables unset, and no passwd entry to fall back on.

    With the project's yes: the event cannot be queued, the command is Kedro's,
    and another plugin's ``send_event`` answers ``False`` rather than raise.
    """
    env = {
        name: value
        for name, value in _without_xdg(nameless.env).items()
        if name != "HOME"
    }
    consent_as(nameless)

    baseline = nameless.runner.kedro_without_hooks("run", cwd=nameless.project, env=env)
    result = nameless.runner.kedro("run", cwd=nameless.project, env=env)
    api = nameless.runner.run([PYTHON, "-c", PUBLIC_API], cwd=nameless.project, env=env)

    assert_unchanged_by_plugin(result, baseline)
    assert api.returncode == 0, api.stderr
    assert api_answers(api.stdout) == ["False", "False"]
    assert receiver.wait_for(1, seconds=1) == []
    assert receiver.requests == []


# pyproject.toml that cannot be read as Kedro expects -------------------------


def test_a_pyproject_that_is_not_toml_fails_in_kedro_before_any_hook(
    project: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """Kedro itself refuses the file while building its CLI: no hook is reached."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.kedro\nbroken = \n")
    give_consent(project)

    baseline = kedro_without_hooks("info", cwd=project, env=env)
    result = kedro("info", cwd=project, env=env)

    assert result.returncode == baseline.returncode != 0
    assert normalised(result.stdout) == normalised(baseline.stdout)
    assert result.stderr.count("Traceback") == baseline.stderr.count("Traceback")
    assert "kedro_telemetry" not in result.stderr
    silent()


def test_a_pyproject_that_is_not_text_is_no_project(
    consented: Path, env: dict[str, str], silent: Callable[[], None]
) -> None:
    """Kedro cannot decode it, so it sees no project; the project's consent is moot.

    ``kedro info`` works outside a project too, so the plugin's hooks do run.
    """
    (consented / "pyproject.toml").write_bytes(b"[tool.kedro]\n\xff\xfe\x00garbage\n")

    baseline = kedro_without_hooks("info", cwd=consented, env=env)
    result = kedro("info", cwd=consented, env=env)

    assert_unchanged_by_plugin(result, baseline)
    silent()


ODD_TYPES = 'project_name = 42\ntools = 7\nexample_pipeline = ["x", 1]\n'


def _with_odd_types(project: Path) -> None:
    """Valid TOML, accepted by Kedro, with numbers and lists where text is expected."""
    pyproject = project / "pyproject.toml"
    lines = [
        line
        for line in pyproject.read_text().splitlines()
        if not line.startswith(("project_name", "tools", "example_pipeline"))
    ]
    pyproject.write_text("\n".join(lines) + "\n" + ODD_TYPES)


def test_a_pyproject_with_odd_types_still_yields_its_one_event(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """Kedro runs such a project, so the plugin reports it: text where text is due."""
    _with_odd_types(project)
    give_consent(project)

    baseline = kedro_without_hooks("run", cwd=project, env=env)
    result = kedro("run", cwd=project, env=env)

    assert_unchanged_by_plugin(result, baseline)
    events = receiver.wait_for(1)
    settle(env)  # every sender has exited: a second event would be here by now
    assert len(receiver.accepted) == 1, json.dumps(receiver.accepted)
    properties = events[0]["properties"]
    assert properties["project_name"] == hashlib.sha256(b"42").hexdigest()
    assert properties["number_of_nodes"] == 9
