"""Reads the machine, the project and the catalog, and returns plain data.

Every read here is cheap and local: no network, no project file written, nothing
kept after the values are handed to ``events``.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kedro_telemetry import __version__, environment, events

__all__ = [
    "base_properties",
    "host_identity",
    "project_from_metadata",
    "project_from_path",
    "statistics",
]


def host_identity() -> str:
    """The event's ``identity``: a SHA-256 of the host name.

    Q: Can the maintainers tell whose machine this is?
    A: No. They see a 64-character hash that is the same for every event from
       this host, which lets them count machines; the name does not leave it.
    """
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = ""
    return events.sha256_hex(hostname or "unknown-host")


def _login_name() -> str | None:
    """The login name, or ``None`` when this uid has none (containers often)."""
    try:
        return getpass.getuser() or None
    except Exception:  # KeyError or OSError when no name is known for the uid
        return None


def _kedro_version() -> str:
    try:
        from kedro import __version__ as kedro_version
    except Exception:
        return "unknown"
    return str(kedro_version)


def base_properties() -> events.Properties:
    """The properties every event carries, read from this process."""
    return events.base_properties(
        username=_login_name(),  # hashed by the builder, never sent as is
        kedro_version=_kedro_version(),
        telemetry_version=__version__,
        python_version=sys.version,
        os_name=sys.platform,
        is_ci=environment.is_ci(),
    )


def project_from_metadata(metadata: Any) -> events.Properties:
    """Project properties from Kedro's ``ProjectMetadata``.

    ``[tool.kedro]`` may hold any TOML type where text is expected (Kedro itself
    runs a project whose ``project_name = 42``), so every value is made text here.
    """
    tools = getattr(metadata, "tools", None)
    tool_names = [str(tool) for tool in tools] if isinstance(tools, list) else None
    return events.project_properties(
        package_name=_text(getattr(metadata, "package_name", None)),
        project_name=_text(getattr(metadata, "project_name", None)),
        tools=tool_names if tool_names is not None else _text(tools),
        example_pipeline=_text(getattr(metadata, "example_pipeline", None)),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def project_from_path(project_path: Path) -> events.Properties:
    """Project properties for a session started without the CLI.

    Reads ``pyproject.toml`` through Kedro's own parser; never writes it.
    """
    from kedro.framework.startup import _get_project_metadata

    return project_from_metadata(_get_project_metadata(project_path))


def statistics(catalog: Any) -> events.Properties:
    """Counts of datasets (by public class), nodes and pipelines."""
    return events.statistics_properties(
        dataset_types=_dataset_types(catalog),
        number_of_nodes=_default_pipeline_size(),
        number_of_pipelines=_pipeline_count(),
    )


def _dataset_types(catalog: Any) -> Iterable[str | None]:
    """The class path of every dataset that is not a parameter, on any Kedro."""
    from kedro_telemetry.compat import dataset_class_paths

    return [
        class_path
        for name, class_path in dataset_class_paths(catalog).items()
        if name != "parameters" and not name.startswith("params:")
    ]


def _default_pipeline_size() -> int | None:
    from kedro.framework.project import pipelines

    default = pipelines.get("__default__")
    return len(default.nodes) if default is not None else None


def _pipeline_count() -> int:
    from kedro.framework.project import pipelines

    return len(pipelines)
