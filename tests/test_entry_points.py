"""One true event per user action, from every way a project is used.

The project has three modular pipelines found by ``find_pipelines()``, nine
nodes in all, and four registered pipelines with ``__default__``. Every case
runs real processes against the real receiver and counts what arrives.

The hooks work from the entry points, from ``settings.py``, and from both at
once: Kedro calls every registered hook object, so a project that also lists
the hook in ``settings.py`` has it twice; the plugin must still send one event.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import PACKAGE, PIPELINES, kedro, python_code, run
from tests.support.processes import settle
from tests.support.snippets import LOADED_THEN_RUN, TWO_SESSIONS

Event = dict[str, object]

WHOLE_PROJECT = {
    "number_of_datasets": 2,
    "number_of_nodes": 9,
    "number_of_pipelines": 4,
    "pipeline_filter": "false",
    "dataset_type_count.custom": 1,
    "dataset_type_count.kedro.io.memory_dataset.MemoryDataset": 1,
    "number_of_validated_datasets": 1,
    "validator_type_count.custom": 1,
}
# Under a filter the catalog is still the whole project's; the pipelines are not.
FILTERED = {
    **{
        key: value
        for key, value in WHOLE_PROJECT.items()
        if key not in ("number_of_nodes", "number_of_pipelines")
    },
    "pipeline_filter": "true",
}
STATISTICS = set(WHOLE_PROJECT) | {"number_of_nodes", "number_of_pipelines"}
IPYTHON = str(Path(sys.executable).with_name("ipython"))


pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def ipython_on_the_path(env: dict[str, str]) -> None:
    """``kedro ipython`` starts ``ipython`` through the PATH."""
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env["PATH"]))


def all_events(receiver: HeapReceiver, expected: int) -> list[Event]:
    """The ``expected`` events, after leaving room for one too many to arrive."""
    receiver.wait_for(expected)
    receiver.wait_for(expected + 1, seconds=2)
    assert len(receiver.accepted) == expected, receiver.accepted
    return list(receiver.accepted)


def statistics(event: Event) -> dict[str, object]:
    properties = event["properties"]
    assert isinstance(properties, dict)
    return {key: value for key, value in properties.items() if key in STATISTICS}


def test_kedro_run_counts_the_whole_project(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    assert kedro("run", cwd=consented, env=env).returncode == 0
    [event] = all_events(receiver, 1)
    assert event["event"] == "CLI command"
    assert statistics(event) == WHOLE_PROJECT


@pytest.mark.parametrize(
    "command",
    [
        ("run", "--pipelines=data_processing,reporting"),
        ("catalog", "describe-datasets", "-p", "reporting"),
    ],
    ids=" ".join,
)
def test_a_pipeline_filter_never_passes_for_the_project_size(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    command: tuple[str, ...],
) -> None:
    result = kedro(*command, cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    [event] = all_events(receiver, 1)
    assert statistics(event) == FILTERED
    assert not any(name in str(receiver.requests) for name in PIPELINES)


def test_the_default_pipeline_by_name_is_the_whole_project(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """``find_pipelines()`` loads everything when ``__default__`` is asked for."""
    assert kedro("run", "-p", "__default__", cwd=consented, env=env).returncode == 0
    [event] = all_events(receiver, 1)
    assert statistics(event) == WHOLE_PROJECT


def test_python_dash_m_package_sends_one_project_run_event(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """With a filter: the same session run, and the same reading, as ``kedro run``."""
    env["PYTHONPATH"] = str(consented / "src")
    argv = [sys.executable, "-m", PACKAGE, "--pipeline", "reporting"]
    result = run(argv, cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    [event] = all_events(receiver, 1)
    assert event["event"] == "Kedro project run"
    assert statistics(event) == FILTERED


def test_a_script_with_two_sessions_sends_two_events(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    result = python_code(TWO_SESSIONS, cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    first, second = all_events(receiver, 2)
    assert first["event"] == second["event"] == "Kedro project run"
    assert first["idempotency_key"] != second["idempotency_key"]
    assert statistics(first) == statistics(second) == WHOLE_PROJECT


def test_a_session_loaded_and_then_run_is_one_event(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    result = python_code(LOADED_THEN_RUN, cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    assert "doubled" in result.stdout
    [event] = all_events(receiver, 1)
    assert statistics(event) == WHOLE_PROJECT


def test_the_ipython_extension_reports_each_session_once(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The loaded session once, and the one a reload makes once more: two in all."""
    cells = ["%load_ext kedro.ipython", "session.run()", "%reload_kedro"]
    result = run([IPYTHON, "-c", "\n".join(cells)], cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    events = all_events(receiver, 2)
    assert {event["event"] for event in events} == {"Kedro project run"}
    assert all(statistics(event) == WHOLE_PROJECT for event in events)


def test_kedro_ipython_is_one_command_and_later_sessions_are_the_users(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """The session ``kedro ipython`` loads is the command's (its run sends no
    event of its own); the session a reload makes is new: one project run."""
    cells = ["session.run()", "%reload_kedro"]
    result = kedro("ipython", "-c", "\n".join(cells), cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    events = all_events(receiver, 2)
    names = sorted(str(event["event"]) for event in events)
    assert names == ["CLI command", "Kedro project run"]
    assert "KEDRO_TELEMETRY_REPORTED" not in str(receiver.requests)


# Runs another pipeline than the spawner's own, or each child would spawn again.
CHILD_SESSIONS = TWO_SESSIONS.replace(
    "session.run()", 'session.run(pipeline_names=["reporting"])'
)

SPAWNER = """
import subprocess
import sys

from kedro.pipeline import Pipeline, node


def spawn(start: int) -> int:
    subprocess.run([sys.executable, "child.py"], check=True, timeout=120)
    return start


def create_pipeline() -> Pipeline:
    return Pipeline([node(spawn, "params:start", "spawned", name="spawn")])
"""


def test_a_child_process_of_a_reported_command_does_not_report_it_again(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """A node starts a process that loads the project again, as viz does.

    The child's first session is the command's; its second one is its own.
    """
    result = run_spawning(consented, env, CHILD_SESSIONS)
    assert result.returncode == 0, result.stderr
    events = all_events(receiver, 2)
    assert sorted(str(event["event"]) for event in events) == [
        "CLI command",
        "Kedro project run",
    ]


def run_spawning(
    project: Path, env: dict[str, str], child: str
) -> subprocess.CompletedProcess[str]:
    """``kedro run`` of a pipeline whose node runs ``child`` in a new process."""
    spawner = project / "src" / PACKAGE / "pipelines" / "spawner"
    spawner.mkdir()
    (spawner / "__init__.py").write_text(SPAWNER)
    (project / "child.py").write_text(child)
    return kedro("run", "-p", "spawner", cwd=project, env=env)


@pytest.mark.parametrize("consent", ["true", "false"])
def test_only_a_reported_command_marks_the_processes_it_starts(
    consented: Path, env: dict[str, str], receiver: HeapReceiver, consent: str
) -> None:
    give_consent(consented, consent == "true")
    child = "import os\nprint('marker:', os.environ.get('KEDRO_TELEMETRY_REPORTED'))\n"
    result = run_spawning(consented, env, child)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if "marker:" in line]
    marker = line.split("marker:")[1].strip()
    if consent == "true":
        assert marker.isdigit()  # the kedro process's id, inherited
        assert len(all_events(receiver, 1)) == 1
    else:
        assert marker == "None"  # nothing changes without consent
        assert receiver.wait_for(1, seconds=2) == []


# Registered twice: entry points and settings.py ---------------------------------

SETTINGS_HOOKS = (
    "\nfrom kedro_telemetry.hooks import KedroTelemetryHook\n"
    "HOOKS = (KedroTelemetryHook(),)\n"
)
SETTINGS_DISABLE = '\nDISABLE_HOOKS_FOR_PLUGINS = ("kedro-telemetry",)\n'


def configure(project: Path, *snippets: str) -> None:
    settings = project / "src" / PACKAGE / "settings.py"
    settings.write_text(settings.read_text() + "".join(snippets))
    give_consent(project)


def only_event(receiver: HeapReceiver, env: dict[str, str]) -> dict[str, object]:
    events = receiver.wait_for(1)
    settle(env)  # every sender has exited: a duplicate would be here by now
    assert len(receiver.accepted) == 1
    return events[0]


@pytest.mark.parametrize(
    ("snippets", "has_statistics"),
    [
        ((SETTINGS_HOOKS,), True),
        ((SETTINGS_DISABLE,), False),  # the CLI side only
        ((SETTINGS_HOOKS, SETTINGS_DISABLE), True),
    ],
    ids=["entry-points+settings", "disabled", "disabled+settings"],
)
def test_one_event_per_command_however_the_hooks_are_registered(
    project: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    snippets: tuple[str, ...],
    has_statistics: bool,
) -> None:
    configure(project, *snippets)
    result = kedro("run", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    event = only_event(receiver, env)
    assert event["event"] == "CLI command"
    properties = event["properties"]
    assert isinstance(properties, dict)
    assert properties["command"] == "kedro run"
    assert ("number_of_nodes" in properties) is has_statistics
