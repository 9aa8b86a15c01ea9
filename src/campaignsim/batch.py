"""Design points that share a world, stepped together as one (points × clinicians) state.

With common random numbers the design points of one replicate share the staff world and
the weekly draws, so R of them can step together: one sparse product over an (R, N)
array and one draw per clinician serve all R, while each point keeps its own model for
what differs (its hybrids and their random stream, champions, seeds, push, records).
The decision is the vectorised engine's own `dynamics.decide_all`, run on (R, N) arrays
with the constants that differ as arrays over points; each point gets exactly the
numbers of its separate run (tests/test_batch.py compares them).

What cannot share a state runs separately: another world (`[staff]`, seed), another
number of weeks, the reference engine, or another set of switches that change the
decision's structure (peer on/off and its rule, activation, fatigue, awareness;
`Terms.stack`).
"""

from __future__ import annotations

import numpy as np

from .approaches import Approaches, Push
from .dynamics import commit_week, decide_all, start_week
from .population import Population
from .model import CampaignModel
from .outcomes import summarise
from .runner import RunResult
from .world import STREAM_WEEKLY

#: Largest batch, in points × clinicians. The week is bound by memory traffic once its
#: (R, N) float arrays outgrow the core's L2 cache (1 MB here): batching then saves only
#: Python's per-call overhead, which matters for small hospitals (measured: ~1.3× at 1,040
#: clinicians, none at 10,000; docs/performance.md).
MAX_BATCH_ENTRIES = 50_000


def batch_key(model: CampaignModel) -> tuple | None:
    """What models must share to step together (None: this one runs alone)."""
    if model.spec.engine != "vectorised":
        return None
    terms = model.terms
    return (id(model.world), model.seed, model.spec.weeks, terms.peer_on, terms.peer_rule,
            terms.activation_on, terms.fatigue_on, terms.awareness_on, terms.unaware_enrol)


class Batch:
    """Models of one world and seed, stepped together (their populations become columns).

    Presents to `start_week` and `decide_all` what a single model presents, with
    (points, clinicians) arrays and per-point constants.
    """

    def __init__(self, models: list[CampaignModel]):
        if len({batch_key(model) for model in models}) != 1 or batch_key(models[0]) is None:
            raise ValueError("models of a batch share a world, seed, weeks and switches")
        self.models = models
        self.population = Population.stacked([model.population for model in models])
        self.terms = self.population.terms
        self.weekly_draws = np.random.default_rng([models[0].seed, STREAM_WEEKLY])
        self.peer_weight = np.stack([model.peer_weight for model in models])
        self.weighted_degree = np.stack([model.weighted_degree for model in models])
        self.weighted_degrees_positive = all(m.weighted_degrees_positive for m in models)
        self.has_neighbours = models[0].has_neighbours
        self.compiled = all(model.compiled for model in models)  # the kernels, or numpy
        self.push = self.approaches = self.week = self._alignment = None

    @property
    def running(self) -> bool:
        return self.models[0].running

    def department_alignment(self) -> np.ndarray:
        """Each point's departments' mean hybrid alignment, (points, departments), stacked
        again only when a point's changes (when hybrids leave)."""
        parts = [model.department_alignment() for model in self.models]
        if self._alignment is None or any(a is not b for a, b in zip(parts, self._alignment[0])):
            self._alignment = (parts, np.stack(parts))
        return self._alignment[1]

    def step(self) -> None:
        """One week of every point: each approaches on its own, all decide at once, each
        commits and records its column."""
        week = self.models[0].steps + 1
        approaches = Approaches(self.population.state.shape, self.population.state)
        for model, column in zip(self.models, approaches.columns()):
            model.steps = week  # the batch, not Mesa's step, advances its points' weeks
            model.approach(week, column)
        approaches.any_hybrid = any(model.approaches.any_hybrid for model in self.models)
        approaches.any_champion = any(model.approaches.any_champion for model in self.models)
        self.approaches = approaches
        self.push = Push.stack([model.push for model in self.models])
        self.week = start_week(self, week)
        decide_all(self, self.week)
        for point, model in enumerate(self.models):
            commit_week(model, self.week, point)
            model.observe(week)


def run_together(models: list[CampaignModel]) -> list[RunResult]:
    """Run fresh models to their end, those that can share a state in batches; the results
    in the models' order, each as its separate run would give it."""
    groups: dict = {}
    for position, model in enumerate(models):
        key = batch_key(model)
        groups.setdefault(position if key is None else key, []).append(position)
    for positions in groups.values():
        size = max(1, MAX_BATCH_ENTRIES // len(models[positions[0]].population))
        for start in range(0, len(positions), size):
            batch = [models[p] for p in positions[start:start + size]]
            runner = Batch(batch) if len(batch) > 1 else batch[0]
            while runner.running:
                runner.step()
    return [RunResult(model=model, summary=summarise(model)) for model in models]


__all__ = ["Batch", "batch_key", "run_together"]
