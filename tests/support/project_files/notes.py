"""A dataset class of the project's own, which telemetry must count as ``custom``."""

from typing import Any

from kedro.io import AbstractDataset


class NoteDataset(AbstractDataset[Any, Any]):
    def __init__(self) -> None:
        self._data: Any = None

    def load(self) -> Any:
        return self._data

    def save(self, data: Any) -> None:
        self._data = data

    def _describe(self) -> dict[str, Any]:
        return {}
