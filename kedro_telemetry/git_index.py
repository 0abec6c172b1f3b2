"""Whether git tracks a file, read from ``.git/index`` without starting ``git``.

A ``.telemetry`` that says yes and is tracked came with the repository: it is
somebody else's answer. This module finds the repository that holds a path
(``.git`` as a directory, or as a ``gitdir:`` file in a worktree or a
submodule; the project may sit in a subdirectory of the work tree) and looks
the path up in the index, versions 2, 3 and 4 of git's format.

It answers ``Tracked.YES``, ``Tracked.NO`` or ``Tracked.UNKNOWN``; the caller
decides what a doubt means (for consent: a yes that cannot be shown to be the
person's own does not count).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kedro_telemetry.files import read_small_file

__all__ = ["IndexLocation", "Tracked", "locate", "tracks"]

_SIGNATURE = b"DIRC"
_HEADER = 12
# ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), the object
# id (20 bytes with SHA-1, 32 with SHA-256) and the flags (2) start each entry.
_STAT_DATA = 40
_FLAGS = 2
_SHA1_SIZE = 20
_SHA256_SIZE = 32
_EXTENDED = 0x40  # the "extended" bit of the flags, in their first byte
_NAME_MASK = 0x0FFF
_SMALLEST_ENTRY = 64
# A repository of a million files has an index of about 100 MB.
_INDEX_LIMIT = 512 * 1024 * 1024
_GITDIR_LIMIT = 64 * 1024
_OBJECT_FORMAT = rb"^\s*objectformat\s*=\s*sha256\s*$"


class Tracked:
    """Whether git tracks a file (plain text constants)."""

    YES = "tracked"
    NO = "not tracked"
    UNKNOWN = "unknown"  # an index that could not be read or parsed


class IndexLocation:
    """The index that would hold ``name``: the path from the work tree's root."""

    __slots__ = ("index_file", "name", "object_id_size")

    def __init__(
        self, index_file: Path, name: bytes, object_id_size: int = _SHA1_SIZE
    ) -> None:
        self.index_file = index_file
        self.name = name
        self.object_id_size = object_id_size


def locate(path: Path) -> IndexLocation | None:
    """The index of the work tree around ``path``, or ``None`` outside any.

    Walks up from the file's directory to the first ``.git``, as git does
    (``GIT_DIR`` and ``GIT_WORK_TREE`` are not read: a Kedro command is not a
    git command).
    """
    absolute = Path(os.path.abspath(path))
    for folder in absolute.parents:
        marker = folder / ".git"
        try:
            is_dir = marker.is_dir()
            exists = is_dir or marker.is_file()
        except OSError:
            continue
        if not exists:
            continue
        git_dir = marker if is_dir else _gitdir_of(marker)
        size = _object_id_size(git_dir) if git_dir is not None else None
        if git_dir is None or size is None:
            return IndexLocation(marker / "index", b"")  # unreadable: a doubt
        relative = absolute.relative_to(folder).as_posix()
        return IndexLocation(git_dir / "index", os.fsencode(relative), size)
    return None


def _object_id_size(git_dir: Path) -> int | None:
    """20 (SHA-1) or 32 (SHA-256, ``extensions.objectFormat``); ``None``: unknown.

    A worktree's settings are in the repository it belongs to (``commondir``).
    """
    common = git_dir
    try:
        named = read_small_file(git_dir / "commondir", _GITDIR_LIMIT)
        common = git_dir / os.fsdecode(named.strip())
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        config = read_small_file(common / "config", _INDEX_LIMIT)
    except FileNotFoundError:
        return _SHA1_SIZE
    except OSError:
        return None
    found = re.search(_OBJECT_FORMAT, config, re.I | re.M)
    return _SHA256_SIZE if found else _SHA1_SIZE


