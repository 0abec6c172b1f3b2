"""The consent sources, in the order that is the rule (see ``consent``).

Each source reads one setting and returns a verdict (the consent and where it
was found) or ``None`` to let the next one decide; ``Look`` carries what the
earlier sources read to the later ones. Adding a source is adding its entry to
``SOURCES``, in its place, with the words ``kedro telemetry status`` uses.
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
    answer_key,
    read_consent_file,
    read_project_answer,
)

__all__ = ["SOURCES", "Look", "Source", "Verdict", "why_not_yours"]


class Look:
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
            f"sent; version {collect.CONSENT_VERSION} sends more, so it does not "
            "count until you answer again"
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
        look: Callable[[Look], Verdict],
        silent: bool = False,  # a no from it is not reminded on stderr
    ) -> None:
        self.name = name
        self.wording = wording
        self.look = look
        self.silent = silent


def _opt_out_variables(look: Look) -> Verdict:
    variable = environment.disabling_variable()
    return (False, variable) if variable else None


def _maintainers_ci(look: Look) -> Verdict:
    return (False, "") if environment.is_maintainers_ci() else None


def _machine_policy(look: Look) -> Verdict:
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


def _project_file(look: Look) -> Verdict:
    if look.project is None:
        return None
    found = read_consent_file(files.project_consent_file(look.project))
    look.project_file = found
    if found.state in (FileState.MISSING, FileState.UNUSABLE):
        return None
    if found.consent is False:  # saying no is always safe, whoever wrote it
        return False, str(found.path)
    # A yes, or a file the question would overwrite: is it this person's?
    why_not = why_not_yours(found)
    where = f"the project's .telemetry {found.path}"
    if why_not:
        look.answer_elsewhere = why_not
        if found.consent:
            look.notes.append(f"{where} says yes, but {why_not}")
        return None
    if found.consent and look.current_yes(found, where):
        return True, str(found.path)
    return None


def why_not_yours(found: ConsentFile) -> str:
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


def _own_answer(look: Look) -> Verdict:
    if look.project is None:
        return None
    try:
        path = files.project_answers_file()
    except files.NoHomeError:
        return None
    found = read_project_answer(path, answer_key(look.project))
    return _your_answer(look, found, f"your answer in {path}")


def _user_file(look: Look) -> Verdict:
    try:
        path = files.user_consent_file()
    except files.NoHomeError:  # no home, so no user-wide choice either
        return None
    return _your_answer(look, read_consent_file(path), f"your user-wide {path}")


def _your_answer(look: Look, found: ConsentFile, where: str) -> Verdict:
    """A no, or a yes to what is sent now, from a file of this person's own."""
    if found.state != FileState.DECIDED or found.consent is None:
        return None
    if found.consent and not look.current_yes(found, where):
        return None
    return found.consent, str(found.path)


def _question(look: Look) -> Verdict:
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


def _can_ask() -> bool:
    """A question needs a person: a terminal on both ends and no CI service."""
    try:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
    return interactive and not environment.is_ci()
