"""Nothing personal leaves the machine, and nothing at all before consent.

- End to end: after consented commands carrying secrets, not one byte the
  receiver got holds the host name, the user name, the project's path, name or
  package, nor any of the secrets (how each word is masked: test_masking.py).
- Consent first: with no consent (no file and no terminal: nobody is asked)
  or with consent false, no event is built, queued or sent and no answer is
  written on any path (the CLI, the project hooks, a session run without the
  CLI, the public API), and the project's
  statistics (the 0.2.2 regression) are never even computed; a spy on every
  collecting step proves it, and the same spy with consent proves it watches.
  Both kinds of no (``consent.decide`` tells them apart, and its tests show
  that neither collects) are shared out among the paths, one real run each.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.baseline import Result, python_with_fault
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import PACKAGE, PROJECT_NAME, kedro, python_code
from tests.support.snippets import (
    CATALOG_ONLY,
    CLI,
    PUBLIC_API,
    SESSION_RUN,
    api_answers,
)
from tests.support.terminal import QUESTION

# End to end ---------------------------------------------------------------------------


def _appears(word: str, body: bytes) -> bool:
    """``word`` in ``body``; short words only as whole words, so hashes cannot match."""
    text = body.decode("utf-8").lower()
    word = word.lower()
    if len(word) >= 6:
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


@pytest.mark.slow
def test_no_byte_sent_names_the_host_the_user_the_project_or_a_secret(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    secrets = ["s3cret-key", "s3cret-value-9f2", "s3cret-command", "s3cret-flag-7"]
    run = kedro(
        "run",
        "--params=s3cret-key=s3cret-value-9f2",
        "--env",
        "local",
        "--pipeline=reporting",
        "-r",
        "SequentialRunner",
        cwd=project,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    unknown = kedro(
        "s3cret-command", "--s3cret-flag-7=s3cret-value-9f2", cwd=project, env=env
    )
    assert unknown.returncode == 2

    events = receiver.wait_for(2)
    assert len(events) == 2
    assert {event["properties"]["command"] for event in events} == {
        "kedro run --params ***** --env ***** --pipeline ***** -r *****",
        "kedro ***** *****",
    }
    personal = [
        socket.gethostname(),
        getpass.getuser(),
        # Their plain hashes too: keyed ones cannot be found by hashing guesses.
        hashlib.sha256(socket.gethostname().encode()).hexdigest(),
        hashlib.sha256(getpass.getuser().encode()).hexdigest(),
        str(project),
        str(project.resolve()),
        project.name,
        PROJECT_NAME,
        PACKAGE,
        "spaceship",
        "reporting",
        "SequentialRunner",
        *secrets,
    ]
    assert receiver.raw_bodies
    for body in receiver.raw_bodies:
        assert [word for word in personal if _appears(word, body)] == []


# Consent first ----------------------------------------------------------------------

# Every step that reads the machine or the project, builds, queues or sends.
COLLECTING_STEPS = (
    "kedro_telemetry.collect.machine:machine_properties",
    "kedro_telemetry.collect.machine:host_identity",
    "kedro_telemetry.collect.project:project_properties",
    "kedro_telemetry.collect.project:metadata_at",
    "kedro_telemetry.collect.counts:count_properties",
    "kedro_telemetry.collect.masking:mask_command",
    "kedro_telemetry.collect.event:build_event",
    "kedro_telemetry.outbox.wake:queue_event",
    "kedro_telemetry.outbox.store:Outbox.put",
    "kedro_telemetry.outbox.wake:start_sender",
)

# The project's pipelines note in a file every read made from kedro_telemetry's code;
# Kedro itself reads them too when it builds a catalog (to validate parameters).
RECORDING_REGISTRY = """
import os
import traceback

from kedro.pipeline import Pipeline, node


def double(start: int) -> int:
    return start * 2


def add(doubled: int, start: int) -> int:
    return doubled + start


class WatchedPipelines(dict):
    def _note(self, what):
        callers = [frame.filename for frame in traceback.extract_stack()]
        reader = "kedro_telemetry" if any(
            os.sep + "kedro_telemetry" + os.sep in name for name in callers
        ) else "kedro"
        with open(os.environ["REGISTRY_MARKER"], "a") as marker:
            marker.write(f"{reader} {what}\\n")

    def __getitem__(self, key):
        self._note("getitem")
        return super().__getitem__(key)

    def __len__(self):
        self._note("len")
        return super().__len__()


def register_pipelines():
    numbers = Pipeline(
        [
            node(double, "params:start", "doubled", name="double"),
            node(add, ["doubled", "params:start"], "total", name="add"),
        ]
    )
    return WatchedPipelines({"__default__": numbers, "numbers": numbers})
