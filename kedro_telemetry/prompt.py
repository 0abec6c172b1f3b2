"""The one question the plugin asks, and where the answer is kept.

``consent.decide`` asks only when nothing decided yet, a person is at a
terminal and the project has no valid ``.telemetry`` of its own (or one whose
yes git tracks); so this module is imported about once per project, never by
a command whose consent is known.
"""

from __future__ import annotations

from pathlib import Path

from kedro_telemetry.consent_file import (
    reason,
    write_consent_file,
    write_project_answer,
)

__all__ = ["ask_and_record"]


_QUESTION = """\
Kedro-Telemetry asks once per project: may Kedro send anonymous usage data to the
Kedro maintainers, so they can see which commands and features are used?
Each kedro command would send one event: the command with every value replaced by
*****, SHA-256 hashes of your host, user, project and package names, the Kedro,
Python and plugin versions, your OS, and counts of datasets, nodes and pipelines.
Full list: https://github.com/kedro-org/kedro-plugins/tree/main/kedro-telemetry
{saved}
To answer once for all your projects: `kedro telemetry enable --global`
or `kedro telemetry disable --global`.
Share anonymous usage data?"""

_SAVED_IN_PROJECT = (
    "Your answer is saved in {path}; `kedro telemetry enable` or `disable` changes it."
)
_SAVED_FOR_YOU = """\
This project's {name} is tracked by git: it came with the repository, so a yes
in it is nobody's answer here. Yours is kept for you alone in {answers}
({name} is left as it is); `kedro telemetry enable` or `disable` changes it."""


def ask_and_record(
    project_file: Path, answers: tuple[Path, str] | None
) -> tuple[bool, str] | None:
    """Ask on stderr, keep the answer and return it with where it is kept.

    The answer goes to ``project_file``, or, when ``answers`` is given (the
    answers file and the project's key there), to that file and never to a
    file git tracks. ``None``: the question was interrupted.
    """
    import click

    if answers is None:
        saved = _SAVED_IN_PROJECT.format(path=project_file)
    else:
        saved = _SAVED_FOR_YOU.format(name=project_file.name, answers=answers[0])
    try:
        answer = click.confirm(_QUESTION.format(saved=saved), default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return None
    destination = project_file if answers is None else answers[0]
    try:
        if answers is None:
            write_consent_file(project_file, answer)
        else:
            write_project_answer(answers[0], answers[1], answer)
    except OSError as error:
        click.echo(
            f"Kedro-Telemetry could not save your answer in {destination} "
            f"({reason(error)}); it applies to this command only.",
            err=True,
        )
    else:
        if answers is None and _git_would_track(project_file):
            click.echo(
                f"Kedro-Telemetry: git does not ignore {project_file}. Once it is "
                "committed, its yes counts for nobody, you included: whoever runs "
                "kedro in a clone is asked again, and a no in it still counts for "
                f"everyone. Add {project_file.name} to the project's .gitignore.",
                err=True,
            )
    return answer, str(destination)


_GIT_TIMEOUT_SECONDS = 2.0


def _git_would_track(path: Path) -> bool:
    """Whether ``git add`` in the project would pick ``path`` up.

    Asked only after a person answered the question, so git starts once per
    project at most. Outside a work tree, without git, or on any doubt, the
    answer is no: the warning is a courtesy, never a guess.
    """
    directory = path.parent
    folders = (directory, *directory.parents)
    if not any((folder / ".git").exists() for folder in folders):
        return False
    import subprocess

    try:
        result = subprocess.run(
            ["git", "check-ignore", "--quiet", path.name],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 1  # 0: ignored; 128: not a work tree, or an error
