"""Speed of the vectorised engine against the raw bound (prints, never asserts).

For N = 1,000, 10,000 and 100,000 clinicians at mean degree ≈ 20 with the baseline's
mechanisms on, prints the clinician-steps per second of a full model step (Records and
the DataCollector included) for the vectorised engine and for the reference engine
(`engine = "agents"`, timed over a few weeks, up to --agents-max), the raw bound — one
sparse matrix-vector product on the same adjacency plus one uniform draw of N per step —
and the ratios; then the build time and peak memory of a fresh process at the largest N.
Step and bound are timed alternately, week by week, so that a change of load on a shared
machine slows both alike; the ratios printed are the median of the weekly step/bound
ratios over --repeats runs of 52 weeks, with their interquartile range, and the total
time of the steps over the total time of the bounds (issue 12's target: both ≤ 3).
Run: python benchmarks/bench_engine.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from campaignsim import CampaignModel
from campaignsim.scenario import _merge, read_scenario_data, validate_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from targets import report  # noqa: E402

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def scenario_of_size(clinicians: int, weeks: int):
    """The baseline hospital scaled to `clinicians`, keeping a mean degree near 20."""
    departments = max(1, clinicians // 800)
    per_department = clinicians // departments
    within = min(1.0, 18.0 / max(per_department - 1, 1))
    between = min(1.0, 2.0 / max(clinicians - per_department, 1))
    data = _merge(read_scenario_data(BASELINE), {
        "weeks": weeks,
        "staff": {"departments": departments, "clinicians_per_department": per_department,
                  "within_department_density": within, "between_department_density": between}})
    return validate_scenario(data)


def best_of(repeats: int, make) -> float:
    """Best wall time of `repeats` calls of `make()`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        make()
        best = min(best, time.perf_counter() - start)
    return best


def seconds_per_step(scenario, weeks: int, repeats: int) -> float:
    """Best time of one step (recording and DataCollector included) over `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        model = CampaignModel(scenario.with_overrides(weeks=weeks), seed=1)
        start = time.perf_counter()
        while model.running:
            model.step()
        best = min(best, (time.perf_counter() - start) / weeks)
    return best


def warm_up() -> None:
    """One week of a small model, untimed: loads the compiled kernels when they run
    (numba's cache, ~0.4 s once per process), which would otherwise count as a week."""
    CampaignModel(scenario_of_size(1_000, 1), seed=1, clinician_agents=False).step()


def step_and_bound(scenario, weeks: int, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of every week's step and of the raw bound timed right after it.

    Each week of each run times one model step, then the bound (one sparse product on the
    same adjacency plus one uniform draw of N), so the two see the same load."""
    warm_up()
    steps, bounds = [], []
    for run in range(repeats):
        model = CampaignModel(scenario.with_overrides(weeks=weeks), seed=1 + run)
        adjacency, n = model.population.adjacency, len(model.population)
        vector = np.random.default_rng(0).random(n)
        rng = np.random.default_rng(1)
        step_times, bound_times = [], []
        while model.running:
            start = time.perf_counter()
            model.step()
            middle = time.perf_counter()
            adjacency @ vector
            rng.random(n)
            bound_times.append(time.perf_counter() - middle)
            step_times.append(middle - start)
        steps += step_times
        bounds += bound_times
    return steps, bounds


def build_and_memory(size: int, weeks: int) -> tuple[float, float]:
    """Build time and peak memory (MB) of a fresh process that builds and runs one model
    (VmHWM, read by the child itself: ru_maxrss would include its parent's peak)."""
    code = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from bench_engine import scenario_of_size\n"
        "from campaignsim import CampaignModel\n"
        "s = scenario_of_size(%d, %d); t = time.perf_counter()\n"
        "m = CampaignModel(s, seed=1); b = time.perf_counter() - t\n"
        "while m.running: m.step()\n"
        "peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(b, int(peak.split()[1]) / 1024)\n"
    ) % (str(Path(__file__).parent), size, weeks)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    build, peak = map(float, out.stdout.split())
    return build, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--agents-weeks", type=int, default=4,
                        help="weeks timed for the (slow) reference engine")
    parser.add_argument("--agents-max", type=int, default=10_000,
                        help="largest N at which the reference engine is timed")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; step/bound: the "
          f"median of the weekly ratios (interquartile range), and total step / total bound")
    print(f"{'N':>7} {'degree':>6} {'step ms':>8} {'M cl-st/s':>9} {'bound ms':>8} "
          f"{'step/bound':>10} {'(range)':>11} {'total':>6} {'agents ms':>10} {'k cl-st/s':>9} "
          f"{'vec/agents':>10}")
    for size in args.sizes:
        scenario = scenario_of_size(size, args.weeks)
        model = CampaignModel(scenario, seed=1)
        n = len(model.population)
        steps, bounds = step_and_bound(scenario, args.weeks, args.repeats)
        step, bound = statistics.median(steps), statistics.median(bounds)
        ratios = [s / b for s, b in zip(steps, bounds)]
        weekly, total = statistics.median(ratios), sum(steps) / sum(bounds)
        line = (f"{n:>7} {model.population.adjacency.nnz / n:>6.1f} {step * 1e3:>8.2f} "
                f"{n / step / 1e6:>9.1f} {bound * 1e3:>8.3f} {weekly:>10.2f} "
                f"{'{:.2f}-{:.2f}'.format(*np.percentile(ratios, [25, 75])):>11} {total:>6.2f}")
        if size <= args.agents_max:
            agents = seconds_per_step(scenario.with_overrides(engine="agents"),
                                      args.agents_weeks, 1)
            line += f" {agents * 1e3:>10.1f} {n / agents / 1e3:>9.1f} {agents / step:>10.0f}"
        print(line, flush=True)
        if size >= 10_000:  # issue 12: within 3x of the bound at 10,000 and 100,000
            report(f"step <= 3x raw bound, N = {n:,}",
                   f"{weekly:.2f}x weekly median, {total:.2f}x total", "<= 3x",
                   max(weekly, total) / 3, max(weekly, total) <= 3)
    largest = max(args.sizes)
    build, peak = build_and_memory(largest, args.weeks)
    print(f"N = {largest:,}: model build {build:.2f} s; peak memory of a process that builds "
          f"and runs it for {args.weeks} weeks: {peak:.0f} MB")


if __name__ == "__main__":
    main()
