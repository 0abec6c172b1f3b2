"""``kedro telemetry status|enable|disable|show``, debug mode, and the public API.

Each command is run for real; what ``status`` says in each state, that
``enable`` and ``disable`` may be repeated, and that hand-edited files are
shown without a traceback are checked through the command group in-process.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kedro_telemetry.outbox.store import Outbox
from tests.support.baseline import normalised
from tests.support.consent_files import give_consent, user_wide_file, write_user_wide
from tests.support.heap_receiver import HeapReceiver
from tests.support.in_process import telemetry_here
from tests.support.kedro_env import kedro, state_dir_of
from tests.support.outbox import assert_nothing_sent
from tests.support.processes import settle


def outbox_files(env: dict[str, str]) -> list[Path]:
    outbox = state_dir_of(env) / "outbox"
    return sorted(outbox.glob("*.json")) if outbox.exists() else []


def json_output(stdout: str) -> list[dict[str, object]]:
    """The JSON document in ``stdout``, after any log line Kedro printed first."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line in ("[", "[]"))
    return json.loads("\n".join(lines[start:]))  # type: ignore[no-any-return]


def status(cwd: Path, env: dict[str, str]) -> str:
    result = kedro("telemetry", "status", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    return directory


def test_status_names_the_setting_that_decided(
    project: Path, in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process; the real command is run by the test after this one."""
    env = in_process_home
    assert "not decided yet" in telemetry_here("status", cwd=project).stdout

    write_user_wide(env, True)
    report = telemetry_here("status", cwd=project).stdout
    assert "is collected here" in report
    assert f"your user-wide setting {user_wide_file(env)}" in report

    give_consent(project, False)
    report = telemetry_here("status", cwd=project).stdout
    assert "is not collected here" in report
    assert f"the project's .telemetry file {project / '.telemetry'}" in report

    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    report = telemetry_here("status", cwd=project).stdout
    assert "environment variable KEDRO_DISABLE_TELEMETRY" in report
    assert f"Endpoint: {env['KEDRO_TELEMETRY_ENDPOINT']}" in report


def test_enable_and_disable_are_idempotent_and_write_their_file_only(
    project: Path, in_process_home: dict[str, str]
) -> None:
    """In this process; the real commands run in the tests after this one."""
    env = in_process_home
    for _ in range(2):
        telemetry_here("disable", cwd=project)
        assert (project / ".telemetry").read_text() == "consent: false\n"
    telemetry_here("enable", cwd=project)
    assert (project / ".telemetry").read_text() == "consent: true\nversion: 1\n"
    assert not user_wide_file(env).exists()
    (project / ".telemetry").unlink()
    for _ in range(2):
        telemetry_here("enable", "--global", cwd=project)
        assert user_wide_file(env).read_text() == "consent: true\nversion: 1\n"
    telemetry_here("disable", "--global", cwd=project)
    assert user_wide_file(env).read_text() == "consent: false\n"
    assert not (project / ".telemetry").exists()


@pytest.mark.slow
def test_outside_a_project_only_global_is_possible(
    outside: Path, env: dict[str, str]
) -> None:
    """``enable`` warns when an opt-out variable still wins over the new yes."""
    result = kedro("telemetry", "enable", cwd=outside, env=env)
    assert result.returncode == 2
    assert "--global" in result.stderr
    assert not (outside / ".telemetry").exists()
    opted_out = {**env, "DO_NOT_TRACK": "1"}
    result = kedro("telemetry", "enable", "--global", cwd=outside, env=opted_out)
    assert result.returncode == 0
    assert "DO_NOT_TRACK is set" in result.stdout
    assert "your user-wide setting" in status(outside, env)


@pytest.mark.slow
def test_show_lists_what_the_receiver_got_and_status_counts_it(
    project: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    give_consent(project)
    for command in (("info",), ("run",)):
        assert kedro(*command, cwd=project, env=env).returncode == 0
        receiver.wait_for(len(receiver.accepted) + 1)
    settle(env)  # the sender removes each event and logs it after the answer
    report = status(project, env)
    assert "Waiting in the outbox: 0" in report
    assert "Last delivery: 20" in report  # an ISO timestamp
    result = kedro("telemetry", "show", "--json", cwd=project, env=env)
    shown = json_output(result.stdout)
    assert [row["state"] for row in shown] == ["delivered", "delivered"]
    assert [row["idempotency_key"] for row in shown] == [
        event["idempotency_key"] for event in receiver.accepted
    ]
    assert [row["properties"] for row in shown] == [
        event["properties"] for event in receiver.accepted
    ]
    table = kedro("telemetry", "show", cwd=project, env=env).stdout
    assert "delivered" in table
    assert "kedro run" in table

    down = {**env, "KEDRO_TELEMETRY_ENDPOINT": "http://127.0.0.1:9/closed"}
    assert kedro("info", cwd=project, env=down).returncode == 0
    assert "Waiting in the outbox: 1" in status(project, down)


@pytest.mark.slow
def test_debug_mode_prints_the_event_and_sends_nothing(
    consented: Path,
    env: dict[str, str],
    receiver: HeapReceiver,
    baseline: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    debug = kedro("info", cwd=consented, env={**env, "KEDRO_TELEMETRY_DEBUG": "1"})
    assert debug.returncode == 0
    assert normalised(debug.stdout) == normalised(baseline("info").stdout)
    start = debug.stderr.index("{")
    shown, _ = json.JSONDecoder().raw_decode(debug.stderr[start:])
    assert shown["event"] == "CLI command"
    assert shown["properties"]["command"] == "kedro info"
    assert shown["app_id"] == "2388822444"
    assert_nothing_sent(receiver, state_dir_of(env))


@pytest.mark.slow
def test_another_plugin_can_send_an_event_under_the_users_consent(
    outside: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """Outside a project only the user-wide setting counts, for both events."""
    result = kedro("sample-ping", cwd=outside, env=env)
    assert (
        result.stdout.strip().splitlines()[-1] == "queued: False"
    )  # nobody consented yet

    write_user_wide(env, True)
    result = kedro("sample-ping", cwd=outside, env=env)
    assert result.stdout.strip().splitlines()[-1] == "queued: True"
    events = receiver.wait_for(2)
    [command] = [event for event in events if event["event"] == "CLI command"]
    assert command["properties"]["command"] == "kedro sample-ping"
    assert "package_name" not in command["properties"]
    [ping] = [event for event in events if event["event"] == "Sample ping"]
    assert ping["properties"]["plugin"] == "sample"
    assert ping["properties"]["pings"] == 1
    assert ping["properties"]["telemetry_version"] == "1.0.0"


def test_the_api_honours_an_opt_out(
    project: Path, in_process_home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: a plugin's call decides as a command does (real one: above)."""
    import kedro_telemetry

    write_user_wide(in_process_home, True)
    give_consent(project, False)
    assert kedro_telemetry.send_event("Sample ping", {}, project_path=project) is False
    monkeypatch.setenv("DO_NOT_TRACK", "yes")
    assert kedro_telemetry.send_event("Sample ping", {}) is False
    assert not (state_dir_of(in_process_home) / "outbox").exists()


def test_the_api_refuses_values_it_cannot_send(
    outside: Path, in_process_home: dict[str, str]
) -> None:
    """In-process: the refusal comes before consent is even asked."""
    import kedro_telemetry

    with pytest.raises(TypeError, match="property 'nested' is a dict"):
        kedro_telemetry.send_event("Sample ping", {"nested": {"not": "allowed"}})


@pytest.mark.slow
def test_show_lists_waiting_events_and_status_counts_them_reading_only(
    project: Path, env: dict[str, str]
) -> None:
    # Queued here rather than by a command, so that no sender runs meanwhile.
    outbox = Outbox(state_dir_of(env) / "outbox")
    properties = {"command": "kedro info"}
    event = {"idempotency_key": "k-1", "event": "CLI command", "properties": properties}
    queued = outbox.put(
        {"endpoint": "http://127.0.0.1:9", "app_id": "1", "event": event}
    )
    queued.with_name("00000000000000000001-corrupt.json").write_bytes(b"\x00bad")
    before = {path: path.read_bytes() for path in outbox_files(env)}

    result = kedro("telemetry", "show", "--json", cwd=project, env=env)
    [row] = json_output(result.stdout)
    assert (row["idempotency_key"], row["state"]) == ("k-1", "waiting")
    assert row["properties"] == properties
    assert "Waiting in the outbox: 1 (and 1 unreadable file(s))" in status(project, env)
    assert {path: path.read_bytes() for path in outbox_files(env)} == before


@pytest.fixture
def unusable_state_dir(env: dict[str, str], tmp_path: Path) -> None:
    """The state directory would be under a regular file: it can never be made."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env["XDG_STATE_HOME"] = str(blocker / "state")


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["status"], "Waiting in the outbox: unknown (Not a directory)"),
        (["show"], "could not read its waiting events: Not a directory"),
        (["show", "--json"], "[]"),
    ],
    ids=["status", "show", "show --json"],
)
def test_status_and_show_answer_what_they_can_without_a_state_directory(
    consented: Path,
    in_process_home: dict[str, str],
    command: list[str],
    says: str,
) -> None:
    """In this process: the state directory's place is a regular file."""
    state_dir_of(in_process_home).write_text("not a directory")
    result = telemetry_here(*command, cwd=consented)
    assert says in result.output
    assert "Traceback" not in result.output
    if command == ["status"]:
        assert "Usage data is collected here" in result.output


@pytest.mark.slow
@pytest.mark.usefixtures("unusable_state_dir")
def test_flush_with_an_unusable_state_directory_still_ends_the_job_well(
    project: Path, env: dict[str, str]
) -> None:
    result = kedro("telemetry", "flush", "--timeout", "5", cwd=project, env=env)
    assert result.returncode == 0
    [line] = [line for line in result.stderr.splitlines() if "Kedro-Telemetry" in line]
    assert line.startswith("Kedro-Telemetry could not flush its outbox: ")
    assert "Traceback" not in result.stderr + result.stdout


# Hand-edited files: every content gives a clear answer, never a traceback.
DELIVERED_CONTENTS = {
    "not-mappings": b'[1, "two", null, [3], true]',
    "wrong-types": b'[{"delivered_at": 5, "timestamp": {"a": 1}, "event": ["x"],'
    b' "properties": "kedro run", "state": {"s": 1}}]',
    "wrong-nested-types": b'[{"properties": {"command": 7, "main_command": [1]}}]',
    "huge-numbers": b'[{"delivered_at": 1e999, "n": ' + b"9" * 5000 + b"}]",
    "special-floats": b'[{"delivered_at": NaN, "properties": {"command": Infinity}}]',
    "deeply-nested": b"[" * 200_000 + b"]" * 200_000,
    "deeply-nested-entry": b'[{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
    "not-a-list": b'{"delivered_at": "2026-01-01"}',
    "not-utf8": b"\xff\xfe[{}]",
    "empty": b"",
}
ODD_OUTBOX_FILES = {
    "00000000000000000001-a-s1.json": b'{"endpoint": "x", "app_id": "1", "event":'
    b' {"idempotency_key": "k", "properties": {"command": {"a": 1}},'
    b' "timestamp": 12, "event": null}}',
    "00000000000000000002-b.json": b"[" * 100_000,
    "00000000000000000003-c-sNaN.json": b"{}",
}


@pytest.fixture
def odd_state(in_process_home: dict[str, str]) -> Path:
    """The test's isolated environment, in this process, with odd outbox files."""
    state = state_dir_of(in_process_home)
    (state / "outbox").mkdir(parents=True)
    for name, content in ODD_OUTBOX_FILES.items():
        (state / "outbox" / name).write_bytes(content)
    return state


@pytest.mark.parametrize(
    "content", DELIVERED_CONTENTS.values(), ids=list(DELIVERED_CONTENTS)
)
@pytest.mark.parametrize(
    "command", [["status"], ["show"], ["show", "--json"]], ids=" ".join
)
def test_show_and_status_survive_any_content_of_the_plugins_files(
    odd_state: Path, tmp_path: Path, command: list[str], content: bytes
) -> None:
    (odd_state / "delivered.json").write_bytes(content)
    before = sorted((odd_state / "outbox").iterdir())
    result = telemetry_here(*command)
    assert "Traceback" not in result.output
    assert sorted((odd_state / "outbox").iterdir()) == before  # only read
    if command == ["status"]:
        assert "Waiting in the outbox: 1 (and 2 unreadable file(s))" in result.stdout


@pytest.mark.slow
def test_a_hand_edited_delivery_log_is_shown_by_the_real_command(
    project: Path, env: dict[str, str], state_dir: Path
) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "delivered.json").write_bytes(DELIVERED_CONTENTS["wrong-types"])
    # ``show`` reads it too: in-process, above, with every odd content.
    result = kedro("telemetry", "status", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Last delivery: never" in result.stdout
