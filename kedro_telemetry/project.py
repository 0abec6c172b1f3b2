"""Which project an event comes from, read from Kedro's ``ProjectMetadata``.

Each property is one reader below, listed in ``READERS``; a new one is a
reader there and a row in the README's field table. Only hashes and names
from fixed lists leave this module, never the text as written.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro_telemetry.events import Properties, sha256_hex

__all__ = [
    "READERS",
    "STARTER_TOOLS",
    "example_pipeline_flag",
    "metadata_at",
    "project_properties",
    "starter_tools",
]

# The tools ``kedro new`` offers, as Kedro writes them into ``[tool.kedro]``
# (``NUMBER_TO_TOOLS_NAME`` in ``kedro.framework.cli.starters``; ``Kedro Viz``
# only in early 0.19 releases). ``None`` is what Kedro writes for no tools.
STARTER_TOOLS = frozenset(
    {
        "Linting",
        "Testing",
        "Custom Logging",
        "Documentation",
        "Data Structure",
        "PySpark",
        "Kedro Viz",
        "None",
    }
)
_CUSTOM = "custom"
# Kedro's own value is far shorter; anything longer is not Kedro's and is not parsed.
_TOOLS_TEXT_LIMIT = 512


def package_name(metadata: Any) -> Properties:
    name = _text(getattr(metadata, "package_name", None))
    # SHA-256 of the package name: tells projects apart without sending it; a
    # guessable name is found by hashing guesses.
    return {"package_name": sha256_hex(name)} if name else {}


def project_name(metadata: Any) -> Properties:
    name = _text(getattr(metadata, "project_name", None))
    # SHA-256 of the project's name, likewise: never sent as is, not secret
    # when guessable.
    return {"project_name": sha256_hex(name)} if name else {}


def tools(metadata: Any) -> Properties:
    # Names of Kedro's own starter tools (lint, test, ...), from a fixed list.
    names = starter_tools(getattr(metadata, "tools", None))
    return {"tools": names} if names else {}


def example_pipeline(metadata: Any) -> Properties:
    flag = example_pipeline_flag(getattr(metadata, "example_pipeline", None))
    return {"example_pipeline": flag} if flag else {}


READERS: tuple[Callable[[Any], Properties], ...] = (
    package_name,
    project_name,
    tools,
    example_pipeline,
)


def project_properties(metadata: Any) -> Properties:
    """The project's properties from its ``ProjectMetadata``."""
    properties: Properties = {}
    for reader in READERS:
        properties.update(reader(metadata))
    return properties


def metadata_at(project_path: Path) -> Any:
    """Kedro's ``ProjectMetadata`` for a session started without the CLI.

    Reads ``pyproject.toml`` through Kedro's own parser; never writes it.
    """
    from kedro.framework.startup import _get_project_metadata

    return _get_project_metadata(project_path)


def _text(value: Any) -> str | None:
    """``[tool.kedro]`` may hold any TOML type where text is expected (Kedro
    itself runs a project whose ``project_name = 42``)."""
    return None if value is None else str(value)


def starter_tools(raw: object) -> str | None:
    """Kedro's tool names from a ``[tool.kedro] tools`` value, comma-separated.

    Kedro writes the ``str()`` of a Python list (``"['Linting', 'Testing']"``);
    a TOML list is taken too. Each name outside Kedro's fixed list becomes
    ``custom``, so nothing a person typed there is ever sent; a value that is
    neither shape sends nothing at all.
    """
    names = _tool_list(raw)
    if not names:
        return None
    labels = [
        name if isinstance(name, str) and name in STARTER_TOOLS else _CUSTOM
        for name in names
    ]
    return ", ".join(dict.fromkeys(labels))


def _tool_list(raw: object) -> list[object] | None:
    if isinstance(raw, str):
        if len(raw) > _TOOLS_TEXT_LIMIT or not raw.lstrip().startswith("["):
            return None
        try:
            # Literals only: this never runs code, whatever the file holds.
            raw = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return list(raw) if isinstance(raw, list | tuple) else None


def example_pipeline_flag(raw: object) -> str | None:
    """``"true"`` / ``"false"`` from Kedro's ``"True"`` / ``"False"`` (or a TOML
    boolean); any other value sends nothing."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower()
    return None
