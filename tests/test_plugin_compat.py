"""kedro-telemetry 0.9.0's names, as the tools of the Kedro ecosystem import them.

Each import statement below is copied from a real caller, and runs in this
interpreter. What the names do is checked for a user who said yes (in a real
interpreter against a real project, at the local Heap receiver), and for one
who said no, one who did not say and one whose environment opts out (in this
process, where nothing may be sent).
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kedro_telemetry import environment
from kedro_telemetry.collect.event import sha256_hex
from tests.support.consent_files import write_user_wide
from tests.support.heap_receiver import HeapReceiver
from tests.support.help_text import assert_kedros_help_unchanged
from tests.support.kedro_env import python_code, state_dir_of

IMPORTS = {
    "kedro-viz": "from kedro_telemetry.plugin import "
    "_check_for_telemetry_consent, _get_heap_app_id, _get_or_create_uuid",
    "kedro-viz (older)": "from kedro_telemetry.plugin import "
    "_get_heap_app_id, _is_valid_syntax",
    "vscode-kedro": "from kedro_telemetry.plugin import _check_for_telemetry_consent\n"
    "from kedro_telemetry.plugin import _get_project_properties, _get_or_create_uuid",
    "kedro-databricks": "from kedro_telemetry.plugin import ProjectMetadata",
    "kedro tests": "from kedro_telemetry.plugin import KedroTelemetryHook, "
    "telemetry_hook, _send_heap_event, _is_known_ci_env, KNOWN_CI_ENV_VAR_KEYS, "
    "MISSING_USER_IDENTITY",
    "plugins (0.9.0 API)": "from kedro_telemetry.api import send_telemetry_event",
}


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """What the code printed last (importing Kedro may log a line first)."""
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


@pytest.mark.parametrize("statement", IMPORTS.values(), ids=IMPORTS.keys())
def test_every_0_9_0_import_statement_works(statement: str) -> None:
    exec(statement, {})  # raises ImportError if a name is missing


def test_project_metadata_is_kedros_own() -> None:
    from kedro.framework.startup import ProjectMetadata as kedros

    from kedro_telemetry.plugin import ProjectMetadata

    assert ProjectMetadata is kedros


# Everything a caller of the 0.9.0 names can observe, as JSON on stdout.
PROBE = """
import json
from pathlib import Path
from kedro_telemetry import plugin
from kedro_telemetry.api import send_telemetry_event

project = Path.cwd()
report = {
    "consent": plugin._check_for_telemetry_consent(project),
    "identity": plugin._get_or_create_uuid(),
    "app_id": plugin._get_heap_app_id(),
    "properties": plugin._get_project_properties("ignored", project),
    "heap_event": plugin._send_heap_event("Viz page", "ignored", {"page": "flow"}),
    "plugin_event": send_telemetry_event(
        "Plugin used", {"rows": 3, "tags": ["a", "b"], "fast": True, "": 1}, project
    ),
    "bad_name": send_telemetry_event("", {"rows": 3}, project),
    "bad_properties": send_telemetry_event("Plugin used", 5, project),
    "valid": [
        plugin._is_valid_syntax(v) for v in ({"consent": True}, {"consent": 1}, [])
    ],
}
print(json.dumps(report))
"""

NOT_CONSENTED = {
    "opted-out": ("consent: false\n", {}),
    "undecided": (None, {}),
    "do-not-track": ("consent: true\n", {"DO_NOT_TRACK": "1"}),
}


def home_files(env: dict[str, str]) -> set[str]:
    """Every file under the home directory but the outbox (the queue is ours)."""
    home = Path(env["HOME"])
    state = state_dir_of(env)
    return {
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and state not in path.parents
    }


def project_files(project: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}


def assert_what_every_caller_sees(report: dict[str, Any], consented: bool) -> None:
    assert report["consent"] is consented  # undecided is no, never an implied yes
    if consented:  # keyed: not the plain hash that anyone could compute
        assert len(report["identity"]) == 64
        assert report["identity"] != sha256_hex(socket.gethostname())
    else:
        assert report["identity"] == "missing_user_identity"
    assert report["app_id"] == "2388822444"
    assert report["heap_event"] is consented
    assert report["plugin_event"] is consented
    assert report["bad_name"] is False
    assert report["bad_properties"] is False
    assert report["valid"] == [True, False, False]


@pytest.mark.parametrize("state", NOT_CONSENTED, ids=NOT_CONSENTED.keys())
def test_without_consent_the_0_9_0_names_send_nothing_and_write_no_file(
    state: str,
    project: Path,
    in_process_home: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In this process: nothing may be queued, so no sender could start."""
    env = in_process_home
    consent_file, variables = NOT_CONSENTED[state]
    if consent_file is not None:
        (project / ".telemetry").write_text(consent_file)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(project)
    before_project, before_home = project_files(project), home_files(env)

    exec(PROBE, {})

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert_what_every_caller_sees(report, consented=False)
    assert report["properties"] == {}
    assert home_files(env) == before_home  # 0.9.0 wrote ~/.config/kedro/telemetry.toml
    assert project_files(project) == before_project
    state_dir = state_dir_of(env)
    assert not (state_dir / "outbox").exists() or not any(
        (state_dir / "outbox").iterdir()
    )


