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
runs sessions for hours. The sources themselves are in ``consent.sources``.
"""

from __future__ import annotations

from pathlib import Path

from kedro_telemetry import files
from kedro_telemetry.consent.records import FileState, answer_key, read_consent_file
from kedro_telemetry.consent.sources import SOURCES, Look, why_not_yours

__all__ = [
    "SOURCES",
    "Decision",
    "FileState",
    "answer_destination",
    "answer_key",
    "decide",
    "read_consent_file",
]


class Decision:
    """What was decided, by which consent source, and what did not count.

    ``wording`` and ``silent`` come from the source's entry in ``SOURCES``;
    ``notes`` name settings that were read and did not count, with the reason
    (a policy's yes, someone else's yes, a yes git tracks, an older yes).
    A plain class: a dataclass costs a command 0.4 ms to define.
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


def decide(project_path: Path | None, *, may_prompt: bool = False) -> Decision:
    """The consent for ``project_path`` (``None`` outside a project)."""
    look = Look(project_path, may_prompt)
    for source in SOURCES:
        verdict = source.look(look)
        if verdict is not None:
            consent, where = verdict
            notes = tuple(look.notes)
            return Decision(
                consent, source.name, where, source.wording, source.silent, notes
            )
    return Decision(None, "undecided", notes=tuple(look.notes))


def answer_destination(project_path: Path) -> tuple[Path, str | None]:
    """Where this person's answer for a project goes, for ``enable``/``disable``.

    The project's ``.telemetry`` when it is theirs to write (missing, or
    theirs and not tracked by git); otherwise their answers file, and the
    project's key there, so that nobody else's answer is ever changed.
    """
    found = read_consent_file(files.project_consent_file(project_path))
    if found.state == FileState.MISSING or (
        found.state != FileState.UNUSABLE and not why_not_yours(found)
    ):
        return found.path, None
    return files.project_answers_file(), answer_key(project_path)
