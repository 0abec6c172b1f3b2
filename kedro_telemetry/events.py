"""Pure builders: plain data in, Heap-ready event dictionaries out.

Nothing here reads the machine, the project or the clock; ``facts`` does that.
Raw names enter these functions and only their SHA-256 hashes leave them.

Q: Why SHA-256 and not the names themselves?
A: The maintainers need to count distinct hosts, users and projects, not to know
   them. A hash lets equal names count once without sending the name. It is
   not secret: a short or common name is found by hashing guesses.
"""

from __future__ import annotations

import ast
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "CLI_COMMAND",
    "MAX_TEXT",
    "PROJECT_RUN",
    "STARTER_TOOLS",
    "Properties",
    "base_properties",
    "build_event",
    "clean_properties",
    "command_properties",
    "dataset_type_label",
    "example_pipeline_flag",
    "project_properties",
    "sha256_hex",
    "starter_tools",
    "statistics_properties",
    "validator_label",
]

CLI_COMMAND = "CLI command"
PROJECT_RUN = "Kedro project run"

# Heap accepts keys and values strictly under 1,024 characters.
MAX_TEXT = 1023

# Dataset classes from these packages are public names; any other class is the
# user's own code, and its name could say something about their work.
_PUBLIC_DATASET_PACKAGES = (
    "kedro.io.",
    "kedro_datasets.",
    "kedro_datasets_experimental.",
)

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

# Validators from these top-level packages are public libraries; any other
# package is the user's own code, counted as ``custom``.
_PUBLIC_VALIDATOR_PACKAGES = frozenset(
    {
        "pandera",
        "pydantic",
        "great_expectations",
        "kedro",
        "kedro_datasets",
        "kedro_datasets_experimental",
    }
)

Properties = dict[str, "str | int | float"]


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_properties(
    *,
    username: str | None,
    kedro_version: str,
    telemetry_version: str,
    python_version: str,
    os_name: str,
    is_ci: bool,
) -> Properties:
    """What every event carries, whatever produced it."""
    return {
        # SHA-256 of the login name: counts users without sending the name;
        # a common one (root, jovyan) is found by hashing guesses.
        "username": sha256_hex(username) if username else "anonymous",
        "project_version": kedro_version,
        "telemetry_version": telemetry_version,
        "python_version": python_version,
        "os": os_name,
        "is_ci_env": "true" if is_ci else "false",
    }


def command_properties(masked_args: Sequence[str]) -> Properties:
    """The masked command line; ``masked_args`` holds no user value any more."""
    return {
        "command": " ".join(("kedro", *masked_args)),
        "main_command": masked_args[0] if masked_args else "kedro",
    }


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


def project_properties(
    *,
    package_name: str | None,
    project_name: str | None,
    tools: str | None = None,
    example_pipeline: str | None = None,
) -> Properties:
    """Which project this is, as hashes, and which starter options it was made with.

    ``tools`` and ``example_pipeline`` come from :func:`starter_tools` and
    :func:`example_pipeline_flag`: fixed names only, never the text as written.
    """
    properties: Properties = {}
    if package_name:
        # SHA-256 of the package name: tells projects apart without sending it;
        # a guessable name is found by hashing guesses.
        properties["package_name"] = sha256_hex(package_name)
    if project_name:
        # SHA-256 of the project's name, likewise: never sent as is, not secret
        # when guessable.
        properties["project_name"] = sha256_hex(project_name)
    if tools:
        # Names of Kedro's own starter tools (lint, test, ...), from a fixed list.
        properties["tools"] = tools
    if example_pipeline:
        properties["example_pipeline"] = example_pipeline
    return properties


def dataset_type_label(type_path: str | None) -> str:
    """The class path of a public dataset, or ``custom`` for the user's own."""
    if type_path and type_path.startswith(_PUBLIC_DATASET_PACKAGES):
        return type_path
    return _CUSTOM


def validator_label(class_path: str | None) -> str:
    """The top-level package of a public validator library, or ``custom``."""
    package = (class_path or "").split(".", 1)[0]
    return package if package in _PUBLIC_VALIDATOR_PACKAGES else _CUSTOM


def statistics_properties(
    *,
    dataset_types: Iterable[str | None],
    number_of_nodes: int | None,
    number_of_pipelines: int | None,
    pipeline_filter: bool | None = None,
    validator_classes: Iterable[str | None] | None = None,
) -> Properties:
    """Project size counts, and how many datasets of each public class it uses.

    ``pipeline_filter`` says whether Kedro loaded only the pipelines a command
    asked for; the caller then passes no node or pipeline count, since the
    loaded part is not the project. ``validator_classes`` is ``None`` where
    Kedro has no dataset validators, and then nothing about them is sent.
    """
    labels = [dataset_type_label(type_path) for type_path in dataset_types]
    properties: Properties = {"number_of_datasets": len(labels)}
    if number_of_nodes is not None:
        properties["number_of_nodes"] = number_of_nodes
    if number_of_pipelines is not None:
        properties["number_of_pipelines"] = number_of_pipelines
    if pipeline_filter is not None:
        properties["pipeline_filter"] = "true" if pipeline_filter else "false"
    for label, count in sorted(Counter(labels).items()):
        properties[f"dataset_type_count.{label}"] = count
    if validator_classes is not None:
        validators = [validator_label(path) for path in validator_classes]
        properties["number_of_validated_datasets"] = len(validators)
        for label, count in sorted(Counter(validators).items()):
            properties[f"validator_type_count.{label}"] = count
    return properties


def clean_properties(properties: Mapping[str, Any]) -> Properties:
    """Properties in the only shapes Heap accepts: strings and numbers, under 1,024.

    ``None`` means "no value" and is left out; booleans become ``"true"`` or
    ``"false"``; anything else becomes its string form; long texts are cut.
    """
    cleaned: Properties = {}
    for key, value in properties.items():
        if value is not None:
            cleaned[str(key)[:MAX_TEXT]] = _heap_value(value)
    return cleaned


def _heap_value(value: Any) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)[:MAX_TEXT]


def build_event(
    name: str,
    *,
    identity: str,
    properties: Mapping[str, Any],
    timestamp: datetime,
    idempotency_key: str,
) -> dict[str, Any]:
    """One event in the shape of an entry of Heap's bulk ``events`` list."""
    return {
        "identity": identity[:255],
        "event": name[:MAX_TEXT],
        "timestamp": timestamp.isoformat(),
        "idempotency_key": idempotency_key,
        "properties": clean_properties(properties),
    }
