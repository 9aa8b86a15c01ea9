"""Plots of runs and sweeps: adoption curves by state and by role; a sweep's outcomes
against its levers, heatmaps, fans and sensitivity indices (compare's figures:
compare_plots.py)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .scenario import STATES  # noqa: E402

STATE_COLOURS = {"unaware": "#bdbdbd", "aware": "#9ecae1", "enrolled": "#3182bd",
                 "active": "#31a354", "disengaged": "#e6550d"}


def adoption_figure(timeseries: pd.DataFrame, title: str):
    """The share of clinicians in each state by week; beside it the enrolled share by role,
    when there are several roles to tell apart (champions as well as clinicians)."""
    members = {role: timeseries[[f"role:{role}:{s}" for s in STATES]].sum(axis=1)
               for role in ("clinician", "champion")}
    roles = [role for role, count in members.items() if count.iloc[0] > 0]
    figure, axes = plt.subplots(1, 2 if len(roles) > 1 else 1,
                                figsize=(11 if len(roles) > 1 else 6.5, 4.2),
                                squeeze=False, constrained_layout=True)
    by_state = axes[0, 0]
    total = timeseries[list(STATES)].sum(axis=1)
    for state in STATES:
        by_state.plot(timeseries["week"], timeseries[state] / total, label=state,
                      color=STATE_COLOURS[state], linewidth=2)
    by_state.plot(timeseries["week"], timeseries["enrolled_share"], label="enrolled + active",
                  color="black", linestyle="--", linewidth=1.5)
    by_state.set(xlabel="week", ylabel="share of clinicians", ylim=(0, 1), title="By state")
    by_state.legend(fontsize=8, loc="center right")
    if len(roles) > 1:
        by_role = axes[0, 1]
        for role in roles:
            enrolled = timeseries[f"role:{role}:enrolled"] + timeseries[f"role:{role}:active"]
            by_role.plot(timeseries["week"], enrolled / members[role],
                         label=f"{role}s enrolled + active", linewidth=2)
            by_role.plot(timeseries["week"], timeseries[f"role:{role}:active"] / members[role],
                         label=f"{role}s active", linewidth=1.5, linestyle=":")
        by_role.set(xlabel="week", ylabel="share of the role", ylim=(0, 1), title="By role")
        by_role.legend(fontsize=8, loc="center right")
    figure.suptitle(title)
    return figure


def save_figure(figure, path: Path) -> None:
    from .results_io import atomic_write

    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format=path.suffix.lstrip(".")))
    plt.close(figure)


# --- sweeps (campaignsim plot DIR, campaignsim sensitivity DIR) ----------------------

# Outcome labels and the reading of sensitivity indices live in sweep.analysis, loaded
# by the sweep figures only (a plain run draws without the sweep machinery).
_DISCRETE = 12   # a parameter with at most this many values is drawn value by value
_GROUPS = 6      # at most this many lines (levels, or quantile bins) per panel


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _levels(series: pd.Series) -> list:
    values = series.dropna().unique().tolist()
    return sorted(values) if _is_number(series) else sorted(values, key=str)


def _groups(series: pd.Series, limit: int = _GROUPS) -> tuple[pd.Series, list]:
    """A label per row: the value itself for a few levels, else its quantile bin."""
    levels = _levels(series)
    if len(levels) <= limit or not _is_number(series):
        names = dict(zip(levels, _ticks(levels) if _is_number(series) else map(str, levels)))
        return series.map(names), list(dict.fromkeys(names.values()))
    bins = pd.qcut(series, q=min(limit, 4), duplicates="drop")
    labels = bins.map(lambda b: f"{b.left:.3g}–{b.right:.3g}").astype(str)
    order = [f"{b.left:.3g}–{b.right:.3g}" for b in bins.cat.categories]
    return labels, order


def panel_grid(count: int, width: float = 4.2, height: float = 3.3, columns: int = 3,
               share: bool = False):
    """A figure with `count` panels in rows of `columns` (the spare ones hidden); `share`
    gives them common axes."""
    columns = min(columns, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows),
                                squeeze=False, constrained_layout=True, sharex=share,
                                sharey=share)
    for extra in axes.ravel()[count:]:
        extra.set_visible(False)
    return figure, list(axes.ravel()[:count])


def sweep_outcome_figure(runs: pd.DataFrame, parameter: str, outcomes: dict[str, str],
                         by: str | None = None):
    """Each outcome against one swept parameter: the mean over runs at each value with
    its 95 % CI (one line per level of `by`, if given); for a sampled parameter, the
    design points' means and the mean with CI in quantile bins."""
    import numpy as np

    from .compare import mean_ci

    figure, axes = panel_grid(len(outcomes))
    values = runs[parameter]
    discrete = len(_levels(values)) <= _DISCRETE
    numeric = _is_number(values)
    for panel, (outcome, label) in zip(axes, outcomes.items()):
        if discrete:
            levels = _levels(values)
            positions = levels if numeric else list(range(len(levels)))
            groups = [(None, runs)] if by is None else [
                (level, runs[runs[by] == level]) for level in _levels(runs[by])]
            colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(groups), 1)))
            for colour, (level, group) in zip(colours, groups):
                stats = np.array([mean_ci(group.loc[group[parameter] == v, outcome].to_numpy(
                    dtype=float)) for v in levels])
                line_label = None if level is None else f"{by} = {level:.3g}" if isinstance(
                    level, float) else f"{by} = {level}"
                panel.plot(positions, stats[:, 0], marker="o", color=colour, label=line_label,
                           linewidth=1.8)
                panel.fill_between(positions, stats[:, 1], stats[:, 2], color=colour,
                                   alpha=0.18, linewidth=0)
            if not numeric:
                panel.set_xticks(positions, [str(v)[:18] for v in levels], rotation=20,
                                 fontsize=8)
        else:
            means = runs.groupby("point").agg(x=(parameter, "first"), y=(outcome, "mean"))
            panel.scatter(means["x"], means["y"], s=8, alpha=0.35, color="#3182bd",
                          label="design points (mean over replicates)")
            bins = pd.qcut(runs[parameter], q=min(10, runs["point"].nunique()),
                           duplicates="drop")
            stats = runs.groupby(bins, observed=True).apply(
                lambda g: pd.Series(mean_ci(g[outcome].to_numpy(dtype=float)),
                                    index=["mean", "low", "high"]), include_groups=False)
            centres = [interval.mid for interval in stats.index]
            panel.plot(centres, stats["mean"], color="black", linewidth=1.8,
                       label="mean in bins, 95 % CI")
            panel.fill_between(centres, stats["low"], stats["high"], color="black", alpha=0.12,
                               linewidth=0)
        panel.set(xlabel=parameter, title=label)
        if outcome != "weeks_to_50" and outcome != "mean_ownership_of_enrolled_now":
            panel.set_ylim(bottom=min(0, panel.get_ylim()[0]))
        panel.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if labels:
        axes[0].legend(fontsize=7, loc="best")
    figure.suptitle(f"Outcomes against {parameter} (mean and 95 % CI over runs)")
    return figure


