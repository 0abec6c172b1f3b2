"""Who decides whether telemetry is collected here: one ordered list.

Each consent source is one entry of ``SOURCES``, read in order; the first that
decides wins, and nobody deciding means nothing is collected. A no counts
from anyone; a yes counts only when it is this person's own, and covers what
the plugin sends now:

- a project's ``.telemetry`` yes counts for the user who owns the file
  (Linux, macOS), and only while git does not track it (a tracked yes came
  with the repository). Anyone else there keeps their own answer for the
  project in their own config directory, never in the project;
- a yes names the version of "what is sent" it agreed to
  (``collect.CONSENT_VERSION``); a yes to an older version is not a yes to
  this one, and the question comes again.

A source that reads a setting which does not count leaves a note that
``kedro telemetry status`` shows. Everything but the question is read again
at every decision, so a change counts at once, also in a notebook kernel that
runs sessions for hours. Adding a source is adding its entry here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from kedro_telemetry import collect, environment, files
from kedro_telemetry.consent.records import (
    ConsentFile,
    FileState,
    read_consent_file,
    read_project_answer,
)

__all__ = ["SOURCES", "Decision", "Source", "answer_destination", "decide"]


class Decision:
    """What was decided, by which consent source, and what did not count.

    ``wording`` and ``silent`` come from the source's entry in ``SOURCES``;
    ``notes`` name settings that were read and did not count, with the reason
    (a policy's yes, someone else's yes, a yes git tracks, an older yes).
    """

    __slots__ = ("consent", "notes", "silent", "source", "where", "wording")

    def __init__(  # noqa: PLR0917 (the fields, in order)
        self,
        consent: bool | None,
        source: str,
        where: str = "",  # the variable's name or the file's path
        wording: str = "",  # how the source names itself to people
        silent: bool = True,  # a no from this source is not reminded on stderr
        notes: tuple[str, ...] = (),
    ) -> None:
        self.consent = consent
        self.source = source
        self.where = where
        self.wording = wording
        self.silent = silent
        self.notes = notes

    def __repr__(self) -> str:
        return f"Decision({self.consent!r}, {self.source!r}, {self.where!r})"

    @property
    def collects(self) -> bool:
        """Only an explicit yes lets anything be collected."""
        return self.consent is True

    def describe(self) -> str:
        """One line for people: what was decided and by which setting."""
        if self.consent is None:
            return "not decided yet"
        verb = "enabled" if self.consent else "disabled"
        return f"{verb} by {self.wording} {self.where}".rstrip()


class _Look:
    """One decision in progress: what the sources read, for the later ones."""

    def __init__(self, project: Path | None, may_prompt: bool) -> None:
        self.project = project
        self.may_prompt = may_prompt
        self.notes: list[str] = []
        self.project_file: ConsentFile | None = None
        # Why the project's ``.telemetry`` cannot hold this person's answer
        # (someone else's file, or git tracks it), so that it goes to their
        # own file; "" when it can.
        self.answer_elsewhere = ""
        # The version of "what is sent" that this person's last yes covered,
        # when it is older than this plugin's: the question says what is new.
        self.outdated_yes: int | None = None

    def current_yes(self, found: ConsentFile, where: str) -> bool:
        """Whether a yes in ``found`` covers what is sent now; notes it if not."""
        if found.version >= collect.CONSENT_VERSION:
            return True
        self.outdated_yes = found.version
        self.notes.append(
            f"{where} says yes to what version {found.version} of the plugin "
            f"sent; version {collect.CONSENT_VERSION} sends more, so you are "
            "asked again"
        )
        return False


Verdict = tuple[bool, str] | None  # the consent, and where it was found


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
    found = read_consent_file(path)
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
    found = read_consent_file(files.project_consent_file(look.project))
    look.project_file = found
    if found.state in (FileState.MISSING, FileState.UNUSABLE):
        return None
    if found.consent is False:  # saying no is always safe, whoever wrote it
        return False, str(found.path)
    # A yes, or a file the question would overwrite: is it this person's?
    why_not = _why_not_yours(found)
    where = f"the project's .telemetry {found.path}"
    if why_not:
        look.answer_elsewhere = why_not
        if found.consent:
            look.notes.append(f"{where} says yes, but {why_not}")
        return None
    if found.consent and look.current_yes(found, where):
        return True, str(found.path)
    return None


def _why_not_yours(found: ConsentFile) -> str:
    """Why ``found`` cannot hold this person's answer, or "" when it can."""
    other = _other_owner(found.owner)
    if other:
        return f"it belongs to {other}, so it holds their answer, not yours"
    from kedro_telemetry.consent import git

    tracked = git.tracks(found.path)
    if tracked is None:
        return "git could not say whether it tracks it, so it may have come with it"
    if tracked:
        return "git tracks it, so it came with the repository"
    return ""


