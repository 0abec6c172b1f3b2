"""Three modular pipelines found by ``find_pipelines()``; ``__default__`` is their sum.

The registry Kedro writes for a new project: with ``--pipeline`` Kedro 1.5+
loads only the pipelines asked for, which is what telemetry must not mistake
for the whole project.
"""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    try:
        pipelines = find_pipelines(raise_errors=True)
    except TypeError:  # Kedro 0.18 has no ``raise_errors``
        pipelines = find_pipelines()
    pipelines["__default__"] = sum(pipelines.values())
    return pipelines
