"""Who decided whether telemetry is collected here, and what they decided.

The layers, first match wins:

1. ``DO_NOT_TRACK`` / ``KEDRO_DISABLE_TELEMETRY``: off, silently, over any file.
2. The project's ``.telemetry`` (``consent: true`` or ``consent: false``).
3. The user-wide file written by ``kedro telemetry enable|disable --global``.
4. A question on the terminal (``prompt``), only from the CLI, inside a project,
   never in CI.
5. Nobody decided: nothing is collected, nothing is written, nobody waits.

The answer is memoised per project, keyed by the state of the two files that
decide it, so a change to either (``kedro telemetry disable`` in another
terminal, a hand edit, a removal) counts from the next decision on, even in a
notebook kernel that runs sessions for hours. One command still acts on one
decision: the tracker decides once, at the CLI stage, for both stages.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Literal

from kedro_telemetry import environment, files
from kedro_telemetry.files import read_small_file, write_atomically

__all__ = [
    "ConsentFile",
    "Decision",
    "FileState",
    "decide",
    "forget",
    "read_consent_file",
    "reason",
    "write_consent_file",
]

# A consent file is one short line; anything much larger is not ours.
_CONSENT_FILE_LIMIT = 64 * 1024

Source = Literal["environment", "project", "user", "prompt", "undecided"]


class FileState:
    """What a consent file's content amounts to.

    Plain string constants and plain classes below, not an enum and
    dataclasses: this module is imported inside the first hook of every
    consented command, and building those classes cost about a millisecond.
    """

    MISSING = "missing"
    DECIDED = "decided"
    INVALID = "invalid"  # a regular file whose content is not a valid choice
    UNUSABLE = "unusable"  # a directory, a dangling link, unreadable, too large


class ConsentFile:
    """What one consent file says, and why it says nothing when it does not."""

    __slots__ = ("consent", "path", "problem", "state")

    def __init__(
        self,
        path: Path,
        state: str,
        consent: bool | None = None,
        problem: str = "",
    ) -> None:
        self.path = path
        self.state = state
        self.consent = consent
        self.problem = problem

    def __repr__(self) -> str:
        return f"ConsentFile({self.path!r}, {self.state!r}, {self.consent!r})"


class Decision:
    """The consent in force, with the setting that decided it."""

    __slots__ = ("consent", "source", "where")

    def __init__(self, consent: bool | None, source: Source, where: str = "") -> None:
        self.consent = consent
        self.source: Source = source
        self.where = where  # the variable's name or the file's path

    def __repr__(self) -> str:
        return f"Decision({self.consent!r}, {self.source!r}, {self.where!r})"

    @property
    def collects(self) -> bool:
        """Only an explicit yes lets anything be collected."""
        return self.consent is True

    def describe(self) -> str:
        """One line for people: what was decided and by which setting."""
        if self.source == "environment":
            return f"disabled by the environment variable {self.where}"
        if self.source == "undecided":
            return "not decided yet"
        verb = "enabled" if self.consent else "disabled"
        origin = {
            "project": "the project's .telemetry file",
            "user": "your user-wide setting",
            "prompt": "your answer at the prompt, saved in",
        }[self.source]
        return f"{verb} by {origin} {self.where}".rstrip()


def read_consent_file(path: Path) -> ConsentFile:
    """Read a consent file without ever raising: every fault is a state."""
    try:
        data = read_small_file(path, _CONSENT_FILE_LIMIT)
    except FileNotFoundError:
        if path.is_symlink():
            return ConsentFile(path, FileState.UNUSABLE, problem="a link to nothing")
        return ConsentFile(path, FileState.MISSING)
    except OSError as error:
        return ConsentFile(path, FileState.UNUSABLE, problem=reason(error))
    content = _parse_mapping(data)
    if content is None:
        return ConsentFile(path, FileState.INVALID, problem="not a YAML mapping")
    consent = content.get("consent")
    if not isinstance(consent, bool):
        return ConsentFile(
            path, FileState.INVALID, problem="`consent` is not true or false"
        )
    return ConsentFile(path, FileState.DECIDED, consent=consent)


def write_consent_file(path: Path, consent: bool) -> None:
    """Record ``consent`` in ``path`` atomically, keeping any other keys it holds."""
    import yaml

    content: dict[str, Any] = {}
    with contextlib.suppress(OSError):
        content = _parse_mapping(read_small_file(path, _CONSENT_FILE_LIMIT)) or {}
    content["consent"] = consent
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(content, default_flow_style=False, sort_keys=False)
    write_atomically(path, text.encode("utf-8"), mode=0o644)


# The memo key: the project, and a signature of each file that could decide.
_Signature = tuple[int, int, int, int] | str
_Key = tuple[str, _Signature, _Signature]

# Bounded, so a process that visits many projects keeps only the recent ones.
# A plain dict (insertion-ordered) is all the bound needs; cachetools cost
# more than a millisecond to import inside the first hook.
_MEMO_SIZE = 64
_decisions: dict[_Key, Decision] = {}


def decide(project_path: Path | None, *, may_prompt: bool = False) -> Decision:
    """The consent for ``project_path`` (``None`` outside a project).

    The environment is read every time, since it always wins. The files are
    read again whenever their signature changed, at the cost of two ``stat``
    calls; the prompt is asked at most once per state of the files.
    """
    variable = environment.disabling_variable()
    if variable:
        return Decision(False, "environment", variable)
    # The signatures are taken before the files are read: a change that lands
    # in between shows up as a new signature at the next decision.
    key = _memo_key(project_path)
    decision = _decisions.get(key)
    if decision is None:
        decision = _decide_from_files_or_prompt(project_path, may_prompt)
        # An answer at the prompt is not the files' decision: once saved, the
        # file decides from then on; if it could not be saved, it counts for
        # this command only, and the same missing file must not recall it.
        if decision.source != "prompt":
            _remember(key, decision)
    return decision


def _remember(key: _Key, decision: Decision) -> None:
    """Keep ``decision``, dropping the oldest one beyond the bound."""
    while len(_decisions) >= _MEMO_SIZE:
        del _decisions[next(iter(_decisions))]
    _decisions[key] = decision


def forget() -> None:
    """Drop the memoised decisions, after the files were changed in this process."""
    _decisions.clear()


def _memo_key(project_path: Path | None) -> _Key:
    project = ""
    project_file: _Signature = "no project"
    if project_path is not None:
        # Not ``resolve()``: a key only has to tell projects apart, and a
        # project reached through two links is merely read twice.
        project = os.path.abspath(project_path)
        project_file = _signature(files.project_consent_file(project_path))
    try:
        user_file = _signature(files.user_consent_file())
    except files.NoHomeError:
        user_file = "no home"
    return project, project_file, user_file


def _signature(path: Path) -> _Signature:
    """What changes whenever the file is written, replaced, created or removed.

    An atomic write is a new inode; an edit in place changes the size or the
    modification time, in nanoseconds.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        return f"unreadable: {error.errno}"
    return info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev


