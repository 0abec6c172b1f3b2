"""Three nodes; ``doubled`` and ``total`` are declared in the catalog."""

from kedro.pipeline import Pipeline, node


def double(start: int) -> int:
    return start * 2


def add(doubled: int, start: int) -> int:
    return doubled + start


def halve(total: int) -> float:
    return total / 2


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(double, "params:start", "doubled", name="double"),
            node(add, ["doubled", "params:start"], "total", name="add"),
            node(halve, "total", "halved", name="halve"),
        ]
    )
