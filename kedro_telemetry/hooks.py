"""The hook object Kedro calls; thin on purpose.

Kedro calls CLI hooks without any guard, so an exception here would abort the
user's command. Every hook body therefore runs inside :func:`_boundary`, which
swallows any failure of ours after a debug line. The work itself lives in
``recorder``; this module only translates Kedro's calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kedro.framework.cli.hooks import cli_hook_impl
from kedro.framework.hooks import hook_impl

from kedro_telemetry.logs import stderr_logger

__all__ = ["KedroTelemetryHook", "telemetry_hook"]

logger = stderr_logger()


@contextlib.contextmanager
def _boundary(hook_name: str) -> Iterator[None]:
    """Run a hook body so that nothing it does can fail the Kedro command."""
    try:
        yield
    except Exception as error:
        # The type only: a message could quote the command line or a path.
        logger.debug("%s skipped (%s)", hook_name, type(error).__name__)


class KedroTelemetryHook:
    """Registered under ``kedro.cli_hooks`` and ``kedro.hooks``.

    It may also be listed in a project's ``settings.py``; all instances share
    one recorder, so the command still yields exactly one event.
    """

    @cli_hook_impl
    def before_command_run(
        self, project_metadata: Any, command_args: list[str]
    ) -> None:
        with _boundary("before_command_run"):
            from kedro_telemetry.masking import running_cli
            from kedro_telemetry.recorder import recorder

            try:
                cli = running_cli()
            except Exception:
                # Without a command tree every argument is masked; the command
                # must still be recorded, or the project hooks would take it
                # for a session run without the CLI.
                cli = None
            recorder().start_command(project_metadata, list(command_args), cli)

    @cli_hook_impl
    def after_command_run(
        self, project_metadata: Any, command_args: list[str], exit_code: int
    ) -> None:
        with _boundary("after_command_run"):
            from kedro_telemetry.recorder import recorder

            recorder().finish_command()

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        with _boundary("after_context_created"):
            from kedro_telemetry.recorder import recorder

            recorder().add_context(context.project_path)

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        with _boundary("after_catalog_created"):
            from kedro_telemetry.recorder import recorder

            recorder().add_catalog(catalog)


# The object the entry points name.
telemetry_hook = KedroTelemetryHook()
