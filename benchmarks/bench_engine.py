"""Speed of the vectorised engine against the raw bound (prints, never asserts).

For N = 1,000, 10,000 and 100,000 clinicians at mean degree ≈ 20 with the baseline's
mechanisms on, prints clinician-steps per second of a full model step (recording
included) and of the raw bound — one sparse matrix-vector product on the same adjacency
plus one uniform draw of N per step — and their ratio, plus model build time and the
process's peak memory. Run: python benchmarks/bench_engine.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from campaignsim import CampaignModel, load_scenario
from campaignsim.scenario import _merge, read_scenario_data, validate_scenario

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


def best_of(repeats: int, function) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'N':>8} {'degree':>7} {'build s':>8} {'step ms':>8} {'M cl-steps/s':>13} "
          f"{'bound ms':>9} {'bound M/s':>10} {'step/bound':>10}")
    for size in args.sizes:
        scenario = scenario_of_size(size, args.weeks)
        started = time.perf_counter()
        model = CampaignModel(scenario, seed=1)
        build = time.perf_counter() - started
        n = len(model.population)

        def run_model():
            fresh = CampaignModel(scenario, seed=1)
            start = time.perf_counter()
            while fresh.running:
                fresh.step()
            run_model.elapsed = time.perf_counter() - start

        step_times = []
        for _ in range(args.repeats):
            run_model()
            step_times.append(run_model.elapsed / args.weeks)
        step = min(step_times)
        adjacency = model.population.adjacency
        vector = np.random.default_rng(0).random(n)
        rng = np.random.default_rng(1)

        def bound():
            for _ in range(args.weeks):
                adjacency @ vector
                rng.random(n)

        raw = best_of(args.repeats, bound) / args.weeks
        print(f"{n:>8} {adjacency.nnz / n:>7.1f} {build:>8.2f} {step * 1e3:>8.2f} "
              f"{n / step / 1e6:>13.1f} {raw * 1e3:>9.3f} {n / raw / 1e6:>10.1f} {step / raw:>10.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB (ru_maxrss)")


if __name__ == "__main__":
    main()
