"""Collects the pieces of one event across the hooks and hands it on once.

A ``kedro`` command reaches the plugin in two stages: the CLI hook sees the
command line, the project hooks see the project and its catalog. The recorder
merges both into one event, sent when the command ends. A session run without
the CLI (``python -m my_package``, a notebook) becomes one ``Kedro project run``
event, sent once its catalog is built.

Consent comes first on every path: until ``consent.decide`` says yes, nothing
is read from the project, the catalog or the machine, and the modules that
would read them are not even imported (which also keeps an opted-out command
as cheap as one without the plugin).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kedro_telemetry import consent

__all__ = ["OPTED_OUT_MESSAGE", "PendingEvent", "Recorder", "recorder"]

OPTED_OUT_MESSAGE = (
    "Kedro-Telemetry is installed, but you have opted out of "
    "sharing usage analytics so none will be collected."
)

# ``kedro telemetry ...`` manages the plugin itself: it never asks, never
# reminds, and is never itself reported.
_OWN_COMMAND = "telemetry"


@dataclass
class PendingEvent:
    """An event being assembled; it only exists once consent is known to be yes."""

    name: str
    properties: dict[str, Any]
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # Random, never derived from anything about the user; Heap stores an event
    # once per key, so retries can never count twice.
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def finish(self) -> dict[str, Any]:
        from kedro_telemetry import events, facts

        return events.build_event(
            self.name,
            identity=facts.host_identity(),
            properties=self.properties,
            timestamp=self.started_at,
            idempotency_key=self.idempotency_key,
        )


class Recorder:
    """The plugin's state for one process; see :func:`recorder`."""

    def __init__(self) -> None:
        self._command_line_seen = False
        self._command: PendingEvent | None = None
        self._session_run: PendingEvent | None = None

    # CLI stage -------------------------------------------------------------

    def start_command(self, project_metadata: Any, command_args: list[str]) -> None:
        """Called from inside ``KedroCLI.main``, whose command tree masking uses."""
        self._command_line_seen = True
        self._command = None
        if command_args[:1] == [_OWN_COMMAND]:
            return
        project_path = getattr(project_metadata, "project_path", None)
        decision = consent.decide(project_path, may_prompt=project_path is not None)
        if decision.consent is False and decision.source in ("project", "user"):
            import click

            click.echo(OPTED_OUT_MESSAGE, err=True)
        if not decision.collects:
            return
        from kedro_telemetry import events, facts
        from kedro_telemetry.masking import mask_command

        properties = facts.base_properties()
        masked = mask_command(_running_cli(), command_args)
        properties.update(events.command_properties(masked))
        if project_metadata is not None:
            properties.update(facts.project_from_metadata(project_metadata))
        self._command = PendingEvent(events.CLI_COMMAND, properties)

    def finish_command(self) -> None:
        pending, self._command = self._command, None
        if pending is not None:
            _deliver(pending)

    # Project stage ---------------------------------------------------------

    def add_context(self, project_path: Path) -> None:
        if self._command_line_seen:
            return  # the CLI stage already decided and holds the project data
        self._session_run = None
        if not consent.decide(project_path).collects:
            return
        from kedro_telemetry import events, facts

        properties = facts.base_properties()
        properties.update(facts.project_from_path(project_path))
        self._session_run = PendingEvent(events.PROJECT_RUN, properties)

    def add_catalog(self, catalog: Any) -> None:
        target = self._command if self._command_line_seen else self._session_run
        if target is None:
            return
        from kedro_telemetry import facts

        target.properties.update(facts.statistics(catalog))
        if not self._command_line_seen:
            self._session_run = None
            _deliver(target)


def _running_cli() -> Any:
    """The running CLI, or ``None``: then every argument is masked.

    A failure here must not drop the command, or the project hooks would take
    it for a session run without the CLI.
    """
    from kedro_telemetry.masking import running_cli

    try:
        return running_cli()
    except Exception:
        return None


def _deliver(pending: PendingEvent) -> None:
    from kedro_telemetry.delivery import deliver

    deliver(pending.finish())


_recorder: Recorder | None = None


def recorder() -> Recorder:
    """The one recorder of this process, shared by every hook object.

    Sharing it is what keeps a hook registered twice (entry point and
    ``settings.py``) from producing a second event.
    """
    global _recorder  # noqa: PLW0603
    if _recorder is None:
        _recorder = Recorder()
    return _recorder
