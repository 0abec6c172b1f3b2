"""The results as one Markdown table, each row with the notes that back it."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.scenarios import Scenario, share, summary

HOOK_SHARE_TARGET = 1.0  # percent of the command's own process CPU
IMPORT_TARGET_MS = 5.0
LONE_TARGET, SESSION_TARGET = 1.25, 1.03
DELIVERY_TARGET_S, LIFETIME_TARGET_S = 90.0, 120.0
BURST_SENDERS_TARGET = 2


@dataclass
class Row:
    """One line of the table; ``None`` cells print as a dash."""

    scenario: str
    cells: tuple[str | None, str | None, str | None]  # Kedro alone, 0.9.0, this project
    target: str
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def _ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of per-round ratios: a round's runs share the machine's mood."""
    return statistics.median(v / b for v, b in zip(values, baseline, strict=True))


def _cell(values: Sequence[float], baseline: Sequence[float] | None = None) -> str:
    text = f"{statistics.median(values):.3f}"
    return text if baseline is None else f"{text} ({_ratio(values, baseline):.3f}x)"


def foreground_row(scenario: Scenario, found: dict[str, Any]) -> Row:
    wall = found["wall"]
    a, c = wall["A"], wall["C"]
    old = _cell(wall["B"], a) if "B" in wall else None
    if not scenario.pid1:
        row = Row(
            scenario.title,
            (_cell(a), old, _cell(c, a)),
            f"<= {scenario.target:.2f}x",
            _ratio(c, a) <= scenario.target,
        )
        row.notes.append(
            "ratio per round: "
            + " ".join(f"{x / y:.3f}" for x, y in zip(c, a, strict=True))
        )
        return row
    added = statistics.median(x - y for x, y in zip(c, a, strict=True))
    healthy = scenario.endpoint == "healthy"
    delivered = (
        f", {found['delivered']} of {found['runs']} events delivered" if healthy else ""
    )
    met = added <= scenario.target and (
        found["delivered"] == found["runs"] or not healthy
    )
    row = Row(
        scenario.title,
        (_cell(a), old, f"{statistics.median(c):.3f} (+{added:.2f} s){delivered}"),
        f"<= +{scenario.target:.1f} s",
        met,
    )
    row.notes.append(
        "seconds added per round: "
        + " ".join(f"{x - y:+.2f}" for x, y in zip(c, a, strict=True))
    )
    return row


def hook_rows(found: dict[str, Any]) -> list[Row]:
    """The plugin's share of the command's process CPU, and its import cost."""
    shares = {
        key: [
            statistics.median(share(run) for run in found[cmd][key])
            for cmd in ("info", "run")
        ]
        for key in "BC"
    }
    hooks = Row(
        "CPU inside the plugin's hooks, share of the command's own process CPU, "
        "consented `kedro info` / `kedro run`",
        ("-", *(" / ".join(f"{value:.2f} %" for value in shares[key]) for key in "BC")),
        f"<= {HOOK_SHARE_TARGET:.0f} % each",
        max(shares["C"]) <= HOOK_SHARE_TARGET,
    )
    for command in ("info", "run"):
        runs = found[command]["C"]
        hooks.notes.append(f"`kedro {command}`, this project: " + summary(runs))
    imports = {
        key: statistics.median(
            run["import_ms"] for cmd in ("info", "run") for run in found[cmd][key]
        )
        for key in "BC"
    }
    row = Row(
        "plugin import after Kedro (ms)",
        ("-", f"{imports['B']:.1f}", f"{imports['C']:.1f}"),
        f"<= {IMPORT_TARGET_MS:.0f} ms",
        imports["C"] <= IMPORT_TARGET_MS,
    )
    row.notes.append(
        "loading the plugin's entry points after what Kedro's CLI imports first, "
        "timed in the probed process"
    )
    return [hooks, row]


