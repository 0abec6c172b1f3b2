"""Three nodes on in-memory data only."""

from kedro.pipeline import Pipeline, node


def square(start: int) -> int:
    return start * start


def negate(squared: int) -> int:
    return -squared


def shift(negated: int, start: int) -> int:
    return negated + start


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(square, "params:start", "squared", name="square"),
            node(negate, "squared", "negated", name="negate"),
            node(shift, ["negated", "params:start"], "shifted", name="shift"),
        ]
    )
