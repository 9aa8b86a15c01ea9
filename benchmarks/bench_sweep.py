"""Runs per second for batch work, this code against another checkout (prints, never asserts).

Four measures, each taken in a fresh process for this code and for the code under
--before (default: /work/main/src, if present), one right after the other (who goes
first alternates between --repeats), so that their ratio is measured under the same load:

- sweep: the baseline campaign in a hospital of 12 departments × 831 clinicians, 24
  hybrids and 6 managers (10,002 staff; clinician ties at a mean degree near 20), swept
  over hybrids' alignment (10 values) × capacity (10 values) × 10 replications = 1,000
  runs of 52 weeks, stored as `campaignsim sweep` stores them; wall time and runs/s.
  The two runs.parquet files are compared (identical only when --before builds the
  same worlds: a4b28b9, before issue 12's tie sampler, drew other graphs; that batched
  points equal separate runs is tests/test_batch.py's check).
- seeds: a loop of 1,000 seeds of the bundled baseline (1,040 clinicians, 52 weeks)
  through the batch path (`runner.run_batch`; `campaignsim.run` where the code has no
  batch path) on --workers processes; runs/s.
- run: `campaignsim.run` of the bundled baseline in-process; median ms of 20.
- compare: `campaignsim compare` of four bundled scenarios (the baseline and three that
  extend it) × 50 replications on --workers processes; runs/s.

    python benchmarks/bench_sweep.py [--workers N] [--before SRC] [--after SRC]
                                     [--only sweep seeds run compare]
                                     [--replications R] [--repeats K]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from targets import report, scenarios_of  # noqa: E402

#: the measured code's own scenario files (targets.scenarios_of), set by `in_child` for the
#: child and its workers
SCENARIOS_VARIABLE = "BENCH_SWEEP_SCENARIOS"
BASELINE = Path(os.environ.get(SCENARIOS_VARIABLE, HERE.parent / "scenarios")) / "baseline.toml"
THIS_SOURCE = HERE.parent / "src"
MEASURES = ("sweep", "seeds", "run", "compare")
COMPARED = ("baseline", "hybrid_aligned", "hybrid_mediating", "top_down_broadcast")


def hospital_sweep(replications: int):
    """The baseline at 10,002 staff, with a 10 × 10 grid over the hybrids' levers."""
    from campaignsim.scenario import _merge, read_scenario_data, validate_scenario

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


def measure_sweep(workers: int, replications: int, out: Path) -> dict:
    from campaignsim.sweep import plan_sweep, run_sweep

    plan = plan_sweep(hospital_sweep(replications))
    started = time.perf_counter()
    outcome = run_sweep(plan, out, workers=workers, quiet=True)
    wall = time.perf_counter() - started
    return {"runs": outcome.ran, "seconds": wall, "per_second": outcome.ran / wall}


def _seed_chunk(seeds: list[int]) -> int:
    import campaignsim
    from campaignsim import runner

    scenario = campaignsim.load_scenario(BASELINE)
    if hasattr(runner, "run_batch"):
        return sum(1 for _ in runner.run_batch(scenario, seeds))
    return sum(1 for seed in seeds if campaignsim.run(scenario, seed=seed))


def measure_seeds(workers: int, count: int = 1_000) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    from campaignsim.workers import process_context

    chunks = [list(range(start, count, workers * 10)) for start in range(workers * 10)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=process_context(__name__)) as pool:
        runs = sum(pool.map(_seed_chunk, chunks))
    wall = time.perf_counter() - started
    return {"runs": runs, "seconds": wall, "per_second": runs / wall}


def measure_run(repeats: int = 20) -> dict:
    import campaignsim

    scenario = campaignsim.load_scenario(BASELINE)
    campaignsim.run(scenario)  # imports and caches warmed
    times = []
    for seed in range(repeats):
        started = time.perf_counter()
        campaignsim.run(scenario, seed=seed)
        times.append(time.perf_counter() - started)
    return {"ms": 1e3 * statistics.median(times)}


def measure_compare(workers: int, replications: int = 50) -> dict:
    import campaignsim
    from campaignsim.compare import compare

    scenarios = [campaignsim.load_scenario(BASELINE.parent / f"{name}.toml") for name in COMPARED]
    started = time.perf_counter()
    compare(scenarios, replications=replications, workers=workers)
    wall = time.perf_counter() - started
    runs = len(scenarios) * replications
    return {"runs": runs, "seconds": wall, "per_second": runs / wall}


