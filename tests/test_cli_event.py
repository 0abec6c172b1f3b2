"""One consented ``kedro`` command in a real project sends one correct event."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.baseline import assert_unchanged_by_plugin
from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import PACKAGE, PROJECT_NAME, kedro, state_dir_of
from tests.support.outbox import assert_nothing_sent
from tests.support.processes import settle

pytestmark = pytest.mark.slow

Result = subprocess.CompletedProcess[str]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_kedro_info_sends_one_event_with_the_base_fields_and_prints_as_kedro(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    baseline: Callable[..., Result],
) -> None:
    result = kedro("info", cwd=consented, env=env)
    assert_unchanged_by_plugin(result, baseline("info"))

    [event] = receiver.wait_for(1)
    properties = event["properties"]
    assert event["event"] == "CLI command"
    assert properties["command"] == "kedro info"
    assert properties["main_command"] == "info"
    assert properties["package_name"] == sha256(PACKAGE)
    assert properties["project_name"] == sha256(PROJECT_NAME)
    assert properties["project_version"] == "1.7.0"
    assert properties["telemetry_version"] == "1.0.0"
    assert properties["is_ci_env"] == "false"
    assert len(event["identity"]) == 64
    assert "number_of_datasets" not in properties  # `info` builds no catalog


def test_kedro_run_masks_values_merges_the_statistics_and_prints_as_kedro(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    baseline: Callable[..., Result],
) -> None:
    args = ("run", "--pipeline=__default__", "--params=token=s3cret")
    result = kedro(*args, cwd=consented, env=env)
    assert_unchanged_by_plugin(result, baseline(*args))

    events = receiver.wait_for(1)
    settle(env)  # every sender has exited: a second event would be here by now
    assert len(receiver.accepted) == 1
    properties = events[0]["properties"]
    assert properties["command"] == "kedro run --pipeline ***** --params *****"
    assert properties["main_command"] == "run"
    assert properties["number_of_datasets"] == 2
    assert properties["number_of_nodes"] == 9
    assert properties["number_of_pipelines"] == 4
    assert properties["dataset_type_count.kedro.io.memory_dataset.MemoryDataset"] == 1
    assert properties["dataset_type_count.custom"] == 1
    assert "s3cret" not in str(receiver.requests)
    assert "__default__" not in str(receiver.requests)


def test_opted_out_project_prints_the_notice_on_stderr_and_sends_nothing(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project, False)
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0
    assert (
        "Kedro-Telemetry is installed, but you have opted out of sharing usage "
        "analytics so none will be collected." in result.stderr
    )
    assert "opted out" not in result.stdout
    assert_nothing_sent(receiver, state_dir_of(env))
