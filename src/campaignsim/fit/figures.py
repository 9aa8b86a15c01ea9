"""Figures of a fit: the posterior against the prior (posterior.png), posterior-predictive
bands against the data or the pattern ranges (predictive.png), and the epsilon schedule
with the acceptance rate (epsilon.png)."""

from __future__ import annotations

import numpy as np

from ..plots import plt
from .schema import ChoicePrior
from .target import DataTarget


def _numeric(spec, values):
    """Values on an axis: a choice is shown by its index among the allowed values."""
    if isinstance(spec.prior, ChoicePrior):
        return np.array([spec.prior.values.index(v) for v in values], dtype=float)
    return np.asarray(values, dtype=float)


def posterior_figure(plan, table, prior, seed: int):
    """Marginals (posterior bars, prior outline, the scenario's own value dashed) on the
    diagonal, weighted pairwise scatter below it."""
    specs = plan.priors
    k = len(specs)
    figure, axes = plt.subplots(k, k, figsize=(2.4 * k + 1, 2.4 * k + 1), squeeze=False)
    weights = table["weight"].to_numpy()
    rng = np.random.default_rng([seed, 0x7072696F])
    for i, spec in enumerate(specs):
        values = _numeric(spec, table[spec.path])
        drawn = prior[spec.name].distribution.rvs(size=4000, random_state=rng)
        prior_values = _numeric(spec, [spec.decode(x) for x in drawn])
        low, high = spec.support()
        low, high = (min(low, prior_values.min()), max(high, prior_values.max()))
        bins = (np.arange(np.floor(low) - 0.5, np.ceil(high) + 1) if spec.discrete
                else np.linspace(low, high, 25))
        axis = axes[i][i]
        axis.hist(values, bins=bins, weights=weights, density=True, color="tab:blue",
                  alpha=0.7, label="posterior")
        axis.hist(prior_values, bins=bins, density=True, histtype="step", color="grey",
                  label="prior")
        own = _scenario_value(plan, spec)
        if own is not None:
            axis.axvline(own, color="black", linestyle="--", linewidth=1, label="scenario value")
        axis.set_yticks([])
        if i == 0:
            axis.legend(fontsize=7)
        for j in range(k):
            if j > i:
                axes[i][j].axis("off")
            elif j < i:
                other = _numeric(specs[j], table[specs[j].path])
                axes[i][j].scatter(other, values, s=8, alpha=0.6,
                                   c=weights, cmap="Blues", edgecolors="none")
        axes[k - 1][i].set_xlabel(spec.path, fontsize=8)
        if i > 0:
            axes[i][0].set_ylabel(spec.path, fontsize=8)
    figure.suptitle(f"{plan.name}: posterior (bars, points) and prior (outline)")
    figure.tight_layout()
    return figure


def _scenario_value(plan, spec):
    node = plan.base
    for part in spec.path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(spec.prior, ChoicePrior):
        return spec.prior.values.index(node) if node in spec.prior.values else None
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def predictive_figure(plan, predicted: dict):
    if isinstance(plan.target, DataTarget):
        names = list(plan.target.observed)
        figure, axes = plt.subplots(len(names), 1, figsize=(8, 2.2 * len(names)), squeeze=False)
        for axis, name in zip(axes[:, 0], names):
            runs = predicted["series"][name]
            weeks = np.arange(runs.shape[1])
            low, mid, high = np.percentile(runs, [5, 50, 95], axis=0)
            axis.fill_between(weeks, low, high, color="tab:blue", alpha=0.3,
                              label="90 % predictive band")
            axis.plot(weeks, mid, color="tab:blue", label="median")
            observed_weeks, observed = plan.target.observed[name]
            axis.plot(observed_weeks, observed, "k.", label="observed")
            axis.set_ylabel(name, fontsize=8)
        axes[0, 0].legend(fontsize=7)
        axes[-1, 0].set_xlabel("week")
    else:
        patterns = plan.target.patterns
        figure, axis = plt.subplots(figsize=(8, 0.6 * len(patterns) + 1.5))
        for row, pattern in enumerate(patterns):
            values = np.asarray(predicted["values"][pattern.name], dtype=float)
            width = pattern.high - pattern.low if pattern.high > pattern.low else 1.0
            # each pattern on its own scale: 0 = low end of the range, 1 = high end
            scaled = (values - pattern.low) / width
            axis.fill_betweenx([row - 0.35, row + 0.35], 0, 1 if pattern.high > pattern.low
                               else 0.02, color="tab:green", alpha=0.25)
            axis.plot(scaled, row + np.random.default_rng(row).uniform(-0.25, 0.25, len(scaled)),
                      ".", color="tab:blue", alpha=0.5)
            axis.text(1.02, row, f"{predicted['met'][pattern.name]:.0%} met",
                      transform=axis.get_yaxis_transform(), fontsize=8, va="center")
        axis.set_yticks(range(len(patterns)), [p.name for p in patterns])
        axis.set_xlabel("outcome, scaled so that the accepted range (green) is 0 … 1")
    figure.suptitle(f"{plan.name}: posterior-predictive runs")
    figure.tight_layout()
    return figure


def epsilon_figure(plan, generations):
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    t = [g.t + 1 for g in generations]
    top.plot(t, [g.epsilon for g in generations], "o-")
    top.set_ylabel("epsilon")
    if all(g.epsilon > 0 for g in generations):
        top.set_yscale("log")
    bottom.plot(t, [g.acceptance for g in generations], "o-", color="tab:orange")
    bottom.set_ylabel("acceptance rate")
    bottom.set_xlabel("generation")
    bottom.set_ylim(0, 1)
    figure.suptitle(f"{plan.name}: epsilon schedule and acceptance")
    figure.tight_layout()
    return figure