def sweep_heatmap_figure(runs: pd.DataFrame, rows: str, columns: str,
                         outcomes: dict[str, str]):
    """Mean outcome in each cell of a two-parameter grid."""
    import numpy as np

    figure, axes = panel_grid(len(outcomes), width=4.6, height=3.8)
    row_levels, column_levels = _levels(runs[rows]), _levels(runs[columns])
    for panel, (outcome, label) in zip(axes, outcomes.items()):
        table = (runs.groupby([rows, columns])[outcome].mean()
                 .unstack(columns).reindex(index=row_levels, columns=column_levels))
        values = table.to_numpy(dtype=float)
        image = panel.imshow(values, origin="lower", aspect="auto", cmap="viridis")
        figure.colorbar(image, ax=panel, shrink=0.85)
        panel.set_xticks(range(len(column_levels)), _ticks(column_levels), fontsize=8)
        panel.set_yticks(range(len(row_levels)), _ticks(row_levels), fontsize=8)
        if values.size <= 144:
            finite = values[np.isfinite(values)]
            middle = (finite.min() + finite.max()) / 2 if finite.size else 0
            cells = dict(zip(finite.tolist(), distinct_labels(finite.tolist(), "f", start=2,
                                                              most=4)))
            for (i, j), value in np.ndenumerate(values):
                if np.isfinite(value):
                    panel.text(j, i, cells[value], ha="center", va="center", fontsize=7,
                               color="black" if value > middle else "white")
        panel.set(xlabel=columns, ylabel=rows, title=label)
    figure.suptitle("Mean over replications in each cell of the grid")
    return figure


def distinct_labels(values: list[float], kind: str = "g", start: int = 3,
                    most: int = 6) -> list[str]:
    """`values` formatted with the fewest digits (from `start`, at most `most`; "f":
    decimals, "g": significant digits) at which different values get different labels:
    0.035, 0.04 and 0.045 do not all become "0.04".

    Examples:
        >>> distinct_labels([0.035, 0.04, 0.045], "f", start=2)
        ['0.035', '0.040', '0.045']
        >>> distinct_labels([0.1, 0.25], "g")
        ['0.1', '0.25']
    """
    for digits in range(start, most + 1):
        labels = [format(v, f".{digits}{kind}") for v in values]
        if len(set(labels)) == len(set(values)):
            return labels
    return labels


def _ticks(levels: list) -> list[str]:
    """Tick labels of a parameter's levels: numbers with enough digits to tell them apart."""
    if all(isinstance(v, float) for v in levels):
        return distinct_labels(levels, "g")
    return [str(v)[:12] for v in levels]


