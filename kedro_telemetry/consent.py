"""Who decides whether telemetry is collected here: one ordered list.

Each consent source is one entry of ``SOURCES``, read in order; the first that
decides wins, and nobody deciding means nothing is collected. A source that
reads a setting which does not count (a policy's yes, a yes that git tracks)
leaves a note that ``kedro telemetry status`` shows. Adding a source is adding
its entry here.

Everything but the question is read again at every decision, so a change
counts at once, also in a notebook kernel that runs sessions for hours; from
a process's second decision on, what the files said is kept while they are
unchanged (``file_memo``). One command still acts on one decision: the
tracker decides once, at the CLI stage, for both stages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kedro_telemetry import environment, files
from kedro_telemetry.consent_file import (
    ConsentFile,
    FileState,
    read_consent_file,
    read_project_answer,
    reason,
    write_consent_file,
)
from kedro_telemetry.decision import Decision
from kedro_telemetry.git_index import Tracked

if TYPE_CHECKING:
    from kedro_telemetry.file_memo import FileMemo

__all__ = [
    "SOURCES",
    "ConsentFile",
    "Decision",
    "FileState",
    "Source",
    "decide",
    "forget",
    "project_key",
    "read_consent_file",
    "reason",
    "tracked_by_git",
    "write_consent_file",
]


class _Look:
    """One decision in progress: what the sources read, for the later ones."""

    def __init__(
        self, project: Path | None, may_prompt: bool, memo: FileMemo | None
    ) -> None:
        self.project = project
        self.may_prompt = may_prompt
        self.memo = memo
        self.notes: list[str] = []
        self.project_file: ConsentFile | None = None
        # The project's ``.telemetry`` cannot hold this person's answer (git
        # tracks it): their own answer is kept in the answers file instead.
        self.answer_elsewhere = False

    def consent_file(self, path: Path) -> ConsentFile:
        if self.memo is None:
            return read_consent_file(path)
        return self.memo.get(path, "consent", lambda: read_consent_file(path))

    def project_answer(self, path: Path, project: str) -> ConsentFile:
        if self.memo is None:
            return read_project_answer(path, project)
        return self.memo.get(
            path, f"answer {project}", lambda: read_project_answer(path, project)
        )

    def tracked(self, path: Path) -> str:
        from kedro_telemetry import git_index

        location = git_index.locate(path)
        if location is None:
            return Tracked.NO
        if self.memo is None:
            return git_index.tracks(location)
        return self.memo.get(
            location.index_file,
            f"tracked {location.name!r}",
            lambda: git_index.tracks(location),
        )


Verdict = tuple[bool, str] | None  # the consent and where it was found


class Source:
    """One consent source: how it is read, and how it names itself to people."""

    __slots__ = ("look", "name", "silent", "wording")

    def __init__(
        self,
        name: str,
        wording: str,  # "disabled by <wording> <where>"
        look: Callable[[_Look], Verdict],
        silent: bool = False,  # a no from it is not reminded on stderr
    ) -> None:
        self.name = name
        self.wording = wording
        self.look = look
        self.silent = silent


def _opt_out_variables(look: _Look) -> Verdict:
    variable = environment.disabling_variable()
    return (False, variable) if variable else None


def _maintainers_ci(look: _Look) -> Verdict:
    return (False, "") if environment.is_maintainers_ci() else None


def _machine_policy(look: _Look) -> Verdict:
    path = files.policy_file()
    found = look.consent_file(path)
    if found.state != FileState.DECIDED:
        return None
    if found.consent is False:
        return False, str(path)
    look.notes.append(
        f"the machine-wide policy {path} says yes, but an administrator cannot "
        "consent for you, so it is ignored"
    )
    return None


def _project_file(look: _Look) -> Verdict:
    if look.project is None:
        return None
    found = look.consent_file(files.project_consent_file(look.project))
    look.project_file = found
    if found.state == FileState.INVALID:
        # The question would overwrite it: not if git tracks it.
        look.answer_elsewhere = look.tracked(found.path) != Tracked.NO
    if found.state != FileState.DECIDED:
        return None
    if found.consent is False:  # saying no is always safe, whoever wrote it
        return False, str(found.path)
    tracked = look.tracked(found.path)
    if tracked == Tracked.NO:
        return True, str(found.path)
    look.answer_elsewhere = True
    if tracked == Tracked.YES:
        why = "git tracks it, so that yes came with the repository"
    else:
        why = "git's index could not be read, so that yes may have come with it"
    look.notes.append(f"the project's .telemetry {found.path} says yes, but {why}")
    return None


def _own_answer(look: _Look) -> Verdict:
    if not look.answer_elsewhere or look.project is None:
        return None
    try:
        path = files.project_answers_file()
    except files.NoHomeError:
        return None
    found = look.project_answer(path, project_key(look.project))
    if found.state != FileState.DECIDED or found.consent is None:
        return None
    return found.consent, str(path)


def _user_file(look: _Look) -> Verdict:
    try:
        path = files.user_consent_file()
    except files.NoHomeError:  # no home, so no user-wide choice either
        return None
    found = look.consent_file(path)
    if found.state != FileState.DECIDED or found.consent is None:
        return None
    return found.consent, str(path)


def _question(look: _Look) -> Verdict:
    project_file = look.project_file
    if (
        not look.may_prompt
        or look.project is None
        or project_file is None
        or project_file.state == FileState.UNUSABLE
        or (project_file.state == FileState.DECIDED and not look.answer_elsewhere)
        or not _can_ask()
    ):
        return None
    from kedro_telemetry.prompt import ask_and_record

    answers = None
    if look.answer_elsewhere:
        try:
            answers = files.project_answers_file(), project_key(look.project)
        except files.NoHomeError:
            return None
    return ask_and_record(project_file.path, answers)


# The order is the rule: the README lists the same order.
SOURCES: tuple[Source, ...] = (
    Source("environment", "the environment variable", _opt_out_variables, True),
    Source(
        "maintainers-ci",
        f"{environment.MAINTAINERS_CI_VARIABLE}=kedro-org "
        "(the Kedro maintainers' own CI)",
        _maintainers_ci,
        True,
    ),
    Source("policy", "the machine-wide policy", _machine_policy, True),
    Source("project", "the project's .telemetry file", _project_file),
    Source(
        "own-answer",
        "your own answer for this project, kept in",
        _own_answer,
    ),
    Source("user", "your user-wide setting", _user_file),
    Source("prompt", "your answer at the prompt, saved in", _question, True),
)


class _Memory:
    """The process's memo, made at its second decision: a command decides once."""

    def __init__(self) -> None:
        self.decisions = 0
        self.memo: FileMemo | None = None

    def for_next_decision(self) -> FileMemo | None:
        self.decisions += 1
        if self.decisions > 1 and self.memo is None:
            from kedro_telemetry.file_memo import FileMemo

            self.memo = FileMemo(64)
        return self.memo


_memory = _Memory()


def decide(project_path: Path | None, *, may_prompt: bool = False) -> Decision:
    """The consent for ``project_path`` (``None`` outside a project)."""
    look = _Look(project_path, may_prompt, _memory.for_next_decision())
    for source in SOURCES:
        verdict = source.look(look)
        if verdict is not None:
            consent, where = verdict
            notes = tuple(look.notes)
            return Decision(
                consent, source.name, where, source.wording, source.silent, notes
            )
    return Decision(None, "undecided", notes=tuple(look.notes))


def forget() -> None:
    """Drop what was read, after the files were changed in this process."""
    if _memory.memo is not None:
        _memory.memo.clear()


def project_key(project_path: Path) -> str:
    """How the answers file names a project: its absolute path, links resolved."""
    return os.path.realpath(project_path)


def tracked_by_git(path: Path) -> bool:
    """Whether git tracks ``path``, or its index cannot say (then: as if it did)."""
    return _Look(None, False, None).tracked(path) != Tracked.NO


def _can_ask() -> bool:
    """A question needs a person: a terminal on both ends and no CI service."""
    try:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
    return interactive and not environment.is_ci()
