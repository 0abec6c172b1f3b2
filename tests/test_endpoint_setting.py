"""An endpoint that can never work queues nothing; an empty one is not Heap's."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedro_telemetry import environment
from kedro_telemetry.outbox.delivery_log import DeliveryLog
from tests.support.consent_files import give_consent
from tests.support.in_process import telemetry_here
from tests.support.kedro_env import kedro
from tests.support.outbox import queued_keys
from tests.support.processes import Senders


@pytest.mark.parametrize(
    "url",
    [
        "https://heapanalytics.com/api/track",
        "https://c.eu.heap-api.com/api/track",
        "http://127.0.0.1:8080/relay",
        "HTTPS://relay.example.com",
        "http://[::1]:80/track",
    ],
)
def test_an_http_url_with_a_host_is_usable(url: str) -> None:
    assert environment.endpoint_problem(url) == ""


@pytest.mark.parametrize(
    "url",
    ["", "ftp://x", "not a url", "notaurl", "http://[::1", "http:///x", "http://x:99999"],
)
def test_anything_else_is_not(url: str) -> None:
    assert environment.endpoint_problem(url) != ""


def test_an_empty_variable_is_an_empty_endpoint_not_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(environment.ENDPOINT_VARIABLE, "  ")
    assert environment.endpoint() == ""
    monkeypatch.delenv(environment.ENDPOINT_VARIABLE)
    assert environment.endpoint() == environment.DEFAULT_ENDPOINT


@pytest.mark.slow
def test_a_consented_command_with_an_empty_endpoint_queues_and_starts_nothing(
    project: Path, env: dict[str, str], senders: Senders, state_dir: Path
) -> None:
    give_consent(project)
    env[environment.ENDPOINT_VARIABLE] = ""
    result = kedro("info", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert queued_keys(state_dir) == []
    assert senders.pids() == set()
    assert not (state_dir / "sender.lock").exists()


def telemetry(*arguments: str) -> str:
    return telemetry_here(*arguments).output


def test_status_says_why_an_endpoint_cannot_work(
    in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(environment.ENDPOINT_VARIABLE, "ftp://relay")
    assert (
        "Endpoint: 'ftp://relay': the endpoint is not an http or https URL, "
        "so nothing is queued or sent"
    ) in telemetry("status")


def test_status_and_show_tell_what_was_dropped_and_why(
    in_process_home: dict[str, str], state_dir: Path
) -> None:
    assert "Dropped lately: none" in telemetry("status")
    log = DeliveryLog(state_dir)
    event = {"event": "CLI command", "properties": {"command": "kedro run"}}
    log.add_dropped([event, event], "not delivered within 30 days", "2026-12-01")
    log.add_dropped([event], "rejected by the endpoint: HTTP 400 'bad'", "2026-12-01")
    assert (
        "Dropped lately: 2 not delivered within 30 days; "
        "1 rejected by the endpoint: HTTP 400 'bad'"
    ) in telemetry("status")
    assert (
        "dropped    2026-12-01                        CLI command: kedro run "
        "(not delivered within 30 days)"
    ) in telemetry("show")


def test_the_newer_app_id_variable_wins_over_0_9_0s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KEDRO_TELEMETRY_APP_ID", raising=False)
    monkeypatch.delenv("HEAP_APPID_DEV", raising=False)
    assert environment.app_id() == environment.DEFAULT_APP_ID
    monkeypatch.setenv("HEAP_APPID_DEV", "111")
    assert environment.app_id() == "111"
    monkeypatch.setenv("KEDRO_TELEMETRY_APP_ID", "222")
    assert environment.app_id() == "222"
