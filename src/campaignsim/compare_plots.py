"""Figures of a strategy comparison (`campaignsim compare`): the effect first.

effects_compare.png answers the comparison's question at a glance: each strategy's
paired difference to the reference with its 95 % CI, one panel per headline outcome,
sorted by effect, zero marked, a strategy without effect on the zero line.
adoption_compare.png shows how each strategy got there: its curves against the
reference's, one small panel per strategy.
"""

from __future__ import annotations

import pandas as pd

from .plots import panel_grid, plt

#: Effect colours: a clear gain, a clear loss (95 % CI excludes zero), unclear, and none.
GAIN, LOSS, UNCLEAR, NONE = "#1b7837", "#b2182b", "#525252", "#969696"
#: Optional table columns (per outcome key) of a comparison across a posterior's draws:
#: the probability that a strategy beats the reference, annotated beside each effect, and
#: the spread of the per-draw effects, drawn as a pale band behind the CI.
BENEFIT_COLUMN = "prob_benefit_{key}"
SPREAD_COLUMNS = ("diff_{key}_draws_low", "diff_{key}_draws_high")


def effects_figure(table: pd.DataFrame):
    """The comparison's answer: paired differences to the reference with 95 % CIs, one
    panel per headline outcome, strategies sorted by their effect on enrolment (largest
    on top), zero marked; a strategy with no effect at all sits on the zero line as an
    open grey circle labelled so."""
    import numpy as np

    from .compare import EFFECTS as effects, LOWER_IS_BETTER as lower_is_better, by_effect

    reference = table.iloc[0]["scenario"]
    table = by_effect(table).iloc[1:]
    count = len(table)
    figure, axes = plt.subplots(1, len(effects), figsize=(3.6 * len(effects) + 1.8,
                                                          0.38 * count + 1.9),
                                sharey=True, constrained_layout=True)
    positions = np.arange(count)[::-1]
    for panel, (key, (title, unit)) in zip(axes, effects.items()):
        scale = 100 if unit == "points" else 1
        mean = table[f"diff_{key}"].to_numpy(dtype=float) * scale
        low = table[f"diff_{key}_ci_low"].to_numpy(dtype=float) * scale
        high = table[f"diff_{key}_ci_high"].to_numpy(dtype=float) * scale
        none = table["no_effect"].astype(bool).to_numpy()
        panel.axvline(0, color="black", linewidth=1)
        spread = [column.format(key=key) for column in SPREAD_COLUMNS]
        if all(column in table for column in spread):
            across = [table[column].to_numpy(dtype=float) * scale for column in spread]
            for y, lo, hi in zip(positions, *across):
                panel.plot([lo, hi], [y, y], color="#9ecae1", linewidth=7, alpha=0.6,
                           solid_capstyle="butt", zorder=1)
            low_ends, high_ends = across
        else:
            low_ends = high_ends = np.array([])
        for y, m, lo, hi, nothing in zip(positions, mean, low, high, none):
            if nothing:
                panel.plot(0, y, "o", markersize=8, markerfacecolor="white",
                           markeredgecolor=NONE, markeredgewidth=1.5)
                continue
            colour = GAIN if lo > 0 else LOSS if hi < 0 else UNCLEAR
            if key in lower_is_better:   # e.g. a wider gap is worse (the title says so)
                colour = LOSS if lo > 0 else GAIN if hi < 0 else UNCLEAR
            if np.isfinite(lo):
                panel.plot([lo, hi], [y, y], color=colour, linewidth=2.2, solid_capstyle="butt")
            panel.plot(m, y, "o", color=colour, markersize=7)
        benefit = BENEFIT_COLUMN.format(key=key)
        if benefit in table:
            for y, value in zip(positions, table[benefit].to_numpy(dtype=float)):
                if np.isfinite(value):
                    panel.annotate(f"P(better) {value:.0%}", (1, y), xycoords=("axes fraction",
                                   "data"), xytext=(-2, 0), textcoords="offset points",
                                   ha="right", va="center", fontsize=7, color="#444444",
                                   bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        finite = np.concatenate([values[np.isfinite(values)] for values in
                                 (low, high, mean, low_ends, high_ends, np.zeros(1))])
        reach = max(abs(finite).max(), 1e-9) * 1.15
        panel.set_xlim(-reach, reach * (1.7 if benefit in table else 1))   # room for P(better)
        panel.set(title=f"{title}{' (lower is better)' if key in lower_is_better else ''}",
                  xlabel="Δ percentage points" if unit == "points" else f"Δ ({unit})")
        panel.grid(axis="x", alpha=0.3)
        for y in positions[1::2]:   # bands guide the eye across the panels
            panel.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", zorder=0)
    labels = [f"{name}  (no effect)" if nothing else name
              for name, nothing in zip(table["scenario"], table["no_effect"].astype(bool))]
    axes[0].set_yticks(positions, labels)
    axes[0].set_ylim(-0.6, count - 0.4)
    for tick, nothing in zip(axes[0].get_yticklabels(), table["no_effect"].astype(bool)):
        if nothing:
            tick.set_color(NONE)
    title = (f"Effect of each strategy against {reference} (paired differences, mean and "
             "95 % CI; green: better, red: worse, grey: unclear)")
    if "draws" in table:
        title += (f"\nacross {int(table['draws'].max())} parameter sets drawn from the accepted "
                  "set: pale band = 10–90 % of the per-draw effects; P(better) = share of "
                  "draws in which the strategy beats the reference")
    figure.suptitle(title, fontsize=11)
    return figure


def adoption_figure(comparison, order: list[int] | None = None):
    """Small multiples: each strategy's mean enrolled (solid) and active (dashed) curves
    with 95 % CI bands, against the reference's in grey; panels in `order` (indices of
    the scenarios; default: as given), a strategy without effect titled so."""
    import numpy as np

    from .compare import mean_ci, no_effect_reason

    order = [i for i in (order or range(len(comparison.scenarios))) if i != 0]
    weeks = np.arange(comparison.enrolled.shape[2])

    def bands(curves, index):
        return np.array([mean_ci(curves[index, :, week]) for week in weeks])

    reference = {name: bands(curves, 0) for name, curves in
                 (("enrolled", comparison.enrolled), ("active", comparison.active))}
    figure, axes = panel_grid(max(len(order), 1), width=3.4, height=2.6, columns=4, share=True)
    base = comparison.scenarios[0].name
    for panel, index in zip(axes, order):
        for name, curves, style in (("enrolled", comparison.enrolled, "-"),
                                    ("active", comparison.active, "--")):
            panel.plot(weeks, reference[name][:, 0], color="#9e9e9e", linewidth=1.6,
                       linestyle=style, label=f"{base} {name}")
            own = bands(curves, index)
            colour = "#2166ac" if name == "enrolled" else "#1b7837"
            panel.plot(weeks, own[:, 0], color=colour, linewidth=1.8, linestyle=style,
                       label=name)
            if comparison.replications > 1:
                panel.fill_between(weeks, own[:, 1], own[:, 2], color=colour, alpha=0.2,
                                   linewidth=0)
        nothing = no_effect_reason(comparison, index) is not None
        panel.set_title(comparison.scenarios[index].name + ("  (no effect)" if nothing else ""),
                        fontsize=10, color=NONE if nothing else "black")
        panel.set_ylim(0, 1)
        panel.grid(alpha=0.3)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=4,
                  fontsize=8, frameon=False)
    for panel in axes:
        if panel.get_subplotspec().is_last_row():
            panel.set_xlabel("week")
        if panel.get_subplotspec().is_first_col():
            panel.set_ylabel("share of clinicians")
    figure.suptitle(f"Adoption curves against {base} (grey): enrolled (solid) and active "
                    f"(dashed), mean and 95 % CI of {comparison.replications} "
                    + ("runs across the posterior's draws" if "draw" in comparison.runs
                       else "replications"),
                    fontsize=11)
    return figure
