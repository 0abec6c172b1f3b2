"""``kedro telemetry ...``: see and change what Kedro-Telemetry does.

Registered as a global command group, so it works inside and outside a project.
Only ``click`` is imported at module level: Kedro loads this module on every
command to build its help.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = ["commands"]


# No docstring on purpose: Kedro joins the help of every global group into its
# own ``kedro --help`` text, so any help here would change Kedro's words.
# ``kedro telemetry --help`` has its own text, on the group below.
@click.group(name="kedro-telemetry")
def commands() -> None:
    pass


class _TelemetryGroup(click.Group):
    """Turns a file-system failure into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # ``status | head``: the reader left, no file failed
            raise
        except OSError as error:
            from kedro_telemetry.files import describe_os_error

            raise click.ClickException(
                "Kedro-Telemetry could not read or write its files: "
                + describe_os_error(error)
            ) from error


@commands.group(name="telemetry", cls=_TelemetryGroup)
def telemetry() -> None:
    """See and change whether Kedro sends anonymous usage data."""


@telemetry.command()
def status() -> None:
    """Say whether data is collected here, and which setting decided it."""
    from kedro_telemetry import consent, files
    from kedro_telemetry.outbox import report

    project = _current_project()
    decision = consent.decide(project)
    state = "collected" if decision.collects else "not collected"
    lines = [f"Usage data is {state} here ({decision.describe()})."]
    lines += [f"Not counted: {note}." for note in decision.notes]
    lines += [
        f"Project: {project if project else 'none (outside a Kedro project)'}",
        f"Machine-wide policy file: {files.policy_file()}",
        f"Endpoint: {_endpoint()}",
        f"Waiting in the outbox: {_answer(report.waiting_summary)}",
        f"Last delivery: {_answer(report.last_delivery)}",
        f"Dropped lately: {_answer(report.dropped_summary)}",
    ]
    click.echo("\n".join(lines))


def _answer(question: Callable[[], str]) -> str:
    """``question()``, or why the plugin's own files could not answer it.

    ``status`` only reads, and answers what it can: a damaged state directory
    (a regular file in its place, no home) is a line, never a failure.
    """
    try:
        return question()
    except OSError as error:
        return f"unknown ({_reason(error)})"


def _endpoint() -> str:
    from kedro_telemetry import environment

    endpoint = environment.endpoint()
    problem = environment.endpoint_problem(endpoint)
    if problem:
        return f"{endpoint!r}: {problem}, so nothing is queued or sent"
    return endpoint


@telemetry.command()
@click.option("--global", "user_wide", is_flag=True, help="Apply to all your projects.")
def enable(user_wide: bool) -> None:
    """Allow sending anonymous usage data from this project."""
    _record_choice(True, user_wide)


@telemetry.command()
@click.option("--global", "user_wide", is_flag=True, help="Apply to all your projects.")
def disable(user_wide: bool) -> None:
    """Stop sending anonymous usage data from this project."""
    _record_choice(False, user_wide)


@telemetry.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def show(as_json: bool) -> None:
    """List the events waiting to be sent and the last ones delivered."""
    import json

    from kedro_telemetry.outbox import report

    rows: list[dict[str, Any]] = []
    for state, read in report.EVENTS.items():
        try:
            rows += [report.as_row(state, event) for event in read()]
        except OSError as error:  # only reads: say what it could not read, go on
            click.echo(
                f"Kedro-Telemetry could not read its {state} events: {_reason(error)}",
                err=True,
            )
    if as_json:
        try:
            text = json.dumps(rows, indent=2)
        except (ValueError, RecursionError):  # hand-edited files, nested too deep
            click.echo("Kedro-Telemetry could not show its files as JSON.", err=True)
            return
        click.echo(text)
        return
    if not rows:
        click.echo("No events are waiting and none were delivered yet.")
        return
    for row in rows:
        click.echo(report.row_line(row))


@telemetry.command()
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Give up after this many seconds.",
)
def flush(timeout: float) -> None:
    """Send the waiting events now, for instance at the end of a CI job."""
    from kedro_telemetry.logs import stderr_logger
    from kedro_telemetry.sender.flush import flush as flush_outbox

    stderr_logger()
    try:
        report = flush_outbox(timeout)
    except Exception as error:  # it ends CI jobs: never fail one
        stderr_logger().debug("the flush failed", exc_info=True)
        detail = _reason(error) if isinstance(error, OSError) else type(error).__name__
        click.echo(f"Kedro-Telemetry could not flush its outbox: {detail}", err=True)
        return
    message = f"Sent {report.sent} event(s); {report.left} left in the outbox."
    if report.dropped:
        message += f" Dropped {report.dropped} (see kedro telemetry status)."
    if report.problem:
        message += f" Last problem: {report.problem}."
    click.echo(message)


def _record_choice(consent_given: bool, user_wide: bool) -> None:
    from kedro_telemetry import consent, files
    from kedro_telemetry.consent.records import write_answer

    project = None if user_wide else _current_project()
    if not user_wide and project is None:
        raise click.UsageError(
            "There is no Kedro project here. Run this inside a project, "
            "or add --global to decide for all your projects."
        )
    try:
        if project is None:
            path, key, scope = files.user_consent_file(), None, "all your projects"
        else:
            # Another person's .telemetry, or one git tracks, is never changed:
            # this person's answer is then kept for them alone (``key``).
            path, key = consent.answer_destination(project)
            scope = "this project, for you alone" if key else "this project"
        write_answer(path, key, consent_given)
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        raise click.ClickException(
            f"Could not write{where}: {_reason(error)}"
        ) from error
    verb = "enabled" if consent_given else "disabled"
    click.echo(f"Telemetry {verb} for {scope} ({path}).")
    decision = consent.decide(project)
    if consent_given and not decision.collects:
        if decision.source == "environment":
            click.echo(
                f"Note: {decision.where} is set, "
                "and it keeps telemetry off while it is."
            )
        else:
            click.echo(f"Note: telemetry stays off here: {decision.describe()}.")


def _reason(error: OSError) -> str:
    from kedro_telemetry.files import describe_os_error

    return describe_os_error(error)


def _current_project() -> Path | None:
    from kedro_telemetry.collect.kedro_compat import find_project

    return find_project(Path.cwd())
