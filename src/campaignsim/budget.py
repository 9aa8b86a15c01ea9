"""The memory budget: the bytes a run needs, estimated from the scenario alone.

A scenario can ask for more than any machine holds (`departments = 1000`,
`clinicians_per_department = 200000` is 200 million clinicians); building it would end in
a MemoryError traceback or the kernel's OOM killer. So `run`, `compare` and `sweep`
compare this estimate with the memory available *before building anything*, and
`validate` prints it.

The estimate is a sum of measured costs (benchmarks/bench_memory.py checks it against the
peak of real runs; it is within a factor of 2 at 10,000 and 100,000 staff):

* the interpreter with numpy, scipy, pandas, networkx, Mesa and matplotlib loaded;
* per clinician: the model's arrays (a run builds no networkx graph and no Mesa
  `Clinician` agents: see world.py);
* per tie: the sparse matrix's two entries and, at the peak of the build, the arrays the
  generator samples them in and the sparse matrix is assembled from. Ties are the
  expected number from the densities and department sizes (plus each hybrid's ties to its
  department and the managers', which cost little: the world keeps them as counts), or
  for a graph file, its lines (CSV) or `<edge` elements (GraphML), counted in one pass.
  A loaded graph is held as networkx as well, so its ties are counted at the cost
  calibrated when every run held one (BYTES_PER_LOADED_TIE);
* per cell of the weekly time series (weeks + 1 rows × a column per state and role,
  profession and department): the records, the DataFrame and its CSV text. Wide tables
  cost more per cell (pandas consolidates and formats them in blocks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from .limits import ScenarioError

if TYPE_CHECKING:   # the schema (pydantic) loads only when a scenario is estimated
    from .scenario import Scenario, Staff

#: Measured with benchmarks/bench_memory.py (Python 3.11, Mesa 3.3, numpy 2): see
#: docs/reliability.md ("Memory budget") for the numbers.
BASE_BYTES = 195 * 1024**2
BYTES_PER_CLINICIAN = 200
BYTES_PER_TIE = 60
BYTES_PER_LOADED_TIE = 320  # networkx's two adjacency entries and the sparse matrix
BYTES_PER_CELL = 50
BYTES_PER_CELL_PER_COLUMN = 0.025
#: A loaded graph's departments are not known without parsing it; this many are assumed.
LOADED_DEPARTMENTS = 50
#: A CSV edge list without a node CSV: clinicians assumed from the ties at this mean degree.
ASSUMED_MEAN_DEGREE = 10

UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


@dataclass(frozen=True)
class Estimate:
    """The sizes of one run and the bytes they need."""

    clinicians: int
    ties: int
    weeks: int
    columns: int
    bytes: int

    def sizes(self) -> str:
        """e.g. "10,000 clinicians, ~200,000 ties, 53 weeks × 105 columns"."""
        return (f"{self.clinicians:,} clinicians, ~{self.ties:,} ties, {self.weeks + 1:,} "
                f"weeks × {self.columns:,} columns")


def format_bytes(size: float) -> str:
    """Bytes for people: 1536 → "1.5 KB" (binary multiples, as /proc/meminfo counts).

    Examples:
        >>> format_bytes(3 * 1024**3)
        '3.0 GB'
    """
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size < 1024 or unit == "PB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("not reached")


def parse_size(text: str) -> int:
    """A size such as "2G", "500M", "1.5GB", "800000" as bytes (K, M, G, T: powers of 1024).

    Examples:
        >>> parse_size("2G"), parse_size("500m"), parse_size("1024")
        (2147483648, 524288000, 1024)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a size: give a number with K, M, G or T, e.g. 2G")
    return int(float(match.group(1)) * UNITS[match.group(2).upper()])


def _count_in_file(path: Path, token: bytes) -> int:
    """Occurrences of `token` in a file, read in blocks (no parsing)."""
    count, tail = 0, b""
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            # the tail is shorter than the token: only a token across the boundary is new
            count += (tail + block).count(token)
            tail = block[1 - len(token):] if len(token) > 1 else b""
    return count


