"""The one question the plugin asks, and where the answer is kept.

``consent.decide`` asks only when nothing decided yet, a person is at a
terminal and no valid answer of theirs covers what is sent now; so this
module is imported about once per person and project.
"""

from __future__ import annotations

from pathlib import Path

import click

from kedro_telemetry import collect
from kedro_telemetry.consent import git
from kedro_telemetry.consent.records import write_answer
from kedro_telemetry.files import describe_os_error

__all__ = ["ask_and_record"]


_QUESTION = """\
{opening}
Each kedro command would send one event: the command with every value replaced by
*****, keyed hashes of your host and user names (the key never leaves this machine),
SHA-256 hashes of the project and package names, the Kedro, Python and plugin
versions, your OS, and counts of datasets, nodes and pipelines.
Full list: https://github.com/kedro-org/kedro-plugins/tree/main/kedro-telemetry
{saved}
To answer once for all your projects: `kedro telemetry enable --global`
or `kedro telemetry disable --global`.
Share anonymous usage data?"""

_FIRST_TIME = """\
Kedro-Telemetry asks once per project: may Kedro send anonymous usage data to the
Kedro maintainers, so they can see which commands and features are used?"""

_AGAIN = """\
Kedro-Telemetry asks again: you said yes to what it sent before, and it now sends
more: {news}."""

_SAVED_IN_PROJECT = (
    "Your answer is saved in {path}; `kedro telemetry enable` or `disable` changes it."
)
_SAVED_FOR_YOU = """\
This project's {name} cannot hold your answer: {why}.
Yours is kept for you alone in {answers} ({name} is left as it is);
`kedro telemetry enable` or `disable` changes it."""


def ask_and_record(
    project_file: Path,
    answers: tuple[Path, str] | None,
    why_elsewhere: str,
    outdated_yes: int | None,
) -> tuple[bool, str] | None:
    """Ask on stderr, keep the answer and return it with where it is kept.

    The answer goes to ``project_file``, or, when ``answers`` is given (the
    person's answers file and the project's key there), to that file, never
    to a file that holds another person's answer or that git tracks
    (``why_elsewhere`` says which).
    ``outdated_yes``: the version an earlier yes covered, so the question
    says what is new. ``None`` is returned when the question was interrupted.
    """
    if answers is None:
        saved = _SAVED_IN_PROJECT.format(path=project_file)
    else:
        saved = _SAVED_FOR_YOU.format(
            name=project_file.name, why=why_elsewhere, answers=answers[0]
        )
    question = _QUESTION.format(opening=_opening(outdated_yes), saved=saved)
    try:
        answer = click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return None
    destination = project_file if answers is None else answers[0]
    try:
        write_answer(destination, None if answers is None else answers[1], answer)
    except OSError as error:
        click.echo(
            f"Kedro-Telemetry could not save your answer in {destination} "
            f"({describe_os_error(error)}); it applies to this command only.",
            err=True,
        )
    else:
        if answers is None and git.would_track(project_file):
            click.echo(
                f"Kedro-Telemetry: git does not ignore {project_file}. Once it is "
                "committed, its yes counts for nobody, you included: whoever runs "
                "kedro in a clone is asked again, and a no in it still counts for "
                f"everyone. Add {project_file.name} to the project's .gitignore.",
                err=True,
            )
    return answer, str(destination)


def _opening(outdated_yes: int | None) -> str:
    """The first lines: a first question, or what changed since the last yes."""
    if outdated_yes is None:
        return _FIRST_TIME
    news = [
        collect.NEW_IN_VERSION[version]
        for version in range(outdated_yes + 1, collect.CONSENT_VERSION + 1)
        if version in collect.NEW_IN_VERSION
    ]
    return _AGAIN.format(news="; ".join(news) or "see the full list below")
