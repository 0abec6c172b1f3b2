"""A two-node pipeline, so that ``kedro run`` has something to run and count."""

from kedro.pipeline import Pipeline, node


def double(start: int) -> int:
    return start * 2


def add(doubled: int, start: int) -> int:
    return doubled + start


def register_pipelines() -> dict[str, Pipeline]:
    numbers = Pipeline(
        [
            node(double, "params:start", "doubled", name="double"),
            node(add, ["doubled", "params:start"], "total", name="add"),
        ]
    )
    return {"__default__": numbers, "numbers": numbers}