def in_child(source: Path, measure: str, args, out: Path) -> dict:
    """Take one measure in a fresh process that imports campaignsim from `source`."""
    command = [sys.executable, __file__, "--child", measure, "--workers", str(args.workers),
               "--replications", str(args.replications), "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(source),
               **{SCENARIOS_VARIABLE: str(scenarios_of(source))})
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_runs(before: Path, after: Path) -> bool:
    import pandas as pd

    key = ["point", "replicate"]
    tables = [pd.read_parquet(folder / "runs.parquet").sort_values(key, ignore_index=True)
              for folder in (before, after)]
    return tables[0].equals(tables[1])


def report_measure(measure: str, ratios: list, workers: int) -> None:
    """The measure's target line: the median speed-up over the repeats, and each repeat's
    (the sweep's target is 3x; the others are figures to report)."""
    ratio = statistics.median(r for r, _ in ratios)
    key, unit = ("ms", "ms") if measure == "run" else ("per_second", "runs/s")
    shown = "; ".join(f"{f['before'][key]:,.1f} -> {f['after'][key]:,.1f} {unit} ({r:.2f}x)"
                      for r, f in ratios)
    if measure == "sweep":
        report(f"1,000-run sweep, 10,002 staff, {workers} workers: speed-up", shown, ">= 3x",
               ratio / 3, ratio >= 3)
    else:
        names = {"seeds": f"1,000 seeds of the baseline, batch path, {workers} workers",
                 "run": "campaignsim.run of the baseline (median of 20)",
                 "compare": f"compare, 4 scenarios x 50 replications, {workers} workers"}
        report(f"{names[measure]}: speed-up", shown, "(report)", ratio, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--before", default="/work/main/src",
                        help="source folder of the code to compare with ('' for none)")
    parser.add_argument("--after", default=str(THIS_SOURCE),
                        help="source folder of the code measured (default: this checkout's)")
    parser.add_argument("--only", nargs="+", choices=MEASURES, default=list(MEASURES))
    parser.add_argument("--repeats", type=int, default=1, help="before/after pairs per measure")
    parser.add_argument("--child", choices=MEASURES, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = {"sweep": lambda: measure_sweep(args.workers, args.replications, Path(args.out)),
                   "seeds": lambda: measure_seeds(args.workers),
                   "run": measure_run,
                   "compare": lambda: measure_compare(args.workers)}[args.child]()
        print(json.dumps(figures))
        return
    sources = {"after": Path(args.after)}
    if args.before and Path(args.before).is_dir():
        sources = {"before": Path(args.before), **sources}
    print(f"{os.cpu_count()} cores, {args.workers} workers, load average "
          f"{os.getloadavg()[0]:.2f}; before = {sources.get('before', '-')}; scenario files: "
          + ", ".join(f"{label} {scenarios_of(source)}" for label, source in sources.items()))
    folder = Path(tempfile.mkdtemp(prefix="bench_sweep-"))
    try:
        for measure in args.only:
            ratios = []
            for repeat in range(args.repeats):
                figures = {}
                order = list(sources.items())
                for label, source in order[::-1] if repeat % 2 else order:  # who goes first
                    out = folder / f"{label}-{repeat}"
                    figures[label] = in_child(source, measure, args, out)
                figures = {label: figures[label] for label in sources}
                line = "   ".join(f"{label}: " + ", ".join(f"{k} {v:,.2f}" for k, v in f.items())
                                  for label, f in figures.items())
                if "before" in figures:
                    key = "ms" if measure == "run" else "per_second"
                    ratio = (figures["before"][key] / figures["after"][key] if measure == "run"
                             else figures["after"][key] / figures["before"][key])
                    line += f"   speed-up {ratio:.2f}x"
                    ratios.append((ratio, figures))
                    if measure == "sweep":
                        runs = [folder / f"{label}-{repeat}" for label in ("before", "after")]
                        line += f"   runs.parquet identical: {same_runs(*runs)}"
                print(f"{measure:>5} #{repeat + 1}  {line}", flush=True)
            if ratios:
                report_measure(measure, ratios, args.workers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
