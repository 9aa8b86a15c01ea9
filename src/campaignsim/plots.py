"""Plots of runs: adoption curves by state and by role."""

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
    """Two panels: share of clinicians in each state, and enrolled share by role."""
    figure, (by_state, by_role) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    total = timeseries[list(STATES)].sum(axis=1)
    for state in STATES:
        by_state.plot(timeseries["week"], timeseries[state] / total, label=state,
                      color=STATE_COLOURS[state], linewidth=2)
    by_state.plot(timeseries["week"], timeseries["enrolled_share"], label="enrolled + active",
                  color="black", linestyle="--", linewidth=1.5)
    by_state.set(xlabel="week", ylabel="share of clinicians", ylim=(0, 1), title="By state")
    by_state.legend(fontsize=8, loc="center right")
    for role in ("clinician", "champion"):
        members = timeseries[[f"role:{role}:{s}" for s in STATES]].sum(axis=1)
        if members.iloc[0] == 0:
            continue
        enrolled = timeseries[f"role:{role}:enrolled"] + timeseries[f"role:{role}:active"]
        by_role.plot(timeseries["week"], enrolled / members, label=f"{role}s enrolled + active",
                     linewidth=2)
        by_role.plot(timeseries["week"], timeseries[f"role:{role}:active"] / members,
                     label=f"{role}s active", linewidth=1.5, linestyle=":")
    by_role.set(xlabel="week", ylabel="share of the role", ylim=(0, 1), title="By role")
    by_role.legend(fontsize=8, loc="center right")
    figure.suptitle(title)
    return figure


def save_figure(figure, path: Path) -> None:
    from .results_io import atomic_write

    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format=path.suffix.lstrip(".")))
    plt.close(figure)


def _scenario_colours(count: int):
    palette = plt.get_cmap("tab20" if count > 10 else "tab10")
    return [palette(i % palette.N) for i in range(count)]


def compare_adoption_figure(comparison):
    """Mean enrolled (incl. active) and active curves with 95 % CI bands, per scenario."""
    from .compare import mean_ci
    import numpy as np

    figure, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True, constrained_layout=True)
    colours = _scenario_colours(len(comparison.scenarios))
    weeks = np.arange(comparison.enrolled.shape[2])
    for panel, (curves, title) in zip(axes, ((comparison.enrolled, "Enrolled (incl. active)"),
                                             (comparison.active, "Active"))):
        for index, scenario in enumerate(comparison.scenarios):
            bands = np.array([mean_ci(curves[index, :, week]) for week in weeks])
            panel.plot(weeks, bands[:, 0], color=colours[index], linewidth=1.8,
                       label=scenario.name)
            if comparison.replications > 1:
                panel.fill_between(weeks, bands[:, 1], bands[:, 2], color=colours[index],
                                   alpha=0.18, linewidth=0)
        panel.set(xlabel="week", title=title, ylim=(0, 1))
    axes[0].set_ylabel("share of clinicians (mean, 95 % CI)")
    axes[1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.suptitle(f"Adoption curves, {comparison.replications} replications with common "
                    "random numbers")
    return figure


def outcomes_figure(table: pd.DataFrame):
    """Final outcomes per scenario with 95 % CIs: enrolled, active, disengaged, ownership."""
    import numpy as np

    panels = (("final_enrolled_share", "Enrolled (incl. active), week end"),
              ("active_share", "Active"), ("disengaged_share", "Disengaged"),
              ("mean_ownership", "Mean ownership of the enrolled"))
    figure, axes = plt.subplots(1, 4, figsize=(15, 0.42 * len(table) + 1.6), sharey=True,
                                constrained_layout=True)
    colours = _scenario_colours(len(table))
    positions = np.arange(len(table))[::-1]
    for panel, (key, title) in zip(axes, panels):
        means = table[key].to_numpy(dtype=float)
        errors = np.vstack([means - table[f"{key}_ci_low"].to_numpy(dtype=float),
                            table[f"{key}_ci_high"].to_numpy(dtype=float) - means])
        panel.barh(positions, means, color=colours, xerr=np.nan_to_num(errors), capsize=3)
        panel.set(title=title, xlim=(0, 1))
        panel.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(positions, table["scenario"])
    figure.suptitle("Outcomes at the end of the campaign (mean and 95 % CI)")
    return figure
