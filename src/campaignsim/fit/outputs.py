"""What a finished fit writes: the weighted posterior (posterior.parquet), a runnable
scenario at the posterior medians with the credible intervals in comments (fitted.toml),
posterior-predictive runs and the numbers the manifest and the report show.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..results_io import atomic_write
from .schema import ChoicePrior, IntegerPrior
from .simulate import ParticleModel
from .target import DataTarget, series

CREDIBLE = 0.90


def posterior_table(plan, db_path: Path) -> pd.DataFrame:
    """The last generation's particles: one column per fitted field (its value as the
    scenario takes it), and `weight` (summing to 1)."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db_path}", _id=1)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    table = pd.DataFrame({spec.path: [spec.decode(x) for x in frame[spec.name]]
                          for spec in plan.priors})
    table["weight"] = np.asarray(weights) / np.sum(weights)
    return table.reset_index(drop=True)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose weighted cumulative share reaches q.

    Examples:
        >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]), 0.5)
        1.0
        >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]), 0.6)
        2.0
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(np.searchsorted(cumulative, q - 1e-12), len(values) - 1)])


def intervals(plan, table: pd.DataFrame) -> dict:
    """Per field: posterior median (mode for a choice), 90 % interval, prior range."""
    weights = table["weight"].to_numpy()
    found = {}
    for spec in plan.priors:
        column = table[spec.path]
        if isinstance(spec.prior, ChoicePrior):
            shares = {str(k): float(v) for k, v in table.groupby(spec.path)["weight"].sum().items()}
            best = max(shares, key=shares.get)
            found[spec.path] = {"mode": next(v for v in spec.prior.values if str(v) == best),
                                "probabilities": shares}
            continue
        values = column.to_numpy(dtype=float)
        tail = (1 - CREDIBLE) / 2
        low, high = ((spec.prior.low, spec.prior.high) if isinstance(spec.prior, IntegerPrior)
                     else spec.support())
        entry = {"median": weighted_quantile(values, weights, 0.5),
                 "low": weighted_quantile(values, weights, tail),
                 "high": weighted_quantile(values, weights, 1 - tail),
                 "prior_low": float(low), "prior_high": float(high)}
        entry["width_ratio"] = ((entry["high"] - entry["low"]) / (high - low)
                                if math.isfinite(high - low) and high > low else None)
        found[spec.path] = entry
    return found


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return json.dumps(value)   # ints and strings: JSON spells them as TOML does


def fitted_toml(plan, found: dict, folder: Path, seed: int, generations: int) -> str:
    """A scenario that extends the fitted file with the posterior medians."""
    source = Path(plan.source).resolve() if plan.source else None
    lines = [f"# Fitted by `campaignsim fit` (seed {seed}, {generations} generations of "
             f"{plan.fit.population} particles).",
             f"# Posterior medians (a choice: its most probable value); "
             f"{CREDIBLE:.0%} credible intervals in the comments.",
             "# Run it: campaignsim run fitted.toml   (or compare it with other scenarios)", ""]
    if source is not None:
        lines.append(f"extends = {json.dumps(os.path.relpath(source, folder))}")
    lines += [f"name = {json.dumps(plan.name + '-fitted')}",
              f"description = {json.dumps('Posterior medians of a fit of ' + plan.name)}", ""]
    for spec in plan.priors:
        entry = found[spec.path]
        if "mode" in entry:
            comment = ", ".join(f"{k} {v:.0%}" for k, v in entry["probabilities"].items())
            lines.append(f"{spec.path} = {_toml_value(entry['mode'])}   # posterior: {comment}")
            continue
        value = entry["median"]
        if spec.discrete:
            value = int(round(value))
        lines.append(f"{spec.path} = {_toml_value(value)}   # {CREDIBLE:.0%} CI "
                     f"{entry['low']:.4g} … {entry['high']:.4g} (prior "
                     f"{entry['prior_low']:.4g} … {entry['prior_high']:.4g})")
    return "\n".join(lines) + "\n"


def predictive(plan, table: pd.DataFrame, seed: int) -> dict:
    """Posterior-predictive runs: particles drawn by weight, each run with its own seed.

    Returns, for data, each observed series per run (all weeks); for patterns, each
    pattern's value per run and the share of runs meeting each pattern and all of them."""
    model = ParticleModel(plan)
    rng = np.random.default_rng([seed, 0x7072])   # a stream of its own ("pr")
    draws = rng.choice(len(table), size=plan.fit.predictive_runs,
                       p=table["weight"].to_numpy())
    records = []
    for index in draws:
        values = tuple(table.loc[index, spec.path] for spec in plan.priors)
        values = tuple(v.item() if hasattr(v, "item") else v for v in values)
        for result in model.runs(values, int(rng.integers(2**31 - 1))):
            if isinstance(plan.target, DataTarget):
                records.append({name: series(name, result.timeseries, plan.clinicians)
                                for name in plan.target.observed})
            else:
                records.append(plan.target.values(*result))
    if isinstance(plan.target, DataTarget):
        return {"series": {name: np.array([r[name] for r in records])
                           for name in plan.target.observed}}
    met = {p.name: float(np.mean([p.excess(r[p.name]) == 0 for r in records]))
           for p in plan.target.patterns}
    met["all"] = float(np.mean([all(p.excess(r[p.name]) == 0 for p in plan.target.patterns)
                                for r in records]))
    return {"values": {p.name: [r[p.name] for r in records] for p in plan.target.patterns},
            "met": met}


def write_posterior(table: pd.DataFrame, path: Path) -> None:
    # every column a plain type, and no pandas metadata that varies between runs
    atomic_write(path, lambda p: table.to_parquet(p, index=False))
