"""The hooks work from the entry points, from settings.py, and from both at once.

Kedro calls every registered hook object, so a project that also lists the
hook in ``settings.py`` has it twice; the plugin must still send one event.
The entry points alone are every other test's set-up (one event each, with
its statistics: ``test_cli_event``, ``test_privacy``'s session run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.consent_files import give_consent
from tests.support.heap_receiver import HeapReceiver
from tests.support.kedro_env import PACKAGE, kedro
from tests.support.processes import settle

pytestmark = pytest.mark.slow

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
