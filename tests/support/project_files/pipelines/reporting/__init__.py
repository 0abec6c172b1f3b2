"""Three nodes on in-memory data only."""

from kedro.pipeline import Pipeline, node


def count(start: int) -> list[int]:
    return list(range(start))


def describe(counted: list[int]) -> str:
    return f"{len(counted)} entries"


def shout(summary: str) -> str:
    return summary.upper()


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(count, "params:start", "counted", name="count"),
            node(describe, "counted", "summary", name="describe"),
            node(shout, "summary", "report", name="shout"),
        ]
    )
