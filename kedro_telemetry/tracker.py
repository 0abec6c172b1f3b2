"""Turns the hooks of one process into one event per user action.

A ``kedro`` command reaches the plugin in two stages: the CLI hooks see the
command line, the project hooks see the project and its catalog. The tracker
merges both into one ``CLI command`` event, handed on when the command ends. A
session used without the CLI (``python -m my_package``, a notebook) becomes one
``Kedro project run`` event, handed on once its first catalog is built; the
session's later contexts (``session.run()`` after ``%load_ext kedro.ipython``)
add nothing.

A reported ``kedro`` command leaves a marker in its environment, so that the
first session of a child process it starts (``kedro ipython``, ``kedro
jupyter``, ``kedro viz run --include-hooks``) is not reported a second time.

Consent comes first on every path: until ``consent.decide`` says yes, nothing
is read from the project, the catalog or the machine, and the modules that
would read them are not even imported.
"""

from __future__ import annotations

import os
import uuid
import weakref
from datetime import datetime, timezone
from typing import Any

from kedro_telemetry import consent, environment

__all__ = ["OPTED_OUT_MESSAGE", "ActionTracker", "PendingEvent", "tracker"]

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

    def __init__(
        self, name: str, properties: dict[str, Any], started_at: datetime | None = None
    ) -> None:
        self.name = name
        self.properties = properties
        # When the action began: a command's start, not the moment after a
        # question that the person may have taken minutes to answer.
        self.started_at = started_at or now()
        # Random, never derived from anything about the user; Heap stores an
        # event once per key, so retries can never count twice.
        self.idempotency_key = uuid.uuid4().hex

    def finish(self) -> dict[str, Any]:
        from kedro_telemetry.collect import event, machine

        return event.build_event(
            self.name,
            identity=machine.host_identity(),
            properties=self.properties,
            timestamp=self.started_at,
            idempotency_key=self.idempotency_key,
        )


class _Command:
    """A consented ``kedro`` command between its two CLI hooks.

    The raw words stay in memory, never on disk; they are masked when the
    command ends, once Kedro has loaded the command's module.
    """

    __slots__ = ("args", "event", "metadata")

    def __init__(self, metadata: Any, args: list[str], started_at: datetime) -> None:
        from kedro_telemetry.collect.event import CLI_COMMAND

        self.event = PendingEvent(CLI_COMMAND, {}, started_at)
        self.args = args
        self.metadata = metadata


class ActionTracker:
    """The plugin's state for one process; see :func:`tracker`."""

    def __init__(self) -> None:
        # Whether a ``kedro`` command runs in this process: then the project
        # hooks only add to its event.
        self._in_command = False
        self._command: _Command | None = None
        # Sessions (see ``_session_of``) whose event waits for their first
        # catalog; those already counted (reported, covered by the parent
        # command, or refused); and the session whose context came last.
        self._pending: weakref.WeakKeyDictionary[Any, PendingEvent] = (
            weakref.WeakKeyDictionary()
        )
        self._counted: weakref.WeakSet[Any] = weakref.WeakSet()
        self._current: weakref.ref[Any] | None = None

    # CLI stage -------------------------------------------------------------

    def start_command(self, project_metadata: Any, command_args: list[str]) -> None:
        """Decide once for the whole command, and keep what it will report."""
        self._in_command = True
        self._command = None
        started_at = now()
        if command_args[:1] == [_OWN_COMMAND]:
            return
        project_path = getattr(project_metadata, "project_path", None)
        decision = consent.decide(project_path, may_prompt=project_path is not None)
        if decision.consent is False and not decision.silent:
            import click

            click.echo(OPTED_OUT_MESSAGE, err=True)
        if not decision.collects:
            return
        self._command = _Command(project_metadata, list(command_args), started_at)
        environment.mark_reported(os.getpid())

    def finish_command(self) -> dict[str, Any] | None:
        """The command's finished event, or ``None`` when it reports nothing."""
        command, self._command = self._command, None
        if command is None:
            return None
        environment.unmark_reported(os.getpid())
        from kedro_telemetry.collect import machine, project

        properties = machine.machine_properties()
        if command.metadata is not None:
            properties.update(project.project_properties(command.metadata))
        properties.update(command.event.properties)  # the catalog's counts
        properties.update(_masked_command(command.args))
        command.event.properties = properties
        return command.event.finish()

    # Project stage ---------------------------------------------------------

    def add_context(self, context: Any) -> None:
        """A context was created: a new session starts an event, an old one not."""
        if self._in_command:
            return  # the CLI stage already decided and holds the project data
        session = _session_of(context)
        self._current = weakref.ref(session)
        if session in self._pending or session in self._counted:
            return  # a later context of a session already seen
        started_at = now()
        if (
            environment.take_reported_marker()
            or not consent.decide(context.project_path).collects
        ):
            self._counted.add(session)
            return
        from kedro_telemetry.collect import machine, project
        from kedro_telemetry.collect.event import PROJECT_RUN

        properties = machine.machine_properties()
        metadata = project.metadata_at(context.project_path)
        properties.update(project.project_properties(metadata))
        self._pending[session] = PendingEvent(PROJECT_RUN, properties, started_at)

    def add_catalog(self, catalog: Any) -> dict[str, Any] | None:
        """Count the catalog; the session's finished event, if this completes one."""
        if self._in_command:
            pending = self._command.event if self._command is not None else None
        else:
            session = self._current() if self._current is not None else None
            pending = self._pending.pop(session, None) if session is not None else None
            if pending is not None:
                self._counted.add(session)
        if pending is None:
            return None
        from kedro_telemetry.collect.counts import count_properties

        pending.properties.update(count_properties(catalog))
        return None if self._in_command else pending.finish()


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
    from kedro_telemetry.collect.masking import command_properties

    return command_properties(_running_cli(), command_args)


def _running_cli() -> Any:
    """The running CLI, or ``None``: then every argument is masked.

    A failure here must not drop the command, or the project hooks would take
    it for a session run without the CLI.
    """
    from kedro_telemetry.collect.masking import running_cli

    try:
        return running_cli()
    except Exception:
        from kedro_telemetry.logs import stderr_logger

        stderr_logger().debug("the running CLI is unknown", exc_info=True)
        return None


def now() -> datetime:
    """The time an action begins, in UTC as Heap takes it."""
    return datetime.now(timezone.utc)


_tracker: ActionTracker | None = None


def tracker() -> ActionTracker:
    """The one tracker of this process, shared by every hook object.

    Sharing it is what keeps a hook registered twice (entry point and
    ``settings.py``) from producing a second event.
    """
    global _tracker  # noqa: PLW0603
    if _tracker is None:
        _tracker = ActionTracker()
    return _tracker