def _decide_from_files_or_prompt(
    project_path: Path | None, may_prompt: bool
) -> Decision:
    project_file = None
    if project_path is not None:
        project_file = read_consent_file(files.project_consent_file(project_path))
        if project_file.state == FileState.DECIDED:
            return Decision(project_file.consent, "project", str(project_file.path))
    try:
        user_file = read_consent_file(files.user_consent_file())
    except files.NoHomeError:  # no home, so no user-wide choice either
        user_file = ConsentFile(Path(), FileState.MISSING)
    if user_file.state == FileState.DECIDED:
        return Decision(user_file.consent, "user", str(user_file.path))
    if (
        may_prompt
        and project_file is not None
        and project_file.state in (FileState.MISSING, FileState.INVALID)
        and _can_ask()
    ):
        from kedro_telemetry.prompt import ask_and_record

        return ask_and_record(project_file.path)
    return Decision(None, "undecided")


def _can_ask() -> bool:
    """A question needs a person: a terminal on both ends and no CI service."""
    try:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
    return interactive and not environment.is_ci()


# What this plugin and Kedro write (Kedro without the final newline); YAML
# reads anything else.
_PLAIN_ANSWERS = {b"consent: true": True, b"consent: false": False}


def _parse_mapping(data: bytes) -> dict[str, Any] | None:
    """The file's YAML mapping, or ``None`` when it holds anything else.

    The one line written by ``kedro telemetry``, the prompt and ``kedro new``
    is recognised without the YAML parser, which costs a quarter of a
    millisecond inside the first hook of every command.
    """
    plain = _PLAIN_ANSWERS.get(data.rstrip(b"\n"))
    if plain is not None:
        return {"consent": plain}
    import yaml

    try:
        content = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    return content if isinstance(content, dict) else None


def reason(error: OSError) -> str:
    """The short reason of an ``OSError``, for a message to a person."""
    return error.strerror or type(error).__name__
