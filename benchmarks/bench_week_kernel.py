"""The clinicians' decisions of a week under the numpy path and the compiled kernel, on the
same inputs (prints, never asserts).

Runs the baseline hospital scaled to each size for 52 weeks (and bundled scenarios as
they are, `--scenarios`); every week, before the model
decides, `dynamics.decide_all` runs on copies of the week's inputs once on the numpy path
and once through the compiled kernel (compiled_week.py), in alternating order, and the two
decisions are checked equal. So both see the same campaign state and the same load;
prints the medians of the weekly times and their ratio, and the sum over the run.
Needs numba. Run: python benchmarks/bench_week_kernel.py [--sizes 1040 10000 100000]
[--scenarios baseline mandate_and_targets]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from campaignsim import compiled_week, dynamics, load_scenario, model as model_module
from campaignsim.bundled import scenario_path
from campaignsim.model import CampaignModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import scenario_of_size, warm_up  # noqa: E402


def timed_weeks(scenario) -> dict[str, list[float]]:
    """Seconds of each week's decisions under each path, on the same week's inputs."""
    times = {"numpy": [], "numba": []}
    decide_all = dynamics.decide_all

    def both_then_decide(model, week):
        paths = [("numpy", None), ("numba", compiled_week)]
        if model.steps % 2:
            paths.reverse()
        decided = {}
        for name, path in paths:
            copy = dynamics.Week(week.number, week.previous, week.draws,
                                 week.campaign_exposure, week.idea_openness)
            model._compiled_week = path
            start = time.perf_counter()
            decide_all(model, copy)
            times[name].append(time.perf_counter() - start)
            decided[name] = copy
        assert np.array_equal(decided["numpy"].new_state, decided["numba"].new_state)
        model._compiled_week = None
        decide_all(model, week)

    model_module.decide_all = both_then_decide
    try:
        model = CampaignModel(scenario, seed=1, clinician_agents=False)
        while model.running:
            model.step()
    finally:
        model_module.decide_all = decide_all
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_040, 10_000, 100_000])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--scenarios", nargs="*", default=[],
                        help="bundled scenarios to run as they are, after the sizes")
    args = parser.parse_args()
    warm_up()
    print(f"{'N / scenario':>24} {'numpy ms':>9} {'numba ms':>9} {'ratio':>6} {'run numpy':>10} "
          f"{'run numba':>10}  (weekly medians; sums over the run, ms)")
    runs = [(f"{size:,}", scenario_of_size(size, args.weeks)) for size in args.sizes]
    runs += [(name, load_scenario(scenario_path(name))) for name in args.scenarios]
    for label, scenario in runs:
        times = timed_weeks(scenario)
        numpy_week, numba_week = (statistics.median(times[k]) * 1e3 for k in ("numpy", "numba"))
        print(f"{label:>24} {numpy_week:>9.3f} {numba_week:>9.3f} {numpy_week / numba_week:>6.2f} "
              f"{sum(times['numpy']) * 1e3:>10.1f} {sum(times['numba']) * 1e3:>10.1f}",
              flush=True)


if __name__ == "__main__":
    main()
