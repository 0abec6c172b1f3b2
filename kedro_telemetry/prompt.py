"""The one question the plugin asks, and what happens to the answer.

``consent.decide`` asks only when nothing has decided yet, a person is at a
terminal, and the project has no valid ``.telemetry``; so this module is
imported about once per project, never by a command whose consent is known.
"""

from __future__ import annotations

from pathlib import Path

from kedro_telemetry.consent import Decision, reason, write_consent_file

__all__ = ["ask_and_record"]


_QUESTION = """\
Kedro-Telemetry asks once per project: may Kedro send anonymous usage data to the
Kedro maintainers, so they can see which commands and features are used?
Each kedro command would send one event: the command with every value replaced by
*****, SHA-256 hashes of your host, user, project and package names, the Kedro,
Python and plugin versions, your OS, and counts of datasets, nodes and pipelines.
Full list: https://github.com/kedro-org/kedro-plugins/tree/main/kedro-telemetry
Your answer is saved in {path}; `kedro telemetry enable` or `disable` changes it.
To answer once for all your projects: `kedro telemetry enable --global`
or `kedro telemetry disable --global`.
Share anonymous usage data?"""


def ask_and_record(path: Path) -> Decision:
    """Ask the question on stderr, save the answer in ``path`` and return it."""
    import click

    try:
        answer = click.confirm(_QUESTION.format(path=path), default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return Decision(None, "undecided")
    try:
        write_consent_file(path, answer)
    except OSError as error:
        click.echo(
            f"Kedro-Telemetry could not save your answer in {path} ({reason(error)}); "
            "it applies to this command only.",
            err=True,
        )
    else:
        if _git_would_track(path):
            click.echo(
                f"Kedro-Telemetry: git does not ignore {path}, so committing it "
                "would give your answer to everyone who clones the project. "
                f"Add {path.name} to the project's .gitignore.",
                err=True,
            )
    return Decision(answer, "prompt", str(path))


_GIT_TIMEOUT_SECONDS = 2.0


def _git_would_track(path: Path) -> bool:
    """Whether ``git add`` in the project would pick ``path`` up.

    Asked only after a person answered the prompt, so the cost of starting git
    is paid once per project. Outside a work tree, without git, or on any
    doubt, the answer is no: the warning is a courtesy, never a guess.
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
