"""A 1,000-run sweep of a 10,000-staff hospital over 52 weeks (prints, never asserts).

The baseline campaign in a hospital of 12 departments × 831 clinicians, 24 hybrids and
6 managers (10,002 staff; clinician ties at a mean degree near 20, as in
bench_engine.py), swept over hybrids' alignment (10 values) × capacity (10 values) ×
10 replications = 1,000 runs, stored as `campaignsim sweep` stores them (runs.parquet and
the time-series dataset). Prints the wall time, runs/s and the
parent's peak memory. The goal is under 60 s on a 2-core
machine.

    python benchmarks/bench_sweep.py [--workers N] [--executor processes|dask]
                                     [--no-reuse] [--replications R] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from campaignsim.scenario import _merge, read_scenario_data, validate_scenario
from campaignsim.sweep import load_runs, plan_sweep, run_sweep

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def hospital_sweep(replications: int):
    """The baseline at 10,002 staff, with a 10 × 10 grid over the hybrids' levers."""
    departments, per_department = 12, 831
    clinicians = departments * per_department
    data = _merge(read_scenario_data(BASELINE), {
        "name": "bench_sweep", "weeks": 52,
        "staff": {"departments": departments, "clinicians_per_department": per_department,
                  "hybrids_per_department": 2, "managers": 6,
                  "within_department_density": 18.0 / (per_department - 1),
                  "between_department_density": 2.0 / (clinicians - per_department)},
        "sweep": {"replications": replications,
                  "grid": {"hybrids.alignment": [round(0.1 * i, 1) for i in range(10)],
                           "hybrids.capacity": list(range(1, 11))}}})
    return validate_scenario(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    parser.add_argument("--executor", choices=("processes", "dask"), default="processes")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--no-reuse", action="store_true",
                        help="build every run's world from scratch (to see what reuse saves)")
    parser.add_argument("--out", help="results folder to keep (default: a temporary one)")
    args = parser.parse_args()

    scenario = hospital_sweep(args.replications)
    staff = scenario.staff
    total_staff = (staff.departments * staff.clinicians_per_department
                   + staff.departments * staff.hybrids_per_department + staff.managers)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_sweep-")) / "out"
    workers = args.workers or os.cpu_count() or 1
    print(f"{total_staff:,} staff, {scenario.weeks} weeks; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    started = time.perf_counter()
    plan = plan_sweep(scenario)
    outcome = run_sweep(plan, out, workers=workers, executor=args.executor, quiet=True,
                        reuse_worlds=not args.no_reuse)
    wall = time.perf_counter() - started
    rows = len(load_runs(out))
    parent = resource.getrusage(resource.RUSAGE_SELF)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"runs: {outcome.ran:,} ({rows:,} rows in runs.parquet), {plan.point_count} points × "
          f"{plan.sweep.replications} replications; executor {args.executor}, "
          f"{workers} workers, world reuse {'off' if args.no_reuse else 'on'}")
    print(f"wall time: {wall:.1f} s (sweep {outcome.seconds:.1f} s)   "
          f"runs/s: {outcome.ran / wall:.1f}")
    # Workers start from a fork server, so they are not this process's children and their
    # CPU and memory are not in RUSAGE_CHILDREN: only the parent's figures are exact.
    print(f"CPU: parent {parent.ru_utime + parent.ru_stime:.1f} s")
    print(f"peak memory: parent {parent.ru_maxrss / 1024:.0f} MB; on disk {size / 1024 ** 2:.1f} MB")
    print(f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine "
          "slows the figures)")
    if not args.out:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
