"""Building worlds: build times, a million-staff hospital, the baseline run, a naive Mesa model.

    python3 benchmarks/bench_world.py              # everything (the 1,000,000 case ~1 min)
    python3 benchmarks/bench_world.py --skip-million

Prints (never asserts) against the targets of issue 12:

- build at 10,000 and 100,000 staff (the world alone, a whole `CampaignModel` as
  `campaignsim.run` builds it: no Clinician agents, no networkx graph, and a model on an
  already built world, as a sweep's design point), best of 3;
- a 1,000,000-staff hospital (1,000 departments of 1,000, mean degree ≈ 20: 15 within
  the department, 5 across) built and run for 52 weeks in a FRESH child process, which
  reads its own peak memory (VmHWM of /proc/self/status) at its end;
- `campaignsim.run` of the bundled baseline (1,040 clinicians, 52 weeks) in-process, best
  of 20, for this source tree and — in a separate process with PYTHONPATH set to it — for
  another tree (`--before`, default /work/main/src), so the two are measured in one run;
- a naive Mesa 3 threshold-only model on the same 10,000-staff graph (one Mesa agent per
  clinician, summing its neighbours' states in Python in its own step, neighbours cached
  as a list — the faster of the two naive forms of mesa_notes §9), timed week by week
  alternately with the full model's step.

Machines here are shared: ratios measured within one run are the figures to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import mesa
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_engine import best_of, scenario_of_size  # noqa: E402
from campaignsim import CampaignModel  # noqa: E402
from campaignsim.world import StaffWorld  # noqa: E402

BASELINE = HERE.parent / "scenarios" / "baseline.toml"
MILLION = {"departments": 1000, "clinicians_per_department": 1000,
           "within_department_density": 15 / 999, "between_department_density": 5 / 999_000}

BASELINE_RUN = textwrap.dedent("""
    import sys, time
    import campaignsim
    from campaignsim.scenario import load_scenario
    scenario = load_scenario(sys.argv[1])
    campaignsim.run(scenario)
    times = []
    for _ in range(20):
        start = time.perf_counter(); campaignsim.run(scenario)
        times.append(time.perf_counter() - start)
    print(min(times), sorted(times)[len(times) // 2])
""")

MILLION_RUN = textwrap.dedent("""
    import json, sys, time
    from campaignsim import CampaignModel
    from campaignsim.scenario import _merge, read_scenario_data, validate_scenario
    staff = json.loads(sys.argv[2])
    scenario = validate_scenario(_merge(read_scenario_data(sys.argv[1]), {"staff": staff}))
    start = time.perf_counter()
    model = CampaignModel(scenario, seed=1, clinician_agents=False)
    built = time.perf_counter()
    while model.running:
        model.step()
    ran = time.perf_counter()
    with open("/proc/self/status") as handle:
        peak = next(line for line in handle if line.startswith("VmHWM:")).split()[1]
    print(built - start, ran - built, int(peak) * 1024, len(model.population),
          model.population.adjacency.nnz / len(model.population))
""")


def child(code: str, args: list[str], pythonpath: Path) -> list[float]:
    """Run `code` in a fresh interpreter with `pythonpath`; the numbers it prints."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                            text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(pythonpath)})
    return [float(x) for x in result.stdout.split()]


def builds(sizes: list[int], repeats: int) -> None:
    """World alone, whole model, and a model on an already built world (a sweep's point)."""
    print(f"{'N':>8} {'world ms':>9} {'model ms':>9} {'target ms':>9} {'model/target':>12} "
          f"{'on a built world ms':>19}")
    for size in sizes:
        scenario = scenario_of_size(size, 52)
        world = best_of(repeats, lambda: StaffWorld.build(scenario.staff, 1))
        model = best_of(repeats, lambda: CampaignModel(scenario, seed=1, clinician_agents=False))
        built = StaffWorld.build(scenario.staff, 1)
        shared = best_of(repeats, lambda: CampaignModel(scenario, seed=1, world=built,
                                                        clinician_agents=False))
        target = 0.05 if size <= 10_000 else 0.5
        print(f"{size:>8,} {world * 1e3:>9.1f} {model * 1e3:>9.1f} {target * 1e3:>9.0f} "
              f"{model / target:>12.2f} {shared * 1e3:>19.1f}", flush=True)


def million() -> None:
    build, weeks, peak, n, degree = child(MILLION_RUN, [str(BASELINE), json.dumps(MILLION)],
                                          HERE.parent / "src")
    print(f"{int(n):,} staff in 1,000 departments, mean degree {degree:.1f}: build {build:.2f} s "
          f"(target 10 s, ratio {build / 10:.2f}); 52 weeks {weeks:.1f} s; peak memory of the "
          f"fresh process {peak / 2**30:.2f} GiB (target 2 GiB, ratio {peak / 2**31:.2f})",
          flush=True)


def baseline_run(before: Path) -> None:
    now = child(BASELINE_RUN, [str(BASELINE)], HERE.parent / "src")
    line = (f"campaignsim.run, baseline (1,040 staff, 52 weeks): best {now[0] * 1e3:.1f} ms, "
            f"median {now[1] * 1e3:.1f} ms (target 10 ms, ratio {now[0] / 0.01:.2f})")
    if before.is_dir():
        then = child(BASELINE_RUN, [str(BASELINE)], before)
        line += (f"; {before}: best {then[0] * 1e3:.1f} ms, median {then[1] * 1e3:.1f} ms "
                 f"({then[0] / now[0]:.1f}x slower)")
    print(line, flush=True)


class NaiveClinician(mesa.Agent):
    """Threshold rule in plain Python: adopt once the share of adopting neighbours
    reaches the threshold (synchronous: decide, then advance)."""

    def __init__(self, model, threshold: float, adopted: bool):
        super().__init__(model)
        self.threshold = threshold
        self.state = self.next_state = int(adopted)
        self.neighbours: list = []

    def step(self) -> None:
        if not self.state and self.neighbours:
            share = sum(a.state for a in self.neighbours) / len(self.neighbours)
            self.next_state = int(share >= self.threshold)

    def advance(self) -> None:
        self.state = self.next_state


class NaiveThresholdModel(mesa.Model):
    """One Mesa agent per clinician of a CampaignModel's graph, same thresholds and seeds."""

    def __init__(self, campaign: CampaignModel):
        super().__init__(rng=1)
        population = campaign.population
        adopted = population.state > 0
        members = [NaiveClinician(self, float(t), bool(a))
                   for t, a in zip(population.threshold, adopted)]
        indptr, indices = population.adjacency.indptr, population.adjacency.indices
        for i, agent in enumerate(members):
            agent.neighbours = [members[j] for j in indices[indptr[i]:indptr[i + 1]]]

    def step(self) -> None:
        self.agents.do("step")
        self.agents.do("advance")


def naive_mesa(size: int, weeks: int) -> None:
    scenario = scenario_of_size(size, weeks)
    full = CampaignModel(scenario, seed=1, clinician_agents=False)
    naive = NaiveThresholdModel(full)
    full_time = naive_time = 0.0
    for _ in range(weeks):  # alternated week by week, so both see the same machine load
        start = time.perf_counter()
        full.step()
        middle = time.perf_counter()
        naive.step()
        full_time += middle - start
        naive_time += time.perf_counter() - middle
    n = len(full.population)
    print(f"N = {n:,}, {weeks} weeks alternated: full model step {full_time / weeks * 1e3:.2f} ms, "
          f"naive Mesa threshold model step {naive_time / weeks * 1e3:.1f} ms; full model "
          f"{naive_time / full_time:.0f}x faster (target >= 25x; "
          f"{int(np.sum([a.state for a in naive.agents]))} of {n:,} adopted in the naive model)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--before", type=Path, default=Path("/work/main/src"),
                        help="another source tree to time the baseline run with")
    args = parser.parse_args()
    builds([10_000, 100_000], args.repeats)
    baseline_run(args.before)
    naive_mesa(10_000, 20)
    if not args.skip_million:
        million()


if __name__ == "__main__":
    main()
