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
    by_state.legend(fontsize=8, loc="upper left")
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
    by_role.legend(fontsize=8, loc="upper left")
    figure.suptitle(title)
    return figure


def save_figure(figure, path: Path) -> None:
    from .results_io import atomic_write

    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format=path.suffix.lstrip(".")))
    plt.close(figure)
