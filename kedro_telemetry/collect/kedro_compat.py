"""The few places where Kedro 0.18, 0.19 and 1.x name the same thing differently.

The plugin supports every Kedro from 0.18 to 1.x, as 0.9.0 did, so that
installing it never makes pip change the user's Kedro. Each function here reads
one thing the versions spell differently, newest spelling first, and nothing
else: the callers stay written against one API.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["dataset_class_paths", "find_project", "official_starter_aliases"]


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
