"""The project's own dataset class, written to load on Kedro 0.18, 0.19 and 1.x.

0.18 and 0.19 require ``_load``/``_save``, 1.x ``load``/``save``: it has both.
"""

from typing import Any

from kedro.io import AbstractDataset


class NoteDataset(AbstractDataset):  # type: ignore[type-arg]
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