def sweep_fans_figure(curves: pd.DataFrame, runs: pd.DataFrame, parameters: list[str]):
    """Adoption-curve fans as small multiples: a row per swept parameter, a panel per value
    (or quantile bin) with the enrolled share's median and 10–90 % band over its runs, and
    the other values' medians in grey behind it for comparison."""
    import numpy as np

    fans = {}
    for parameter in parameters:
        labels, order = _groups(runs[parameter])
        keyed = runs[["point", "replicate"]].assign(group=labels.to_numpy())
        data = curves.merge(keyed, on=["point", "replicate"])
        fans[parameter] = {group: data[data["group"] == group].groupby("week")["enrolled"]
                           .quantile([0.1, 0.5, 0.9]).unstack()
                           for group in order if (data["group"] == group).any()}
    columns = max(len(f) for f in fans.values())
    figure, axes = plt.subplots(len(parameters), columns, figsize=(2.7 * columns + 0.4,
                                                                    2.4 * len(parameters) + 0.5),
                                squeeze=False, sharex=True, sharey=True, constrained_layout=True)
    for row, parameter in zip(axes, parameters):
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.85, max(len(fans[parameter]), 1)))
        for column, panel in enumerate(row):
            if column >= len(fans[parameter]):
                panel.set_visible(False)
                continue
            group, bands = list(fans[parameter].items())[column]
            for other in fans[parameter].values():
                panel.plot(other.index, other[0.5], color="#c8c8c8", linewidth=1)
            panel.fill_between(bands.index, bands[0.1], bands[0.9], color=colours[column],
                               alpha=0.25, linewidth=0)
            panel.plot(bands.index, bands[0.5], color=colours[column], linewidth=2.2)
            panel.set_title(f"{parameter} = {group}", fontsize=9)
            panel.set_ylim(0, 1)
            panel.grid(alpha=0.3)
        row[0].set_ylabel("enrolled (incl. active)")
    for panel in axes[-1]:
        panel.set_xlabel("week")
    figure.suptitle("Adoption-curve fans: median (line) and 10–90 % of runs (band); grey: the "
                    "medians of the other values")
    return figure


def sensitivity_figure(result):
    """Bar chart of sensitivity indices per outcome (with their 95 % CIs where known),
    with readable names and one sentence on how to read the indices."""
    import textwrap

    import numpy as np

    from .sweep.analysis import reading_note, readable

    table = result.table
    outcomes = list(dict.fromkeys(table["outcome"]))
    figure, axes = panel_grid(len(outcomes), width=4.6,
                           height=max(2.4, 0.45 * table["parameter"].nunique() + 1.4))
    bars = {"sobol": ("S1", "ST"), "grid": ("S1", "ST"), "morris": ("mu_star", "sigma"),
            "latin": ("S1",)}.get(result.method, (result.index,))
    names = {"S1": "first order S1", "ST": "total ST", "mu_star": "μ*", "sigma": "σ"}
    for panel, outcome in zip(axes, outcomes):
        rows = table[table["outcome"] == outcome].sort_values(result.index)
        positions = np.arange(len(rows))
        height = 0.8 / len(bars)
        for k, column in enumerate(bars):
            conf = rows.get(f"{column}_conf")
            panel.barh(positions + (k - (len(bars) - 1) / 2) * height, rows[column],
                       height=height, label=names.get(column, column),
                       xerr=None if conf is None else np.nan_to_num(conf.to_numpy()),
                       capsize=2)
        panel.set_yticks(positions, [readable(p) for p in rows["parameter"]], fontsize=8)
        panel.set(title=readable(outcome))
        panel.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    titles = {"sobol": "Sobol' indices (SALib)", "morris": "Morris screening (SALib)",
              "latin": "RBD-FAST first-order indices (SALib)",
              "grid": "Variance decomposition of the grid"}
    figure.suptitle(f"{titles.get(result.method, result.method)}: levers ranked")
    figure.text(0.01, 0.0, textwrap.fill(reading_note(result), 130), fontsize=8, va="top",
                ha="left", color="#333333")
    return figure


def sweep_figures(folder: Path, outcomes: dict[str, str] | None = None) -> list[Path]:
    """Write a sweep folder's figures to FOLDER/plots/ and return their paths:
    outcomes_vs_<parameter>.png for each parameter, heatmap.png for a two-parameter grid,
    adoption_fans.png."""
    from .sweep import enrolled_curves, load_runs, require_intact
    from .sweep.analysis import OUTCOME_LABELS

    folder = Path(folder)
    manifest = require_intact(folder)   # never a figure of part of the sweep
    runs = load_runs(folder)
    design = manifest["design"]
    parameters = [p["path"] for p in design["parameters"]]
    outcomes = outcomes or {k: v for k, v in OUTCOME_LABELS.items() if k in runs}
    out = folder / "plots"
    written = []
    grid2 = design["kind"] == "grid" and len(parameters) == 2
    for parameter in parameters:
        by = None
        if grid2:
            other = parameters[1 - parameters.index(parameter)]
            if len(_levels(runs[other])) <= _GROUPS:
                by = other
        path = out / f"outcomes_vs_{parameter}.png"
        save_figure(sweep_outcome_figure(runs, parameter, outcomes, by=by), path)
        written.append(path)
    if grid2:
        path = out / "heatmap.png"
        save_figure(sweep_heatmap_figure(runs, parameters[0], parameters[1], outcomes), path)
        written.append(path)
    curves = enrolled_curves(folder, runs)
    if not curves.empty:
        path = out / "adoption_fans.png"
        save_figure(sweep_fans_figure(curves, runs, parameters), path)
        written.append(path)
    return written
