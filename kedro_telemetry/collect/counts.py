"""How large the project is: its datasets, pipelines and validators, counted.

Read when a command (or session) builds its catalog. Counts only: the user's
own class and module names are never sent, only those of public libraries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from kedro_telemetry.collect.event import Properties
from kedro_telemetry.collect.kedro_compat import dataset_class_paths

__all__ = [
    "count_properties",
    "dataset_counts",
    "dataset_type_label",
    "pipeline_counts",
    "validator_counts",
    "validator_label",
]

_CUSTOM = "custom"

# Dataset classes from these packages are public names; any other class is the
# user's own code, and its name could say something about their work.
_PUBLIC_DATASET_PACKAGES = (
    "kedro.io.",
    "kedro_datasets.",
    "kedro_datasets_experimental.",
)

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


def datasets(catalog: Any) -> Properties:
    """The catalog is built from the whole configuration whatever pipelines a
    command names, so its counts always describe the project."""
    return dataset_counts(dataset_class_paths(catalog).values())


def pipelines(catalog: Any) -> Properties:
    """Nodes of ``__default__`` and registered pipelines, unless Kedro loaded
    only the requested ones: the loaded part is not the project, and reading
    the registry here would only load what Kedro skipped."""
    filtered = _pipeline_filter_in_force()
    if filtered:
        return pipeline_counts(filtered=True)
    from kedro.framework.project import pipelines as registry

    default = registry.get("__default__")
    return pipeline_counts(
        filtered=False,
        nodes=len(default.nodes) if default is not None else None,
        pipelines=len(registry),
    )


def validators(catalog: Any) -> Properties:
    """Datasets that declare a ``validator:`` (``validator_specs``, Kedro 1.6+),
    whether or not ``DATASET_VALIDATION`` switches them on; nothing before."""
    specs = getattr(catalog, "validator_specs", None)
    if not isinstance(specs, Mapping):
        return {}
    paths = (getattr(spec, "class_path", None) for spec in specs.values())
    return validator_counts([path if isinstance(path, str) else None for path in paths])


def count_properties(catalog: Any) -> Properties:
    """All the counts, for the catalog a command or session built."""
    return {**datasets(catalog), **pipelines(catalog), **validators(catalog)}


# The counting itself, from plain data ----------------------------------------


def dataset_type_label(type_path: str | None) -> str:
    """The class path of a public dataset, or ``custom`` for the user's own."""
    if type_path and type_path.startswith(_PUBLIC_DATASET_PACKAGES):
        return type_path
    return _CUSTOM


def validator_label(class_path: str | None) -> str:
    """The top-level package of a public validator library, or ``custom``."""
    package = (class_path or "").split(".", 1)[0]
    return package if package in _PUBLIC_VALIDATOR_PACKAGES else _CUSTOM


def dataset_counts(type_paths: Iterable[str | None]) -> Properties:
    labels = [dataset_type_label(path) for path in type_paths]
    return _tally("number_of_datasets", "dataset_type_count", labels)


def pipeline_counts(
    *, filtered: bool, nodes: int | None = None, pipelines: int | None = None
) -> Properties:
    """``pipeline_filter``, and the two counts only when no filter is in force."""
    properties: Properties = {"pipeline_filter": "true" if filtered else "false"}
    if not filtered and nodes is not None:
        properties["number_of_nodes"] = nodes
    if not filtered and pipelines is not None:
        properties["number_of_pipelines"] = pipelines
    return properties


def validator_counts(class_paths: Iterable[str | None]) -> Properties:
    labels = [validator_label(path) for path in class_paths]
    return _tally("number_of_validated_datasets", "validator_type_count", labels)


def _tally(total: str, per_label: str, labels: list[str]) -> Properties:
    """``total``: how many labels; ``<per_label>.<label>``: how many of each."""
    properties: Properties = {total: len(labels)}
    for label, count in sorted(Counter(labels).items()):
        properties[f"{per_label}.{label}"] = count
    return properties


def _pipeline_filter_in_force() -> bool:
    """Whether Kedro loaded only some pipelines (``--pipeline``, ``-p``).

    Kedro 1.5+ records the requested names before loading the registry, and
    ``find_pipelines()`` then imports only those, unless ``__default__`` is
    among them. A registry that ignores the filter is taken as filtered too:
    nothing tells it apart, and a missing count is better than a wrong one.
    """
    from kedro.framework.project import pipelines as registry

    requested = getattr(registry, "_requested_pipelines", None)
    if requested is None:
        return False
    try:
        return "__default__" not in requested
    except TypeError:
        return True