def _loaded_sizes(staff: Staff) -> tuple[int, int]:
    """(clinicians, ties) of a graph file, from a cheap count of its lines or elements."""
    graph = Path(staff.graph)
    if not graph.is_file():
        return 0, 0  # the graph check says what is wrong
    if graph.suffix.lower() in (".graphml", ".xml"):
        return _count_in_file(graph, b"<node"), _count_in_file(graph, b"<edge")
    ties = max(_count_in_file(graph, b"\n") - 1, 0)
    nodes = Path(staff.nodes) if staff.nodes else None
    if nodes is not None and nodes.is_file():
        return max(_count_in_file(nodes, b"\n") - 1, 0), ties
    return max(1, 2 * ties // ASSUMED_MEAN_DEGREE), ties


def _generated_sizes(staff: Staff) -> tuple[int, float]:
    """(clinicians, expected ties) of a generated staff (see staff.generate_staff_graph)."""
    sizes = staff.clinicians_per_department
    sizes = sizes if isinstance(sizes, list) else [sizes] * staff.departments
    clinicians = sum(sizes)
    squares = sum(s * s for s in sizes)
    within = sum(s * (s - 1) for s in sizes) / 2 * staff.within_department_density
    between = (clinicians * clinicians - squares) / 2 * staff.between_department_density
    hybrids = staff.hybrids_per_department * staff.departments
    others = (staff.hybrids_per_department * clinicians + staff.managers * hybrids
              + staff.managers * (staff.managers - 1) / 2)
    return clinicians, within + between + others


def estimate_run(scenario: Scenario) -> Estimate:
    """The memory one `campaignsim run` of the scenario needs (peak, bytes), from the
    scenario alone: nothing is built and a graph file is only counted."""
    from .scenario import CHANNELS, PROFESSIONS, STATES

    staff = scenario.staff
    if staff.graph:
        clinicians, ties = _loaded_sizes(staff)
        departments, per_tie = LOADED_DEPARTMENTS, BYTES_PER_LOADED_TIE
    else:
        clinicians, ties = _generated_sizes(staff)
        departments, per_tie = staff.departments, BYTES_PER_TIE
    columns = (len(STATES) * (1 + 2 + len(PROFESSIONS) + departments) + 2
               + len(CHANNELS) + 4)
    cells = (scenario.weeks + 1) * columns
    total = (BASE_BYTES + clinicians * BYTES_PER_CLINICIAN + ties * per_tie
             + cells * (BYTES_PER_CELL + BYTES_PER_CELL_PER_COLUMN * columns))
    return Estimate(clinicians=int(clinicians), ties=int(round(ties)), weeks=scenario.weeks,
                    columns=columns, bytes=int(total))


def concurrent_bytes(run_bytes: int, workers: int) -> int:
    """Peak of `workers` processes each running one run at a time, plus the parent (which
    holds the libraries and the results, not a model)."""
    return workers * run_bytes + BASE_BYTES


def available_memory() -> int | None:
    """MemAvailable of /proc/meminfo (bytes), psutil's figure elsewhere, or None."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def check_memory(needed: int, what: str, limit: int | None = None, yes: bool = False) -> None:
    """Refuse (ScenarioError, exit 2) when `needed` bytes exceed `limit` (--max-memory) or,
    without a limit, the memory available now; `yes` goes ahead regardless."""
    if yes:
        return
    available = limit if limit is not None else available_memory()
    if available is None or needed <= available:
        return
    room = (f"--max-memory is {format_bytes(available)}" if limit is not None
            else f"the machine has {format_bytes(available)} available")
    raise ScenarioError(None, None, f"{what} needs about {format_bytes(needed)} of memory but "
                        f"{room}; make the staff smaller or the weeks fewer, or pass --yes to "
                        "run it anyway")


def check_memory_budget(scenarios: list[Scenario], runs: int, workers: int | None,
                        limit: int | None = None, yes: bool = False) -> Estimate:
    """Refuse (ScenarioError) before building anything when the runs would not fit in
    memory. Each worker process holds one run at a time: the biggest run × the workers busy
    at once, plus the parent; one worker (or one run) runs in this process. Returns the
    biggest run's estimate."""
    biggest = max((estimate_run(s) for s in scenarios), key=lambda e: e.bytes)
    busy = min(workers or os.cpu_count() or 1, runs)
    what = f"a run of {biggest.sizes()}"
    needed = biggest.bytes
    if busy > 1:
        what += f", {busy} at once in worker processes,"
        needed = concurrent_bytes(biggest.bytes, busy)
    check_memory(needed, what, limit, yes)
    return biggest


def sweep_scenarios(plan) -> list[Scenario]:
    """The scenarios whose sizes bound a sweep's memory: the base, or every design point
    when the sweep varies the staff or the weeks."""
    from .scenario import validate_scenario
    from .sweep.design import apply_point

    design = plan.design()
    if not any(p == "weeks" or p.startswith("staff.") for p in design.paths):
        return [plan.scenario]
    return [validate_scenario(apply_point(plan.base, design.paths, values))
            for values in design.points]


def add_memory_flags(parser, yes: str = "run even if the estimated memory exceeds what is "
                                       "available (or --max-memory)") -> None:
    """--max-memory and --yes, for every command that runs the model."""
    import argparse

    def size(text: str) -> int:
        try:
            return parse_size(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parser.add_argument("--max-memory", type=size, metavar="SIZE",
                        help="refuse runs estimated to need more than SIZE (e.g. 2G, 500M; "
                             "default: the memory available now)")
    parser.add_argument("--yes", action="store_true", help=yes)


__all__ = ["Estimate", "add_memory_flags", "available_memory", "check_memory",
           "check_memory_budget", "concurrent_bytes", "estimate_run", "format_bytes",
           "parse_size", "sweep_scenarios"]
