"""Reads the machine, the project and the catalog, and returns plain data.

Every read here is cheap and local: no network, no project file written, nothing
kept after the values are handed to ``events``. The reads work on every Kedro
from 0.18 to 1.x; where the versions name a thing differently, the functions of
the last section know each spelling.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kedro_telemetry import environment, events
from kedro_telemetry.version import __version__

__all__ = [
    "base_properties",
    "dataset_class_paths",
    "find_project",
    "host_identity",
    "official_starter_aliases",
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


# Where Kedro versions differ ------------------------------------------------
#
# The few places where Kedro 0.18, 0.19 and 1.x name the same thing differently.
#
# The plugin supports every Kedro from 0.18 to 1.x, as 0.9.0 did, so that
# installing it never makes pip change the user's Kedro. Each function here reads
# one thing the versions spell differently, newest spelling first, and nothing
# else: the callers stay written against one API.


def find_project(start: Path) -> Path | None:
    """The Kedro project the ``kedro`` CLI would use when started in ``start``.

    Kedro 1.x names the search ``find_kedro_project``, 0.19 ``_find_kedro_project``;
    0.18's CLI looks at the current directory only, so we do too.
    """
    import kedro.utils

    finder = getattr(kedro.utils, "find_kedro_project", None) or getattr(
        kedro.utils, "_find_kedro_project", None
    )
    if finder is not None:
        found: Path | None = finder(start)
        return found
    from kedro.framework.startup import _is_project  # type: ignore[attr-defined]

    return start if _is_project(start) else None


def official_starter_aliases() -> frozenset[str] | None:
    """Kedro's starter aliases, if ``kedro.framework.cli.starters`` is imported.

    Kedro 0.19.x (later releases) and 1.x keep them in ``_OFFICIAL_STARTER_SPECS_DICT``;
    0.18 and early 0.19 rebind ``_OFFICIAL_STARTER_SPECS`` to the same dictionary.
    """
    starters = sys.modules.get("kedro.framework.cli.starters")
    for name in ("_OFFICIAL_STARTER_SPECS_DICT", "_OFFICIAL_STARTER_SPECS"):
        specs = getattr(starters, name, None)
        if isinstance(specs, dict) and specs:
            return frozenset(str(alias) for alias in specs)
    return None


def dataset_class_paths(catalog: Any) -> dict[str, str | None]:
    """Each dataset's name and class path, parameters left out, loading no data.

    Kedro 1.x answers ``get_type``. Older catalogs hold their datasets in a
    dictionary: 0.19's ``KedroDataCatalog`` in ``datasets`` (built ones and
    lazy ones, whose ``str`` is their class path, as 1.x computes it), 0.19's
    ``DataCatalog`` in ``_datasets``, 0.18's in ``_data_sets``. Anything else
    raises ``TypeError``, so that no count is sent rather than a wrong one.
    """
    if callable(getattr(catalog, "get_type", None)):
        names = [name for name in catalog.keys() if not _is_parameter(name)]  # noqa: SIM118
        return {name: catalog.get_type(name) for name in names}
    for attribute in ("datasets", "_datasets", "_data_sets"):
        registered = getattr(catalog, attribute, None)
        if isinstance(registered, Mapping):
            return {
                str(name): _class_path(dataset)
                for name, dataset in registered.items()
                if not _is_parameter(str(name))
            }
    raise TypeError(f"unknown catalog class {type(catalog).__name__}")


def _is_parameter(name: str) -> bool:
    """Kedro registers parameters as datasets too; they are no data of the project."""
    return name == "parameters" or name.startswith("params:")


def _class_path(dataset: Any) -> str:
    if callable(getattr(dataset, "materialize", None)):
        return str(dataset)  # 0.19's lazy dataset: its class path, never built here
    cls = type(dataset)
    return f"{cls.__module__}.{cls.__qualname__}"