"""


def pipeline_readers(env: dict[str, str]) -> set[str]:
    marker = Path(env["REGISTRY_MARKER"])
    lines = marker.read_text().splitlines() if marker.exists() else []
    return {line.split()[0] for line in lines}


def steps_reached(marker: Path) -> set[str]:
    return set(marker.read_text().split()) if marker.exists() else set()


def spied(code: str, marker: Path, cwd: Path, env: dict[str, str]) -> Result:
    """``code`` behind a spy on every collecting step, noting them in ``marker``."""
    return python_with_fault("spy", marker, COLLECTING_STEPS, code, cwd=cwd, env=env)


# Both kinds of no (no file, and ``consent: false``), shared out among the paths.
NOT_CONSENTED = {
    "cli-run-no-file": (None, CLI.format(argv=["run"])),
    "cli-info-consent-false": (False, CLI.format(argv=["info"])),
    "session-run-no-file": (None, SESSION_RUN),
    "api-consent-false": (False, PUBLIC_API),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("consent", "code"), NOT_CONSENTED.values(), ids=NOT_CONSENTED.keys()
)
def test_without_consent_nothing_is_collected_on_any_path(
    project: Path,
    env: dict[str, str],
    silent: Callable[[], None],
    tmp_path: Path,
    *,
    consent: bool | None,
    code: str,
) -> None:
    """Without a terminal nobody is asked either, and no answer is written."""
    if consent is not None:
        give_consent(project, consent)
    marker = tmp_path / "steps"
    result = spied(code, marker, project, env)
    assert result.returncode == 0, result.stderr
    if code is PUBLIC_API:
        assert api_answers(result.stdout) == ["False", "False"]

    assert steps_reached(marker) == set()
    silent()
    assert QUESTION not in result.stdout + result.stderr
    assert (project / ".telemetry").exists() is (consent is not None)


@pytest.mark.slow
def test_with_consent_the_cli_spy_sees_every_step(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """The control: the same spy, with consent, sees the steps it must not see above."""
    marker = tmp_path / "steps"
    run = spied(CLI.format(argv=["run"]), marker, consented, env)
    assert run.returncode == 0, run.stderr

    assert steps_reached(marker) == set(COLLECTING_STEPS) - {
        "kedro_telemetry.collect.project:metadata_at"  # the CLI has Kedro's metadata
    }
    assert len(receiver.wait_for(1)) == 1


@pytest.mark.slow
def test_with_consent_the_session_spy_sees_the_project_read(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, tmp_path: Path
) -> None:
    """The control of the session case: a session run without the CLI collects.

    Its event, once, with the project's size: test_entry_points.py.
    """
    marker = tmp_path / "steps"
    result = spied(SESSION_RUN, marker, consented, env)
    assert result.returncode == 0, result.stderr

    [event] = receiver.wait_for(1)
    assert event["event"] == "Kedro project run"
    assert "command" not in event["properties"]
    assert "kedro_telemetry.collect.project:metadata_at" in steps_reached(marker)


@pytest.mark.slow
def test_a_consented_plugin_event_is_sent(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The control of the API case: the project's yes lets a plugin's event through."""
    result = python_code(PUBLIC_API, cwd=consented, env=env)
    assert api_answers(result.stdout) == ["True", "False"], result.stderr
    [event] = receiver.wait_for(1)
    assert event["event"] == "Plugin ping"


@pytest.fixture
def recording_project(project: Path, env: dict[str, str], tmp_path: Path) -> Path:
    """The project, with a registry that notes in a file each time it is loaded."""
    registry = project / "src" / PACKAGE / "pipeline_registry.py"
    registry.write_text(RECORDING_REGISTRY)
    env["REGISTRY_MARKER"] = str(tmp_path / "registry")
    return project


@pytest.mark.slow
def test_without_consent_the_pipelines_are_never_counted(
    recording_project: Path,
    env: dict[str, str],
    silent: Callable[[], None],
    tmp_path: Path,
) -> None:
    """kedro-telemetry 0.2.2 counted the project before asking.

    A session that only builds its catalog runs the plugin's catalog hook; Kedro
    reads the pipelines itself there, and the plugin must not.
    """
    marker = tmp_path / "steps"
    result = spied(CATALOG_ONLY, marker, recording_project, env)
    assert result.returncode == 0, result.stderr
    assert "doubled" in result.stdout  # the catalog was really built

    assert pipeline_readers(env) == {"kedro"}
    assert steps_reached(marker) == set()
    silent()


@pytest.mark.slow
def test_with_consent_the_plugin_counts_the_pipelines(
    recording_project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The control: with consent the plugin does read them, and reports."""
    give_consent(recording_project)
    result = python_code(CATALOG_ONLY, cwd=recording_project, env=env)
    assert result.returncode == 0, result.stderr

    assert pipeline_readers(env) == {"kedro", "kedro_telemetry"}
    [event] = receiver.wait_for(1)
    assert event["properties"]["number_of_pipelines"] == 2
