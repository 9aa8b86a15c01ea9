"""pyABC wiring: priors, distance, sampler, and a generation loop that resumes exactly.

Each generation is one `ABCSMC.run(max_nr_populations=1)` on a fresh ABCSMC that loads
the database (`abc.load`) — the uninterrupted fit does this too — after numpy's global
generator (pyABC's) is reseeded from (--seed, generation). pyABC writes a generation to
history.db only when it is complete, and on load it rebuilds the adaptive distance's
weights, the epsilon and the transition from the last stored generation, so a fit killed
mid-generation and rerun repeats that generation from the same state and seed: with one
worker its posterior equals the uninterrupted one's.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import (BetaPrior, ChoicePrior, IntegerPrior, LogUniformPrior, NormalPrior,
                     UniformPrior)
from .simulate import ParticleModel
from .target import DataTarget, PatternsDistance


@dataclass
class Generation:
    t: int
    epsilon: float
    samples: int
    particles: int

    @property
    def acceptance(self) -> float:
        return self.particles / self.samples if self.samples else 0.0


def pyabc_prior(plan):
    """pyABC's prior: one RV per fitted field, in pyABC's (continuous) coordinate."""
    import pyabc

    rvs = {}
    for spec in plan.priors:
        prior, (low, high) = spec.prior, spec.support()
        if isinstance(prior, (UniformPrior, IntegerPrior, ChoicePrior)):
            rvs[spec.name] = pyabc.RV("uniform", low, high - low)
        elif isinstance(prior, LogUniformPrior):
            rvs[spec.name] = pyabc.RV("loguniform", low, high)
        elif isinstance(prior, NormalPrior):
            rvs[spec.name] = pyabc.RV("truncnorm", (low - prior.mean) / prior.sd,
                                      (high - prior.mean) / prior.sd, prior.mean, prior.sd)
        elif isinstance(prior, BetaPrior):
            rvs[spec.name] = pyabc.RV("beta", prior.a, prior.b, low, high - low)
    return pyabc.Distribution(**rvs)


@contextmanager
def sampler(workers: int, executor: str, scheduler: str | None):
    """pyABC's sampler for the flags: one process, processes, or Dask (local or remote)."""
    from pyabc.sampler import (DaskDistributedSampler, MulticoreEvalParallelSampler,
                               SingleCoreSampler)

    if executor == "dask" or scheduler:
        from distributed import Client, LocalCluster

        cluster = None if scheduler else LocalCluster(
            n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
        client = Client(scheduler or cluster)
        try:
            yield DaskDistributedSampler(dask_client=client, batch_size=1)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers == 1:
        yield SingleCoreSampler()
    else:
        yield MulticoreEvalParallelSampler(n_procs=workers)


def generation_seed(seed: int, t: int) -> int:
    return int(np.random.SeedSequence([seed, t]).generate_state(1)[0])


def generations(db_path: Path) -> list[Generation]:
    """The complete generations stored in history.db (none if it holds no fit)."""
    if not db_path.exists():
        return []
    import pyabc

    history = pyabc.History(f"sqlite:///{db_path}", _id=1)
    try:
        table = history.get_all_populations()
    except Exception:   # a database killed before pyABC made its tables
        return []
    table = table[table["t"] >= 0]
    return [Generation(int(r.t), float(r.epsilon), int(r.samples), int(r.particles))
            for r in table.itertuples()]


def finished(plan, done: list[Generation]) -> bool:
    fit = plan.fit
    if not done:
        return False
    last = done[-1]
    return (len(done) >= fit.generations or last.epsilon <= fit.min_epsilon
            or last.acceptance < fit.min_acceptance_rate)


def run_fit(plan, folder: Path, seed: int, workers: int = 1, executor: str = "processes",
            scheduler: str | None = None, progress=print) -> list[Generation]:
    """Run (or resume) the fit into folder/history.db; returns its generations."""
    import pyabc

    for name in ("ABC", "Sampler", "Distance", "Epsilon", "Acceptor", "Transitions",
                 "pyabc", "distributed"):
        logging.getLogger(name).setLevel(logging.WARNING)
    db_path = folder / "history.db"
    done = generations(db_path)
    if not done and db_path.exists():
        db_path.unlink()   # killed inside the first generation: nothing complete to keep
    model = ParticleModel(plan)
    started = time.perf_counter()
    with sampler(workers, executor, scheduler) as chosen:
        while not finished(plan, done):
            t = len(done)
            # a fresh distance each generation: its adaptive weights come from the database
            distance = (pyabc.AdaptivePNormDistance(p=2) if isinstance(plan.target, DataTarget)
                        else PatternsDistance(plan.target))
            abc = pyabc.ABCSMC(model, pyabc_prior(plan), distance,
                               population_size=plan.fit.population, sampler=chosen)
            if t == 0:
                abc.new(f"sqlite:///{db_path}", plan.target.observed_stats())
            else:
                abc.load(f"sqlite:///{db_path}", 1)
            np.random.seed(generation_seed(seed, t) % 2**32)
            random.seed(generation_seed(seed, t))
            try:
                abc.run(max_nr_populations=1, minimum_epsilon=plan.fit.min_epsilon,
                        min_acceptance_rate=plan.fit.min_acceptance_rate)
            except AssertionError as error:
                if "total weight" not in str(error):
                    raise
                # pyABC could not weight this generation (importance weights of nan: the
                # proposal's density vanished where it sampled); the complete generations
                # in history.db stand, and the fit ends with the last of them
                progress(f"generation {t + 1} stopped: pyABC could not weight its particles "
                         f"({error}); the fit ends with the {t} complete generation(s)")
                return done
            done = generations(db_path)
            if len(done) == t:   # pyABC stopped without a generation (acceptance too low)
                break
            last = done[-1]
            progress(f"generation {last.t + 1}/{plan.fit.generations}: epsilon "
                     f"{last.epsilon:.4g}, acceptance {last.acceptance:.1%} "
                     f"({last.particles}/{last.samples}), {time.perf_counter() - started:.0f} s")
    return done
