"""Python code a test runs in a real process, as a notebook or another tool would.

``kedro`` itself is run by ``tests.support.kedro_env``; these are the other
ways in: Kedro's ``main`` from a script, sessions without the CLI, and the
public API of another plugin. Each runs in the project's directory.
"""

from __future__ import annotations

__all__ = [
    "CATALOG_ONLY",
    "CLI",
    "LOADED_THEN_RUN",
    "LONG_LIVED",
    "PUBLIC_API",
    "SESSION_RUN",
    "TWO_SESSIONS",
]

# ``kedro *argv`` as the command runs it (``.format(argv=[...])``).
CLI = """
import sys
from kedro.framework.cli.cli import main
sys.argv = ["kedro", *{argv!r}]
main()
"""

_BOOTSTRAPPED = """
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
"""

# One run with no CLI; its outputs show the run really happened.
SESSION_RUN = (
    _BOOTSTRAPPED
    + """
with KedroSession.create(project_path=Path.cwd()) as session:
    outputs = session.run()
print("outputs:", sorted(outputs))
"""
)

TWO_SESSIONS = (
    _BOOTSTRAPPED
    + """
for _ in range(2):
    with KedroSession.create(project_path=Path.cwd()) as session:
        session.run()
"""
)

LOADED_THEN_RUN = (
    _BOOTSTRAPPED
    + """
with KedroSession.create(project_path=Path.cwd()) as session:
    print(sorted(session.load_context().catalog.keys()))
    session.run()
"""
)

# A session that only builds its catalog (the plugin's catalog hook runs).
CATALOG_ONLY = (
    _BOOTSTRAPPED
    + """
with KedroSession.create(project_path=Path.cwd()) as session:
    catalog = session.load_context().catalog
    print(sorted(catalog.keys()))
"""
)

# A notebook: two cells, each a run and a plugin's event; between them the
# process waits for a line on stdin, while the test changes the consent.
LONG_LIVED = (
    _BOOTSTRAPPED
    + """
import sys
import kedro_telemetry

for cell in (1, 2):
    with KedroSession.create(project_path=Path.cwd()) as session:
        session.run()
    queued = kedro_telemetry.send_event("Notebook cell", {"cell": cell}, Path.cwd())
    print("queued:", queued, flush=True)
    sys.stdin.readline()
"""
)

# Another plugin's event, in a project and then without one.
PUBLIC_API = """
from pathlib import Path
from kedro_telemetry import send_event
print("sent:", send_event("Plugin ping", {"feature": "x"}, project_path=Path.cwd()))
print("sent:", send_event("Plugin ping", {"feature": "x"}))
"""


def api_answers(stdout: str) -> list[str]:
    """What each ``send_event`` of ``PUBLIC_API`` answered, in order."""
    return [line.split()[1] for line in stdout.splitlines() if line[:5] == "sent:"]