def _gitdir_of(marker: Path) -> Path | None:
    """The directory a ``.git`` file names (``gitdir: ../.git/worktrees/x``)."""
    try:
        text = read_small_file(marker, _GITDIR_LIMIT).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            named = Path(line[len("gitdir:") :].strip())
            return named if named.is_absolute() else marker.parent / named
    return None


def tracks(location: IndexLocation) -> str:
    """Whether the index at ``location`` has an entry (any stage) for its name."""
    if not location.name:
        return Tracked.UNKNOWN
    try:
        data = read_small_file(location.index_file, _INDEX_LIMIT)
    except FileNotFoundError:
        return Tracked.NO  # a fresh ``git init`` has no index yet
    except OSError:
        return Tracked.UNKNOWN
    try:
        found = _has_entry(data, location.name, location.object_id_size)
    except (ValueError, IndexError):
        return Tracked.UNKNOWN
    return Tracked.YES if found else Tracked.NO


def _has_entry(data: bytes, name: bytes, object_id_size: int) -> bool:
    if len(data) < _HEADER or data[:4] != _SIGNATURE:
        raise ValueError("not a git index")
    version = int.from_bytes(data[4:8], "big")
    count = int.from_bytes(data[8:12], "big")
    # The smallest entry takes 64 bytes, and a checksum ends the file: an
    # index too short for its count was cut off, and its missing part might
    # hold the name. (The checksum itself is not computed.)
    if len(data) < _HEADER + count * _SMALLEST_ENTRY + object_id_size:
        raise ValueError("truncated index")
    fixed = _STAT_DATA + object_id_size + _FLAGS
    if version in (2, 3):
        # Every name in these versions is stored whole and ends with a NUL:
        # an entry for ``name`` can only start where ``name`` + NUL occurs.
        last = data.rfind(name + b"\0", _HEADER)
        return last >= 0 and _walk_padded(data, count, name, fixed, last)
    if version == 4:
        return _walk_prefixed(data, count, name, fixed)
    raise ValueError(f"index version {version}")


def _walk_padded(data: bytes, count: int, name: bytes, fixed: int, last: int) -> bool:
    """Versions 2 and 3: each entry NUL-padded to a multiple of 8 bytes.

    The walk ends at ``last``, the last place the name could start.
    """
    offset = _HEADER
    size = len(name)
    for _ in range(count):
        high = data[offset + fixed - _FLAGS]
        start = offset + fixed + (2 if high & _EXTENDED else 0)
        if start > last:
            return False
        length = ((high & 0x0F) << 8) | data[offset + fixed - 1]
        if length == _NAME_MASK:  # 4095 or longer: only the NUL says
            length = data.index(b"\0", start) - start
        if length == size and data.startswith(name, start):
            return True
        offset += (start - offset + length + 8) & ~7
    return False


def _walk_prefixed(data: bytes, count: int, name: bytes, fixed: int) -> bool:
    """Version 4: each name is the previous one less N bytes, plus a suffix.

    The names are never built: the walk keeps only the current name's length
    and how many of its first bytes agree with ``name``, and stops at the
    first name that sorts after it (git keeps the entries sorted).
    """
    offset = _HEADER
    size = len(name)
    length = agreed = 0
    for _ in range(count):
        offset += fixed + (2 if data[offset + fixed - _FLAGS] & _EXTENDED else 0)
        strip, offset = _varint(data, offset)
        end = data.index(b"\0", offset)
        kept = length - strip
        if kept < 0:
            raise ValueError("bad prefix length")
        length = kept + end - offset
        if kept <= agreed:
            agreed = kept
            position = offset
            while agreed < size and position < end and data[position] == name[agreed]:
                agreed += 1
                position += 1
            if agreed == size == length:
                return True
            if position < end and (agreed == size or data[position] > name[agreed]):
                return False  # this name, and every later one, sorts after
        offset = end + 1
    return False


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """Git's offset encoding (varint.c): big-endian groups of 7, each plus one."""
    byte = data[offset]
    offset += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[offset]
        offset += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, offset
