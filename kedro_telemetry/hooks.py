"""The hook object Kedro calls; thin on purpose.

Kedro calls CLI hooks without any guard, so an exception here would abort the
user's command. Every hook body therefore runs inside :func:`_boundary`, which
swallows any failure of ours after a debug line. The work itself lives in
``tracker`` (what the event says) and ``outbox.wake`` (where it goes); this
module only translates Kedro's calls and hands a finished event from one to the
other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kedro.framework.cli.hooks import cli_hook_impl
from kedro.framework.hooks import hook_impl

from kedro_telemetry import environment
from kedro_telemetry.logs import stderr_logger

if TYPE_CHECKING:
    from kedro_telemetry.tracker import ActionTracker

__all__ = ["KedroTelemetryHook", "telemetry_hook"]

logger = stderr_logger()


@contextlib.contextmanager
def _boundary(hook_name: str) -> Iterator[None]:
    """Run a hook body so that nothing it does can fail the Kedro command."""
    try:
        yield
    except Exception:
        # Shown only in debug mode (``KEDRO_TELEMETRY_DEBUG``), which the person
        # asks for on their own terminal: the whole traceback, to find our bug.
        logger.debug("%s skipped", hook_name, exc_info=True)


def _active_tracker() -> ActionTracker | None:
    """The process's tracker, or ``None`` when an opt-out variable is set.

    The variable wins over everything, so checking it first lets an opted-out
    command skip importing the rest of the plugin altogether.
    """
    if environment.disabling_variable():
        return None
    from kedro_telemetry.tracker import tracker

    return tracker()


def _queue(event: dict[str, Any] | None) -> None:
    if event is not None:
        from kedro_telemetry.outbox.wake import queue_event

        queue_event(event)


class KedroTelemetryHook:
    """Registered under ``kedro.cli_hooks`` and ``kedro.hooks``.

    It may also be listed in a project's ``settings.py``; all instances share
    one tracker, so the command still yields exactly one event.
    """

    @cli_hook_impl
    def before_command_run(
        self, project_metadata: Any, command_args: list[str]
    ) -> None:
        with _boundary("before_command_run"):
            if active := _active_tracker():
                active.start_command(project_metadata, list(command_args))

    @cli_hook_impl
    def after_command_run(
        self, project_metadata: Any, command_args: list[str], exit_code: int
    ) -> None:
        with _boundary("after_command_run"):
            if active := _active_tracker():
                _queue(active.finish_command())

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        with _boundary("after_context_created"):
            if active := _active_tracker():
                active.add_context(context)

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        with _boundary("after_catalog_created"):
            if active := _active_tracker():
                _queue(active.add_catalog(catalog))


# The object the entry points name.
telemetry_hook = KedroTelemetryHook()
