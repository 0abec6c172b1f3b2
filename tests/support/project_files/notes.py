"""A dataset class of the project's own, which telemetry must count as ``custom``.

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