def _other_owner(owner: int | None) -> str:
    """Who owns a file, when that is not the user running this; else ""."""
    if sys.platform == "win32" or owner is None:
        return ""  # Windows: see the privacy page on who owns a file there
    if owner == os.geteuid():
        return ""
    import pwd

    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        return f"the user with id {owner}"
    return f"the user {name}"


def _own_answer(look: _Look) -> Verdict:
    if look.project is None:
        return None
    try:
        path = files.project_answers_file()
    except files.NoHomeError:
        return None
    found = read_project_answer(path, answer_key(look.project))
    if found.state != FileState.DECIDED or found.consent is None:
        return None
    if found.consent and not look.current_yes(found, f"your answer in {path}"):
        return None
    return found.consent, str(path)


def _user_file(look: _Look) -> Verdict:
    try:
        path = files.user_consent_file()
    except files.NoHomeError:  # no home, so no user-wide choice either
        return None
    found = read_consent_file(path)
    if found.state != FileState.DECIDED or found.consent is None:
        return None
    if found.consent and not look.current_yes(found, f"your user-wide {path}"):
        return None
    return found.consent, str(path)


def _question(look: _Look) -> Verdict:
    if (
        not look.may_prompt
        or look.project is None
        or look.project_file is None
        or look.project_file.state == FileState.UNUSABLE
        or not _can_ask()
    ):
        return None
    from kedro_telemetry.consent.prompt import ask_and_record

    answers = None
    if look.answer_elsewhere:
        try:
            answers = files.project_answers_file(), answer_key(look.project)
        except files.NoHomeError:
            return None
    return ask_and_record(
        look.project_file.path, answers, look.answer_elsewhere, look.outdated_yes
    )


# The order is the rule: the privacy page lists the same order.
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
    Source("own-answer", "your own answer for this project, kept in", _own_answer),
    Source("user", "your user-wide setting", _user_file),
    Source("prompt", "your answer at the prompt, saved in", _question, True),
)


def decide(project_path: Path | None, *, may_prompt: bool = False) -> Decision:
    """The consent for ``project_path`` (``None`` outside a project)."""
    look = _Look(project_path, may_prompt)
    for source in SOURCES:
        verdict = source.look(look)
        if verdict is not None:
            consent, where = verdict
            notes = tuple(look.notes)
            return Decision(
                consent, source.name, where, source.wording, source.silent, notes
            )
    return Decision(None, "undecided", notes=tuple(look.notes))


def answer_key(project_path: Path) -> str:
    """How the answers file names a project: its absolute path, links resolved."""
    return os.path.realpath(project_path)


def answer_destination(project_path: Path) -> tuple[Path, str | None]:
    """Where this person's answer for a project goes, for ``enable``/``disable``.

    The project's ``.telemetry`` when it is theirs to write (missing, or
    theirs and not tracked by git); otherwise their answers file, and the
    project's key there, so that nobody else's answer is ever changed.
    """
    found = read_consent_file(files.project_consent_file(project_path))
    if found.state == FileState.MISSING or (
        found.state != FileState.UNUSABLE and not _why_not_yours(found)
    ):
        return found.path, None
    return files.project_answers_file(), answer_key(project_path)


def _can_ask() -> bool:
    """A question needs a person: a terminal on both ends and no CI service."""
    try:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
    return interactive and not environment.is_ci()
