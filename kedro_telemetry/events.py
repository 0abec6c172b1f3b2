"""Pure builders: plain data in, Heap-ready event dictionaries out.

Nothing here reads the machine, the project or the clock; ``facts`` does that.
Raw names enter these functions and only their SHA-256 hashes leave them.

Q: Why SHA-256 and not the names themselves?
A: The maintainers need to count distinct hosts, users and projects, not to know
   them. A hash lets equal names count once; it does not reveal the name.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "CLI_COMMAND",
    "MAX_TEXT",
    "PROJECT_RUN",
    "Properties",
    "base_properties",
    "build_event",
    "clean_properties",
    "command_properties",
    "dataset_type_label",
    "project_properties",
    "sha256_hex",
    "statistics_properties",
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
        # A hash of the login name: counts distinct users, cannot be read back.
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


def project_properties(
    *,
    package_name: str | None,
    project_name: str | None,
    tools: Sequence[str] | str | None = None,
    example_pipeline: str | None = None,
) -> Properties:
    """Which project this is, as hashes, and which starter options it was made with."""
    properties: Properties = {}
    if package_name:
        # A hash of the Python package name: tells projects apart, names none.
        properties["package_name"] = sha256_hex(package_name)
    if project_name:
        # A hash of the human project name, for the same reason.
        properties["project_name"] = sha256_hex(project_name)
    if tools:
        # Names of Kedro's own starter tools (lint, test, ...), from a fixed list.
        properties["tools"] = (
            tools if isinstance(tools, str) else ", ".join(map(str, tools))
        )
    if example_pipeline:
        properties["example_pipeline"] = str(example_pipeline)
    return properties


def dataset_type_label(type_path: str | None) -> str:
    """The class path of a public dataset, or ``custom`` for the user's own."""
    if type_path and type_path.startswith(_PUBLIC_DATASET_PACKAGES):
        return type_path
    return "custom"


def statistics_properties(
    *,
    dataset_types: Iterable[str | None],
    number_of_nodes: int | None,
    number_of_pipelines: int | None,
) -> Properties:
    """Project size counts, and how many datasets of each public class it uses."""
    labels = [dataset_type_label(type_path) for type_path in dataset_types]
    properties: Properties = {"number_of_datasets": len(labels)}
    if number_of_nodes is not None:
        properties["number_of_nodes"] = number_of_nodes
    if number_of_pipelines is not None:
        properties["number_of_pipelines"] = number_of_pipelines
    for label, count in sorted(Counter(labels).items()):
        properties[f"dataset_type_count.{label}"] = count
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
