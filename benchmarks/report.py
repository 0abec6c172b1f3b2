"""The results as one Markdown table, plus the notes that make it checkable."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Row", "paired_ratio", "render", "seconds_cell"]


@dataclass
class Row:
    """One line of the table; ``None`` cells print as a dash."""

    scenario: str
    baseline: str | None
    old: str | None
    new: str | None
    target: str
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def paired_ratio(samples: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of per-round ratios: each round's runs share the machine's mood.

    On a shared machine a slow minute slows all three runs of a round alike, and
    the ratio within the round cancels it, where a ratio of medians would not.
    """
    return statistics.median(s / b for s, b in zip(samples, baseline, strict=True))


def seconds_cell(samples: Sequence[float], baseline: Sequence[float] | None) -> str:
    median = statistics.median(samples)
    if baseline is None:
        return f"{median:.3f}"
    return f"{median:.3f} ({paired_ratio(samples, baseline):.3f}x)"


def render(rows: Sequence[Row], header_note: str) -> str:
    """The table, then a footnote per row that has something to say."""
    columns = ["scenario", "Kedro alone (s)", "0.9.0 (s, ratio)"]
    columns += ["this project (s, ratio)", "target"]
    lines = [_line(columns), _line(["---"] * len(columns))]
    for row in rows:
        verdict = "" if row.met is None else (" (met)" if row.met else " (MISSED)")
        cells = (row.baseline, row.old, row.new)
        shown = [cell if cell is not None else "-" for cell in cells]
        lines.append(_line((row.scenario, *shown, row.target + verdict)))
    lines += ["", header_note]
    notes = [f"- {row.scenario}: {note}" for row in rows for note in row.notes]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
