"""The targets of issue 12 as the benchmarks report them, one line each.

A benchmark prints each target it measures with `report`; the line starts with `TARGET`,
so that run_all.py can list every target of every benchmark together at its end.
"""

from __future__ import annotations

from pathlib import Path

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


def scenarios_of(source: Path) -> Path:
    """The bundled scenarios the code in `source` (a src folder) reads: those of its own
    tree when it has them (run_all.py exports them with an old commit's src), else this
    clone's. Code from before a change of the schema cannot read today's files (a4b28b9
    does not know the recalibrated baseline's [awareness]), so it runs its own baseline;
    the benchmarks then say that the two sides ran different scenario files."""
    own = Path(source).resolve().parent / "scenarios"
    this_clone = Path(__file__).resolve().parent.parent / "scenarios"
    return own if (own / "baseline.toml").is_file() else this_clone
