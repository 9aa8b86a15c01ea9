"""Evaluating candidates: every candidate on the same replicate seeds (common random
numbers), on the lean batch path, in this process, on worker processes or on Dask.

A candidate is a list of scenarios, one per draw of the world's uncertain parameters
(one scenario without a posterior), every candidate over the same draws. `score` turns a
candidate's (draws × seeds) outcomes into the objective: the mean over its draws of the
per-draw means, or a lower quantile of the per-draw means (the robust objective); paired
CIs over seeds use each seed's mean over the draws.
A job is one seed × a block of candidates: they share that seed's staff world and weekly
draws and step together where they can (`campaignsim.batch`), each with its own run's
numbers, so results do not depend on the executor or the number of workers.

The search seeds and the held-out seeds come from two separate streams of the optimise
seed, and a held-out seed that happens to equal a search seed is skipped: the held-out
check never reuses a run of the search.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

import numpy as np

from ..batch import run_together
from ..compare import OUTCOMES
from ..workers import end_with, end_with_this_process, process_context
from ..runner import lean_model
from ..scenario import Scenario
from ..world import StaffWorld

#: Streams of the optimise seed: search replicates, held-out replicates, the heuristics'
#: random picks, the sampler.
STREAM_SEARCH, STREAM_HELD_OUT, STREAM_RANDOM, STREAM_SAMPLER = 11, 12, 13, 14


def _stream_seeds(seed: int, stream: int, count: int, avoid: set = frozenset()) -> list[int]:
    found: list[int] = []
    index = 0
    while len(found) < count:
        value = int(np.random.SeedSequence([seed, stream, index]).generate_state(1)[0])
        index += 1
        if value not in avoid and value not in found:
            found.append(value)
    return found


def search_seeds(seed: int, count: int) -> list[int]:
    """The R replicate seeds every candidate of the search is evaluated on."""
    return _stream_seeds(seed, STREAM_SEARCH, count)


def held_out_seeds(seed: int, count: int, search: list[int]) -> list[int]:
    """Replicate seeds for the final check: another stream, none equal to a search seed."""
    return _stream_seeds(seed, STREAM_HELD_OUT, count, set(search))


# --- what a worker runs ----------------------------------------------------------------

_LOADED: dict = {}


def _world(staff, seed: int) -> StaffWorld:
    """The staff world of a seed. A graph file gives the same hospital for every seed, so
    it is loaded once per process and re-labelled with the seed (its arrays do not depend
    on it); a generated staff is generated from the seed."""
    if not staff.graph:
        return StaffWorld.build(staff, seed)
    key = staff.model_dump_json()
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = StaffWorld.build(staff, 0)
    return replace(_LOADED[key], seed=seed)


def run_job(job: tuple[int, list[Scenario]]) -> list[dict]:
    """Run every scenario of a job on its seed; each run's outcomes (compare.OUTCOMES)."""
    seed, scenarios = job
    worlds: dict[str, StaffWorld] = {}
    models = []
    for scenario in scenarios:
        key = scenario.staff.model_dump_json()
        if key not in worlds:
            worlds[key] = _world(scenario.staff, seed)
        models.append(lean_model(scenario, seed, worlds[key]))
    return [{key: (np.nan if result.summary[key] is None else float(result.summary[key]))
             for key in OUTCOMES} for result in run_together(models)]


# --- executors ---------------------------------------------------------------------------


class Pool:
    """Maps jobs to results in job order: in this process, on local worker processes that
    end with this one, or on a Dask LocalCluster (or a scheduler to join)."""

    def __init__(self, workers: int = 1, executor: str = "processes",
                 scheduler: str | None = None):
        self.workers, self.executor = workers, executor
        self.pool = self.client = self.cluster = None
        if executor == "dask":
            import logging

            from ..sweep.executors import _require_dask, check_scheduler

            distributed = _require_dask()
            if scheduler:
                check_scheduler(scheduler)
                self.client = distributed.Client(scheduler, timeout="20s")
            else:
                self.cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
        elif workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=workers, initializer=end_with, initargs=end_with_this_process(),
                mp_context=process_context("campaignsim.optimise.evaluate"))

    def map(self, jobs: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.map(run_job, jobs, pure=False))
        if self.pool is not None:
            return list(self.pool.map(run_job, jobs))
        return [run_job(job) for job in jobs]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        for part in (self.client, self.cluster):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()
        self.pool = self.client = self.cluster = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Evaluator:
    """Evaluates candidates (lists of scenarios) on seeds, counting evaluations and keeping
    every run for evaluations.parquet.

    `evaluate(candidates, seeds, phase, labels)` returns the objective as a
    (candidates, draws, seeds) array."""

    pool: Pool
    objective: str
    records: list
    evaluations: int = 0

    def evaluate(self, candidates: list[list[Scenario]], seeds: list[int], phase: str,
                 labels: list[dict]) -> np.ndarray:
        flat = [scenario for candidate in candidates for scenario in candidate]
        results = self.pool.map([(seed, flat) for seed in seeds])
        draws = len(candidates[0])
        values = np.empty((len(candidates), draws, len(seeds)))
        for column, (seed, runs) in enumerate(zip(seeds, results)):
            for row in range(len(candidates)):
                own = runs[row * draws:(row + 1) * draws]
                values[row, :, column] = [run[self.objective] for run in own]
                for draw, run in enumerate(own):
                    self.records.append({"phase": phase, **labels[row], "replicate": column,
                                         "seed": seed, "draw": draw, **run})
        self.evaluations += len(candidates)
        return values


def scored_as(spec, draws: int) -> str | None:
    """What the search scored, in words, over posterior draws (None on one parameter set)."""
    if draws == 1 and spec.posterior is None:
        return None
    if spec.robust == "mean":
        return f"the mean over {draws} posterior draws"
    q = spec.quantile if spec.direction == "maximise" else 1 - spec.quantile
    return f"the {q:g} quantile of the per-draw means over {draws} posterior draws"


def score(values: np.ndarray, spec) -> np.ndarray:
    """Each candidate's objective from its (draws × seeds) outcomes, `values` of shape
    (candidates, draws, seeds): the mean of the per-draw means, or with
    `spec.robust == "quantile"` their `spec.quantile` quantile (1 − quantile when
    minimising: the bad tail either way; numpy's linear interpolation between draws).

    Examples:
        >>> from types import SimpleNamespace
        >>> table = np.array([[[0.5], [0.1]], [[0.25], [0.25]]])   # 2 candidates, 2 draws
        >>> spec = SimpleNamespace(robust="mean", quantile=0.1, direction="maximise")
        >>> score(table, spec).round(3).tolist()
        [0.3, 0.25]
        >>> score(table, SimpleNamespace(robust="quantile", quantile=0.1,
        ...                              direction="maximise")).round(3).tolist()
        [0.14, 0.25]
    """
    per_draw = values.mean(axis=2)
    if spec.robust == "mean":
        return per_draw.mean(axis=1)
    q = spec.quantile if spec.direction == "maximise" else 1 - spec.quantile
    return np.quantile(per_draw, q, axis=1)