def total_rows(
    lone: list[dict[str, Any]], session: list[dict[str, Any]], commands: int, gap: float
) -> list[Row]:
    rows, delays, lifetimes = [], [], []
    for title, rounds, target in (
        (
            "one consented `kedro info`, total CPU of everything it starts, "
            "until the last process ended (s)",
            lone,
            LONE_TARGET,
        ),
        (
            f"a session of {commands} consented commands {gap:g} s apart, "
            "total CPU until the last process ended (s)",
            session,
            SESSION_TARGET,
        ),
    ):
        if not rounds:
            continue
        cpu = {key: [r[key]["cpu"] for r in rounds] for key in "ABC"}
        row = Row(
            title,
            (_cell(cpu["A"]), _cell(cpu["B"], cpu["A"]), _cell(cpu["C"], cpu["A"])),
            f"<= {target:.2f}x",
            _ratio(cpu["C"], cpu["A"]) <= target,
        )
        row.notes.append(
            "this project's ratio per round: "
            + " ".join(f"{c / a:.3f}" for c, a in zip(cpu["C"], cpu["A"], strict=True))
        )
        own = [r["C"]["own_cpu"] for r in rounds]
        row.notes.append(
            f"of which the `kedro` processes themselves: {_cell(own)} s; "
            "the rest is what they left behind"
        )
        arrived = [r["C"]["arrived"] for r in rounds]
        per_round = commands if rounds is session else 1
        row.notes.append(
            f"this project's events received per round: {arrived}, of {per_round}"
        )
        if rounds is lone:
            floor = [r["floor"] for r in rounds]
            a = statistics.median(cpu["A"])
            row.notes.append(
                "floor: `python -c 'import requests; requests.post(...)'` to the "
                f"local receiver used {_cell(floor)} s of CPU, so a lone command that "
                "starts such a process costs at least "
                f"{(a + statistics.median(floor)) / a:.3f}x"
            )
        rows.append(row)
        delays += [d for r in rounds for d in r["C"]["delays"]]
        lifetimes += [r["C"]["lifetime"] for r in rounds]
    if not rows:
        return rows
    expected = len(lone) + len(session) * commands
    cell = (
        f"median {statistics.median(delays):.1f}, worst {max(delays):.1f}"
        if delays
        else "none arrived"
    )
    row = Row(
        "event at the endpoint, after the end of its command (s)",
        (None, "sent in the foreground", cell),
        f"<= {DELIVERY_TARGET_S:.0f} s",
        bool(delays) and max(delays) <= DELIVERY_TARGET_S and len(delays) == expected,
    )
    row.notes.append(
        f"{len(delays)} of {expected} events arrived; "
        "the i-th arrival is paired with the i-th command"
    )
    rows.append(row)
    known = [x for x in lifetimes if x is not None]
    cell = f"worst {max(known):.1f}" if known else "-"
    if len(known) < len(lifetimes):
        cell += f", {len(lifetimes) - len(known)} run(s) still running at the ceiling"
    rows.append(
        Row(
            "the plugin's last process, seconds after the last command ended",
            (None, "0 (nothing outlives)", cell),
            f"<= {LIFETIME_TARGET_S:.0f} s",
            len(known) == len(lifetimes) and max(known, default=0) <= LIFETIME_TARGET_S,
        )
    )
    return rows


def burst_row(found: dict[str, Any], commands: int) -> Row:
    per_event = found["sender_cpu"] / max(1, found["delivered"])
    cell = (
        f"{found['senders']} sender(s), {per_event * 1000:.0f} ms of their CPU per "
        f"event, {found['delivered']} of {commands} delivered"
    )
    met = found["senders"] <= BURST_SENDERS_TARGET and found["delivered"] == commands
    row = Row(
        f"{commands} consented `kedro info` at once",
        (None, "sent in the foreground", cell),
        f"<= {BURST_SENDERS_TARGET} senders, every event",
        met,
    )
    row.notes.append(
        "every process left behind reaped by a child subreaper: "
        f"{found['sender_cpu']:.2f} s of CPU against {found['command_cpu']:.2f} s "
        "for the commands"
    )
    return row


def render(rows: Sequence[Row], args: Any, load_before: float, cgroup: bool) -> str:
    head = ("scenario", "Kedro alone", "0.9.0", "this project", "target")
    lines = [_line(head), _line(["---"] * len(head))]
    for row in rows:
        verdict = "" if row.met is None else (" (met)" if row.met else " (MISSED)")
        lines.append(
            _line((row.scenario, *(x or "-" for x in row.cells), row.target + verdict))
        )
    counted = (
        "a cgroup v2 per run"
        if cgroup
        else "the senders found by pid (no writable cgroup v2)"
    )
    lines += [
        "",
        (
            "Seconds, medians; a ratio is the median of per-round ratios to Kedro "
            f"alone. Rounds: {args.rounds} paired (single commands), "
            f"{args.lone_rounds} (lone command), {args.session_rounds} (session), "
            "each after a warm-up; what a command leaves behind counted through "
            f"{counted}. {os.cpu_count()} CPUs, 1-minute load {load_before:.2f} "
            f"before, {os.getloadavg()[0]:.2f} after; "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Everything ran in a private "
            "network namespace; 0.9.0 posted over TLS to a local stand-in for "
            "heapanalytics.com."
        ),
        "",
    ]
    lines += [f"- {row.scenario}: {note}" for row in rows for note in row.notes]
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
