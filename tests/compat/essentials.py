"""The end-to-end essentials, on whichever Kedro and Python run this file.

``scripts/compat.py`` (``make compat``) runs it in one virtualenv per supported
Kedro and per Python interpreter, with the plugin installed from its wheel.
The file is not named ``test_*`` so that ``make test`` (Kedro 1.7 only) leaves
it to that driver.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro import __version__ as kedro_version
from kedro import io as kedro_io

from kedro_telemetry.collect.event import sha256_hex
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.help_text import assert_kedros_help_unchanged
from tests.support.kedro_env import (
    PACKAGE,
    kedro,
    kedro_has_validators,
    python_code,
    state_dir_of,
)

# Every essential runs real ``kedro`` processes of the target virtualenv.
pytestmark = pytest.mark.slow


def one_event(receiver: HeapReceiver) -> dict[str, object]:
    events = receiver.wait_for(1)
    receiver.wait_for(2, seconds=2)  # room for a second event to show up
    assert len(receiver.accepted) == 1, receiver.accepted
    return events[0]


def test_a_consented_run_sends_one_event_with_the_catalogs_counts(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    assert_a_consented_run_sends_the_counts(project, env, receiver)


def assert_a_consented_run_sends_the_counts(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    result = kedro("run", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    event = one_event(receiver)
    assert event["event"] == "CLI command"
    assert event["properties"] == {
        **event["properties"],  # the machine's own fields are checked elsewhere
        "command": "kedro run",
        "main_command": "run",
        "project_version": kedro_version,
        "package_name": sha256_hex(PACKAGE),
        "number_of_datasets": 2,
        "number_of_nodes": 9,
        "number_of_pipelines": 4,
        "dataset_type_count.kedro.io.memory_dataset.MemoryDataset": 1,
        "dataset_type_count.custom": 1,
    }
    if kedro_has_validators():
        assert event["properties"]["number_of_validated_datasets"] == 1
    else:
        assert "number_of_validated_datasets" not in event["properties"]


@pytest.mark.skipif(
    not hasattr(kedro_io, "KedroDataCatalog"), reason="only Kedro 0.19.9 to 0.19.x"
)
def test_the_optional_catalog_of_0_19_gives_the_same_counts(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    settings = project / "src" / PACKAGE / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\nfrom kedro.io import KedroDataCatalog"
        + "\nDATA_CATALOG_CLASS = KedroDataCatalog\n"
    )
    assert_a_consented_run_sends_the_counts(project, env, receiver)


def test_values_are_masked_by_this_kedros_command_tree(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    result = kedro(
        "run",
        "--pipeline=data_processing",
        "--runner",
        "SequentialRunner",
        cwd=project,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    properties = one_event(receiver)["properties"]
    assert properties["command"] == "kedro run --pipeline ***** --runner *****"


def test_nothing_is_sent_when_nobody_decided_or_an_opt_out_is_set(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    assert kedro("run", cwd=project, env=env).returncode == 0
    give_consent(project)
    opted_out = kedro("run", cwd=project, env={**env, "DO_NOT_TRACK": "1"})
    assert opted_out.returncode == 0, opted_out.stderr
    receiver.wait_for(1, seconds=3)
    assert receiver.accepted == []
    outbox = state_dir_of(env) / "outbox"
    assert not outbox.exists() or not any(outbox.iterdir())


def test_the_telemetry_commands_find_the_project(
    project: Path, env: dict[str, str]
) -> None:
    # Kedro 0.19 and later find the project from a subdirectory; 0.18 does not.
    cwd = project / "src" if not kedro_version.startswith("0.18.") else project
    enabled = kedro("telemetry", "enable", cwd=cwd, env=env)
    assert enabled.returncode == 0, enabled.stderr
    assert (project / ".telemetry").read_text() == "consent: true\nversion: 1\n"


def test_the_0_9_0_names_import_and_answer(project: Path, env: dict[str, str]) -> None:
    give_consent(project, False)
    code = (
        "from kedro_telemetry.plugin import _check_for_telemetry_consent, "
        "_get_heap_app_id, _get_or_create_uuid, ProjectMetadata\n"
        "from kedro_telemetry.api import send_telemetry_event\n"
        "print(_check_for_telemetry_consent('.'), send_telemetry_event('x', {}, '.'))"
    )
    result = python_code(code, cwd=project, env=env)
    assert result.stdout.strip().splitlines()[-1] == "False False", result.stderr


def test_kedros_help_text_is_unchanged(project: Path, env: dict[str, str]) -> None:
    assert_kedros_help_unchanged(project, env)
