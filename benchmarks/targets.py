"""The targets of issue 12 as the benchmarks report them, one line each.

A benchmark prints each target it measures with `report`; the line starts with `TARGET`,
so that run_all.py can list every target of every benchmark together at its end.
"""

from __future__ import annotations

PREFIX = "TARGET"


def report(target: str, measured: str, goal: str, ratio: float | None, met: bool | None) -> None:
    """Print one target: what was measured, the goal, measured/goal (or the speed-up),
    and whether it is met (None: a figure to report, no target)."""
    verdict = {True: "yes", False: "NO", None: "-"}[met]
    shown = "-" if ratio is None else f"{ratio:.2f}"
    print(" | ".join([PREFIX, target, measured, goal, shown, verdict]), flush=True)


def parse(line: str) -> list[str] | None:
    """The fields of a target line (target, measured, goal, ratio, met), else None."""
    fields = [field.strip() for field in line.split(" | ")]
    return fields[1:] if fields[0] == PREFIX and len(fields) == 6 else None
