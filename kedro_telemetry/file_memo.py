"""What was read from files, kept only while each file keeps its state.

A long-lived process (a notebook kernel deciding at each session, a tool
calling ``send_event`` often) would otherwise read the consent files and
parse git's index again every time. An entry counts only while its file's
signature (``files.signature``) is unchanged, so an edit, a replacement or a
removal is seen at the next look; ``cachetools`` keeps the memo bounded for a
process that visits many projects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from cachetools import LRUCache

from kedro_telemetry.files import signature

__all__ = ["FileMemo"]

T = TypeVar("T")


class FileMemo:
    """Values read from files, each valid while its file's signature holds."""

    def __init__(self, size: int) -> None:
        self._entries: LRUCache[tuple[str, str], tuple[Any, Any]] = LRUCache(size)

    def get(self, path: Path, kind: str, read: Callable[[], T]) -> T:
        """``read()``'s value for ``path``, read again only if the file changed.

        The signature is taken before reading: a change that lands in between
        shows up as a new signature next time.
        """
        state = signature(path)
        key = (kind, os.fspath(path))
        kept = self._entries.get(key)
        if kept is not None and kept[0] == state:
            return cast(T, kept[1])
        value = read()
        self._entries[key] = (state, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
