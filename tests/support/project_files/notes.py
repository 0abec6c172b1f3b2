"""A dataset class and a validator of the project's own: both count as ``custom``.

Written to load on every supported Kedro: 0.18 and 0.19 require ``_load`` and
``_save``, 1.x ``load`` and ``save``.
"""

from typing import Any

from kedro.io import AbstractDataset


class NoteDataset(AbstractDataset[Any, Any]):
    def __init__(self) -> None:
        self._data: Any = None

    def load(self) -> Any:
        return self._data

    def save(self, data: Any) -> None:
        self._data = data

    _load = load
    _save = save

    def _describe(self) -> dict[str, Any]:
        return {}


def non_negative(data: Any) -> Any:
    """A validator of the project's own, which telemetry must count as ``custom``."""
    if data < 0:
        raise ValueError("negative")
    return data
