"""Is the champions objective submodular here? Measured, not assumed.

Samples sets A ⊂ B of pre-screened candidates and a clinician x outside B, evaluates
f(A), f(A ∪ x), f(B), f(B ∪ x) with common random numbers (the same R replicate seeds for
every set, as the search does) and reports the share of violations of diminishing
returns, f(A ∪ x) − f(A) < f(B ∪ x) − f(B). A share near zero supports the (1 − 1/e)
guarantee of greedy selection for the sample-average objective; a large share says the
guarantee does not apply (docs/optimise.md).

    python3 benchmarks/submodularity.py [FILE] [--samples 40] [--replications 10] [--workers 2]

FILE defaults to the bundled scenarios/optimise/champions.toml (its [optimise] objective,
pre-screen and candidates). Each sample costs 4 × R runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from campaignsim.optimise.champions import prescreen, submodularity_violations  # noqa: E402
from campaignsim.optimise.choose import ChampionSets, search_value  # noqa: E402
from campaignsim.optimise.evaluate import Evaluator, Pool, search_seeds  # noqa: E402
from campaignsim.optimise.outputs import write_staff  # noqa: E402
from campaignsim.optimise.plan import plan_optimise  # noqa: E402
from campaignsim.world import StaffWorld  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=ROOT / "scenarios" / "optimise" /
                        "champions.toml")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = plan_optimise(args.file)
    world = StaffWorld.build(plan.base_scenario.staff, plan.scenario.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, Pool(args.workers) as pool:
        if not plan.scenario.staff.graph:   # one hospital for every replicate, as the search
            plan.on_staff(*write_staff(world, Path(folder)))
        evaluator = Evaluator(pool, plan.spec.objective, [])
        sets = ChampionSets(plan, world)
        candidates = prescreen(world, plan.spec.champions.prescreen,
                               plan.spec.champions.candidates)
        value = search_value(plan, sets, evaluator, search_seeds(args.seed, args.replications),
                             "submodularity")
        measured = submodularity_violations(value, candidates, args.samples,
                                            np.random.default_rng(args.seed))
    gains = np.array(measured["gains"])
    excess = gains[:, 1] - gains[:, 0]
    print(f"{plan.name}: {measured['violations']} of {measured['samples']} samples violate "
          f"diminishing returns ({measured['share']:.0%}); R = {args.replications} seeds, "
          f"{len(candidates)} candidates, objective {plan.spec.objective}")
    print(f"gain from A: mean {gains[:, 0].mean():+.5f}; gain from B: mean "
          f"{gains[:, 1].mean():+.5f}; largest violation {excess.max():+.5f}; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
