"""Reading and writing the small YAML files that hold a consent.

``.telemetry``, the user-wide ``telemetry.yml`` and the machine-wide policy
each say ``consent: true`` or ``consent: false``; a yes also names the
version of "what is sent" it agreed to (``version: 1``). The answers file,
kept in the person's own config directory, maps project paths to the same
two keys. Reading never raises: every fault is a state, and a file in a bad
state decides nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from kedro_telemetry.files import describe_os_error, read_small_file, write_atomically

__all__ = [
    "ConsentFile",
    "FileState",
    "answer_key",
    "read_consent_file",
    "read_project_answer",
    "write_answer",
]

# A consent file is a line or two; anything much larger is not ours. The
# answers file holds an entry per project the person answered for.
_CONSENT_FILE_LIMIT = 64 * 1024
_ANSWERS_FILE_LIMIT = 4 * 1024 * 1024


class FileState:
    """What a consent file's content amounts to (plain text constants)."""

    MISSING = "missing"
    DECIDED = "decided"
    INVALID = "invalid"  # a regular file whose content is not a valid choice
    UNUSABLE = "unusable"  # a directory, a dangling link, unreadable, too large


class ConsentFile:
    """What one consent file says, and why it says nothing when it does not.

    ``state`` is one of the ``FileState`` constants. ``version`` is the
    version of "what is sent" a yes agreed to (1 when the file names none).
    ``owner`` is the file's owner (a user id on Linux and macOS; ``None``
    where there is no file, or on Windows, whose files carry no such id).
    """

    __slots__ = ("consent", "owner", "path", "problem", "state", "version")

    def __init__(  # noqa: PLR0917 (the fields, in order)
        self,
        path: Path,
        state: str,
        consent: bool | None = None,
        version: int = 1,
        owner: int | None = None,
        problem: str = "",
    ) -> None:
        self.path = path
        self.state = state
        self.consent = consent
        self.version = version
        self.owner = owner
        self.problem = problem

    def __repr__(self) -> str:
        return f"ConsentFile({self.path!r}, {self.state!r}, {self.consent!r})"


def read_consent_file(path: Path) -> ConsentFile:
    """Read a file holding ``consent: true|false`` without ever raising."""
    content = _read_mapping(path, _CONSENT_FILE_LIMIT)
    if isinstance(content, ConsentFile):
        return content
    return _answer_in(path, content, "`consent`", _owner(path))


def read_project_answer(path: Path, project: str) -> ConsentFile:
    """The answer kept in the answers file ``path`` for the project ``project``."""
    content = _read_mapping(path, _ANSWERS_FILE_LIMIT)
    if isinstance(content, ConsentFile):
        return content
    if project not in content:
        return ConsentFile(path, FileState.MISSING)
    entry = content[project]
    return _answer_in(path, entry if isinstance(entry, dict) else {}, "the answer")


def answer_key(project_path: Path) -> str:
    """How the answers file names a project: its absolute path, links resolved."""
    return os.path.realpath(project_path)


def write_answer(path: Path, project: str | None, consent: bool) -> None:
    """Record a person's answer atomically, as a yes to what is sent now.

    In a consent file (``project`` is ``None``: ``.telemetry`` or the
    user-wide file), keeping any other keys it holds; or in the answers file,
    under the project's key, keeping the other projects' answers.
    """
    from kedro_telemetry.collect import CONSENT_VERSION

    limit = _CONSENT_FILE_LIMIT if project is None else _ANSWERS_FILE_LIMIT
    found = _read_mapping(path, limit)
    content = {} if isinstance(found, ConsentFile) else found  # nothing to keep
    answer: dict[str, Any] = {"consent": consent}
    if consent:
        answer["version"] = CONSENT_VERSION
    if project is not None:
        content[project] = answer
    else:
        content.pop("version", None)  # a no agrees to no version
        content.update(answer)
    _write_mapping(path, content)


def _answer_in(
    path: Path, content: dict[Any, Any], what: str, owner: int | None = None
) -> ConsentFile:
    consent = content.get("consent")
    if not isinstance(consent, bool):
        return ConsentFile(
            path, FileState.INVALID, owner=owner, problem=f"{what} is not true or false"
        )
    version = content.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        version = 1  # an unreadable version is the oldest: it never covers more
    return ConsentFile(path, FileState.DECIDED, consent, version, owner)


def _owner(path: Path) -> int | None:
    """The file's owner; Windows reports 0 for every file, so it has none there."""
    if sys.platform == "win32":
        return None
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def _read_mapping(path: Path, limit: int) -> dict[Any, Any] | ConsentFile:
    """The file's mapping, or the state that says why there is none."""
    try:
        data = read_small_file(path, limit)
    except FileNotFoundError:
        if path.is_symlink():
            return ConsentFile(path, FileState.UNUSABLE, problem="a link to nothing")
        return ConsentFile(path, FileState.MISSING)
    except OSError as error:
        return ConsentFile(path, FileState.UNUSABLE, problem=describe_os_error(error))
    content = _parse_mapping(data)
    if content is None:
        return ConsentFile(
            path, FileState.INVALID, owner=_owner(path), problem="not a YAML mapping"
        )
    return content


def _write_mapping(path: Path, content: dict[Any, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(content, default_flow_style=False, sort_keys=False)
    write_atomically(path, text.encode("utf-8"), mode=0o644)


def _parse_mapping(data: bytes) -> dict[Any, Any] | None:
    """The file's YAML mapping, or ``None`` when it holds anything else."""
    try:
        content = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    return content if isinstance(content, dict) else None