@pytest.mark.slow
def test_with_consent_the_0_9_0_names_send_and_write_no_file(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    before_project, before_home = project_files(consented), home_files(env)

    result = python_code(PROBE, cwd=consented, env=env)

    assert result.returncode == 0, result.stderr
    report = json.loads(last_line(result))
    assert_what_every_caller_sees(report, consented=True)
    # 0.9.0 wrote ~/.config/kedro/telemetry.toml; after the yes, only the key.
    assert home_files(env) == before_home | {".config/kedro/telemetry-secret"}
    assert project_files(consented) == before_project
    assert report["properties"]["package_name"] == sha256_hex("spaceship_log")
    assert report["properties"]["telemetry_version"] == "1.0.0"
    events = {event["event"]: event for event in receiver.wait_for(2)}
    assert sorted(events) == ["Plugin used", "Viz page"]
    for event in events.values():
        assert event["identity"] == report["identity"]  # a tool's events join ours
        assert event["properties"]["package_name"] == sha256_hex("spaceship_log")
    plugin_properties = events["Plugin used"]["properties"]
    assert plugin_properties["rows"] == 3
    assert plugin_properties["tags"] == "['a', 'b']"  # 0.9.0 sent str() of it
    assert plugin_properties["fast"] == "true"
    assert "" not in plugin_properties
    assert events["Viz page"]["properties"]["page"] == "flow"


@pytest.mark.slow
def test_the_user_wide_setting_counts_for_callers_outside_a_project(
    tmp_path: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    write_user_wide(env, True)
    code = (
        "from kedro_telemetry.plugin import _check_for_telemetry_consent as check\n"
        "from kedro_telemetry.api import send_telemetry_event as send\n"
        "print(check(None), send('Outside', {'n': object()}))"
    )
    result = python_code(code, cwd=tmp_path, env=env)
    assert last_line(result).split() == ["True", "True"], result.stderr
    (event,) = receiver.wait_for(1)
    assert event["properties"]["n"].startswith("<object object at")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [({}, (False, False)), ({"GITLAB_CI": "true"}, (True, True)),
     ({"MY_CI": "1"}, (False, True))],
)  # fmt: skip
def test_ci_detection_is_the_plugins_own(
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    expected: tuple[bool, bool],
) -> None:
    from kedro_telemetry.plugin import KNOWN_CI_ENV_VAR_KEYS, _is_known_ci_env

    for name in (*environment.CI_VARIABLES, "MY_CI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    found = (_is_known_ci_env(KNOWN_CI_ENV_VAR_KEYS), _is_known_ci_env({"MY_CI"}))
    assert found == expected


# ``kedro run`` in an interpreter that reports at exit which of our modules it
# loaded.
KEDRO_RUN_REPORTING_MODULES = """
import atexit, sys

def report():
    ours = sorted(name for name in sys.modules if name.startswith("kedro_telemetry"))
    print("loaded:", *ours, file=sys.stderr)

atexit.register(report)
from kedro.framework.cli.cli import main
sys.argv = ["kedro", "run"]
main()
"""


@pytest.mark.slow
def test_the_hooks_never_import_the_compatibility_module(
    consented: Path, env: dict[str, str], receiver: HeapReceiver
) -> None:
    """Kedro's own tests patch the 0.9.0 names: a patched name must change nothing.

    A command that never loads ``kedro_telemetry.plugin`` cannot call one.
    """
    result = python_code(KEDRO_RUN_REPORTING_MODULES, cwd=consented, env=env)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stderr.split("loaded:")[-1].split())
    assert {"kedro_telemetry.hooks", "kedro_telemetry.tracker"} <= loaded
    assert "kedro_telemetry.plugin" not in loaded
    assert "kedro_telemetry.api" not in loaded
    (event,) = receiver.wait_for(1)
    assert event["properties"]["command"] == "kedro run"
    assert event["properties"]["number_of_nodes"] == 9


@pytest.mark.slow
@pytest.mark.parametrize("where", ["project", "outside"])
def test_kedro_help_reads_as_kedro_wrote_it(
    where: str, project: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    assert_kedros_help_unchanged(project if where == "project" else tmp_path, env)
