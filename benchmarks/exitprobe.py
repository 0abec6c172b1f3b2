"""How long a command that is PID 1 of its namespace waits at exit for its event.

The wall time of a whole 1-second command wanders by tenths of a second on a
shared machine, more than the effect measured. Timing from inside the process
is exact: from the moment the event is handed to ``before_exit`` to the end of
its wait at exit, which is all the time the plugin adds there.

Run as a script by venv C's interpreter: it wraps ``before_exit``'s request and
wait, runs Kedro's CLI with the given arguments, and writes the seconds to a
JSON file from the last ``atexit`` handler (registered first, so it runs last).
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["budget", "measure_exit_waits"]


def measure_exit_waits(
    run_probe: Callable[[list[str]], None], runs: int, out_file: Path
) -> list[float]:
    """Seconds from queuing the event to the end of the wait at exit, per run.

    ``run_probe`` runs this file with the given arguments as PID 1 of a fresh
    namespace, in venv C, its project and environment.
    """
    waits: list[float] = []
    for _ in range(runs):
        out_file.unlink(missing_ok=True)
        run_probe([str(Path(__file__).resolve()), str(out_file)])
        marks = json.loads(out_file.read_text())
        if "queued" in marks and "waited" in marks:
            waits.append(marks["waited"] - marks["queued"])
    return waits


def budget(python: Path) -> float:
    """The budget of the checkout installed for ``python``, as it says itself."""
    code = "from kedro_telemetry.before_exit import BUDGET_SECONDS as b; print(b)"
    found = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return float(found.stdout)


def _probe(out_file: str, kedro_args: list[str]) -> None:
    marks: dict[str, float] = {}
    atexit.register(lambda: Path(out_file).write_text(json.dumps(marks)))
    from kedro_telemetry import before_exit

    waiter: Any = before_exit._BeforeExit  # private, but timing it is the point
    request, wait = waiter.request, waiter.wait_at_exit

    def timed_request(self: Any) -> None:
        marks["queued"] = time.monotonic()
        request(self)

    def timed_wait(self: Any) -> None:
        wait(self)
        marks["waited"] = time.monotonic()

    waiter.request, waiter.wait_at_exit = timed_request, timed_wait
    sys.argv = ["kedro", *kedro_args]
    from kedro.framework.cli.cli import main

    main()


if __name__ == "__main__":
    _probe(sys.argv[1], sys.argv[2:])
