"""Which project an event comes from, read from Kedro's ``ProjectMetadata``.

Only hashes and names
from fixed lists leave this module, never the text as written.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from kedro_telemetry.collect.event import Properties, sha256_hex

__all__ = [
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


def project_properties(metadata: Any) -> Properties:
    """The project's properties from its ``ProjectMetadata``.

    Package and project names are plain SHA-256: they name a project, not a
    person, and a team's project then counts once whoever runs it; a
    guessable project name can be found by hashing guesses.
    """
    properties: Properties = {}
    package = _text(getattr(metadata, "package_name", None))
    if package:
        properties["package_name"] = sha256_hex(package)
    project = _text(getattr(metadata, "project_name", None))
    if project:
        properties["project_name"] = sha256_hex(project)
    tools = starter_tools(getattr(metadata, "tools", None))
    if tools:
        properties["tools"] = tools
    example = example_pipeline_flag(getattr(metadata, "example_pipeline", None))
    if example:
        properties["example_pipeline"] = example
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
