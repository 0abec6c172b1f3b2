"""Collects the pieces of one event across the hooks and hands it on once.

A ``kedro`` command reaches the plugin in two stages: the CLI hook sees the
command line, the project hooks see the project and its catalog. The recorder
merges both into one event, sent when the command ends. A session used without
the CLI (``python -m my_package``, a notebook) becomes one ``Kedro project run``
event, sent once its first catalog is built; the session's later contexts
(``session.run()`` after ``%load_ext kedro.ipython``) add nothing.

A reported ``kedro`` command leaves a marker in its environment, so that the
first session of a child process it starts (``kedro ipython``, ``kedro
jupyter``, ``kedro viz run --include-hooks``) is not reported a second time.

Consent comes first on every path: until ``consent.decide`` says yes, nothing
is read from the project, the catalog or the machine, and the modules that
would read them are not even imported (which also keeps an opted-out command
as cheap as one without the plugin).
"""

from __future__ import annotations

import os
import uuid
import weakref
from datetime import datetime, timezone
from typing import Any

from kedro_telemetry import consent, environment

__all__ = ["OPTED_OUT_MESSAGE", "PendingEvent", "Recorder", "recorder"]

OPTED_OUT_MESSAGE = (
    "Kedro-Telemetry is installed, but you have opted out of "
    "sharing usage analytics so none will be collected."
)

# ``kedro telemetry ...`` manages the plugin itself: it never asks, never
# reminds, and is never itself reported.
_OWN_COMMAND = "telemetry"


class PendingEvent:
    """An event being assembled; it only exists once consent is known to be yes."""

    __slots__ = ("idempotency_key", "name", "properties", "started_at")

    def __init__(self, name: str, properties: dict[str, Any]) -> None:
        self.name = name
        self.properties = properties
        self.started_at = datetime.now(timezone.utc)
        # Random, never derived from anything about the user; Heap stores an
        # event once per key, so retries can never count twice.
        self.idempotency_key = uuid.uuid4().hex

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
        self._command_args: list[str] = []
        self._project_metadata: Any = None
        # Per session (see ``_session_of``): the event waiting for its catalog,
        # and the sessions already reported, covered or refused.
        self._pending: weakref.WeakKeyDictionary[Any, PendingEvent] = (
            weakref.WeakKeyDictionary()
        )
        self._settled: weakref.WeakSet[Any] = weakref.WeakSet()
        self._current: weakref.ref[Any] | None = None

    # CLI stage -------------------------------------------------------------

    def start_command(self, project_metadata: Any, command_args: list[str]) -> None:
        """Called from inside ``KedroCLI.main``, whose command tree masking uses."""
        self._command_line_seen = True
        self._command = None
        if command_args[:1] == [_OWN_COMMAND]:
            return
        project_path = getattr(project_metadata, "project_path", None)
        decision = consent.decide(project_path, may_prompt=project_path is not None)
        if decision.consent is False and not decision.silent:
            import click

            click.echo(OPTED_OUT_MESSAGE, err=True)
        if not decision.collects:
            return
        from kedro_telemetry import events

        self._command = PendingEvent(events.CLI_COMMAND, {})
        # Everything else is read when the command ends, not now: Kedro loads
        # a command's module (which masking needs) only after this hook, and
        # ``kedro run`` looks the login name up itself on the way, so by then
        # the system's user database is loaded. The raw words stay in memory,
        # never on disk.
        self._command_args = list(command_args)
        self._project_metadata = project_metadata
        environment.mark_reported(os.getpid())

    def finish_command(self) -> None:
        pending, self._command = self._command, None
        command_args, self._command_args = self._command_args, []
        metadata, self._project_metadata = self._project_metadata, None
        if pending is None:
            return
        environment.unmark_reported(os.getpid())
        from kedro_telemetry import facts

        properties = facts.base_properties()
        if metadata is not None:
            properties.update(facts.project_from_metadata(metadata))
        properties.update(pending.properties)  # the catalog's, from ``add_catalog``
        properties.update(_masked_command(command_args))
        pending.properties = properties
        _deliver(pending)

    # Project stage ---------------------------------------------------------

    def add_context(self, context: Any) -> None:
        """A context was created: a new session starts an event, an old one not."""
        if self._command_line_seen:
            return  # the CLI stage already decided and holds the project data
        session = _session_of(context)
        self._current = weakref.ref(session)
        if session in self._settled or session in self._pending:
            return  # a later context of a session already counted
        if environment.take_reported_marker():
            self._settled.add(session)  # the parent ``kedro`` command reported it
            return
        if not consent.decide(context.project_path).collects:
            self._settled.add(session)
            return
        from kedro_telemetry import events, facts

        properties = facts.base_properties()
        properties.update(facts.project_from_path(context.project_path))
        self._pending[session] = PendingEvent(events.PROJECT_RUN, properties)

    def add_catalog(self, catalog: Any) -> None:
        if self._command_line_seen:
            if self._command is not None:
                from kedro_telemetry import facts

                self._command.properties.update(facts.statistics(catalog))
            return
        session = self._current() if self._current is not None else None
        pending = self._pending.pop(session, None) if session is not None else None
        if pending is None:
            return
        self._settled.add(session)
        from kedro_telemetry import facts

        pending.properties.update(facts.statistics(catalog))
        _deliver(pending)


def _session_of(context: Any) -> Any:
    """What all contexts of one ``KedroSession`` share: its hook manager.

    Every Kedro from 0.18 on creates one hook manager per session and hands it
    to each context it loads, so ``session.run()`` after ``load_context()``
    (or ``%load_ext kedro.ipython``) finds the same one; ``%reload_kedro`` and
    a second ``KedroSession`` bring a new one. Without it, each context counts.
    """
    return getattr(context, "_hook_manager", None) or context


def _masked_command(command_args: list[str]) -> dict[str, str | int | float]:
    """``command`` and ``main_command``, from the running CLI's own tree."""
    from kedro_telemetry import events
    from kedro_telemetry.masking import mask_command

    return events.command_properties(mask_command(_running_cli(), command_args))


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
