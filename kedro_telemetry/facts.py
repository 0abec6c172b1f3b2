"""Reads the machine, the project and the catalog, and returns plain data.

Every read here is cheap and local: no network, no project file written, nothing
kept after the values are handed to ``events``.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterable, Mapping
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
    A: Not from the event alone. They see a 64-character hash, the same for
       every event from this host, which counts machines; the name does not
       leave it. A hash is not secret, though: a default or guessable host
       name (``ubuntu``, an organisation's naming scheme) is found by hashing
       candidates.
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
    runs a project whose ``project_name = 42``), so the names are made text
    here; ``tools`` and ``example_pipeline`` only ever yield fixed values.
    """
    return events.project_properties(
        package_name=_text(getattr(metadata, "package_name", None)),
        project_name=_text(getattr(metadata, "project_name", None)),
        tools=events.starter_tools(getattr(metadata, "tools", None)),
        example_pipeline=events.example_pipeline_flag(
            getattr(metadata, "example_pipeline", None)
        ),
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
    """Counts of datasets (by public class), validators, nodes and pipelines.

    The catalog is built from the whole configuration whatever pipelines a
    command names, so its counts always describe the project. The pipelines
    do not when Kedro loaded only the requested ones: then their counts are
    left out, and reading the registry here would only load what Kedro skipped.
    """
    filtered = _pipeline_filter_in_force()
    return events.statistics_properties(
        dataset_types=_dataset_types(catalog),
        number_of_nodes=None if filtered else _default_pipeline_size(),
        number_of_pipelines=None if filtered else _pipeline_count(),
        pipeline_filter=filtered,
        validator_classes=_validator_classes(catalog),
    )


def _dataset_types(catalog: Any) -> Iterable[str | None]:
    """The class path of every dataset that is not a parameter, on any Kedro."""
    from kedro_telemetry.compat import dataset_class_paths

    return list(dataset_class_paths(catalog).values())


def _validator_classes(catalog: Any) -> list[str | None] | None:
    """The class path of each dataset's validator; ``None`` before Kedro 1.6.

    ``validator_specs`` lists the datasets that declare a ``validator:`` in the
    catalog, whether or not ``DATASET_VALIDATION`` switches them on.
    """
    specs = getattr(catalog, "validator_specs", None)
    if not isinstance(specs, Mapping):
        return None
    paths = (getattr(spec, "class_path", None) for spec in specs.values())
    return [path if isinstance(path, str) else None for path in paths]


def _pipeline_filter_in_force() -> bool:
    """Whether Kedro loaded only some pipelines (``--pipeline``, ``-p``).

    Kedro 1.5+ records the requested names before loading the registry, and
    ``find_pipelines()`` then imports only those, unless ``__default__`` is
    among them. A registry that ignores the filter is taken as filtered too:
    nothing tells it apart, and a missing count is better than a wrong one.
    """
    from kedro.framework.project import pipelines

    requested = getattr(pipelines, "_requested_pipelines", None)
    if requested is None:
        return False
    try:
        return "__default__" not in requested
    except TypeError:
        return True


def _default_pipeline_size() -> int | None:
    from kedro.framework.project import pipelines

    default = pipelines.get("__default__")
    return len(default.nodes) if default is not None else None


def _pipeline_count() -> int:
    from kedro.framework.project import pipelines

    return len(pipelines)
