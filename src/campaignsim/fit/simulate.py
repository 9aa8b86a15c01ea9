"""One particle of a fit: the scenario with the particle's values applied exactly as a
sweep applies a design point, run `replications` times, reduced to summary statistics.

The particle's seed is drawn from numpy's global generator, which is the stream pyABC
samples from, so a single-process fit seeded with --seed is reproducible run for run.
Replicate r of a particle uses seed SeedSequence([particle seed, r]); a pattern's variant
(e.g. "without hybrids") runs with the same seeds — common random numbers — and the same
staff world, taken from the sweep's per-process world cache.
"""

from __future__ import annotations

import numpy as np

from ..scenario import validate_scenario
from ..sweep.design import apply_point
from ..sweep.tasks import run_one
from .target import DataTarget, PatternsTarget


def replicate_seed(seed: int, replicate: int) -> int:
    return int(np.random.SeedSequence([seed, replicate]).generate_state(1)[0])


class ParticleModel:
    """pyABC model: parameters (pyABC's names) → summary statistics. Picklable, so the
    multicore and Dask samplers can ship it to their workers."""

    def __init__(self, plan):
        self.base, self.priors = plan.base, plan.priors
        self.target, self.replications = plan.target, plan.fit.replications
        self.reuse = plan.reuses_world

    def values(self, parameters) -> tuple:
        """The field values of a particle, in the order of the priors."""
        return tuple(p.decode(parameters[p.name]) for p in self.priors)

    def scenario_data(self, values: tuple) -> dict:
        return apply_point(self.base, tuple(p.path for p in self.priors), values)

    def runs(self, values: tuple, seed: int) -> list:
        """The replicate runs of a particle (with each variant's, for patterns)."""
        data = self.scenario_data(values)
        scenario = validate_scenario(data)
        results = []
        for replicate in range(self.replications):
            run_seed = replicate_seed(seed, replicate)
            result = run_one(scenario, run_seed, self.reuse)
            if isinstance(self.target, PatternsTarget):
                variants = {}
                for pattern in self.target.patterns:
                    if pattern.variant and pattern.variant not in variants:
                        paths, values_ = zip(*pattern.variant)
                        variant = validate_scenario(apply_point(data, paths, values_))
                        variants[pattern.variant] = run_one(variant, run_seed, self.reuse)
                result = (result, variants)
            results.append(result)
        return results

    def stats(self, results) -> dict:
        if isinstance(self.target, DataTarget):
            return self.target.stats(results)
        # patterns are judged on the mean over replications (research/patterns.md)
        per_run = [self.target.values(result, variants) for result, variants in results]
        return {name: float(np.mean([v[name] for v in per_run])) for name in per_run[0]}

    def __call__(self, parameters) -> dict:
        seed = int(np.random.randint(0, 2**31 - 1))   # from pyABC's own stream
        return self.stats(self.runs(self.values(parameters), seed))
