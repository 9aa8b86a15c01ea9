"""Outcomes: what a run records each week, and the summary of a finished run.

`Records` keeps preallocated per-week counts (by state, and by role, profession and
department; cumulative enrolments by channel) filled with `np.bincount` (or its compiled
equal, compiled_records.py), so recording costs a few array operations per week.
`summarise` turns them into the headline
outcomes: final enrolled and active shares, the enrolment–engagement gap, weeks to
25/50/75 % enrolled, channels (two kinds of credit: the hazard-share pick, and the
enrolments that needed each channel), ownership and fidelity (at enrolment, and of those
enrolled now) and ideas.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .agents import ACTIVE, DISENGAGED, ENROLLED, UNAWARE
from .scenario import CHANNELS, STATES

N_STATES = len(STATES)


class Records:
    """Per-week counts of a model run, preallocated for weeks 0 … scenario.weeks.

    A week's clinicians are counted once, jointly by (role, profession, department,
    state); every recorded breakdown (by state, and by state within each role, profession
    and department) is a margin of that joint count, and one `np.add.reduceat` over the
    joint cells listed margin by margin gives them all (a sparse product gave the same
    integers at several times the Python overhead): `margins` holds them side by side,
    one row per week, and `state_counts` and `group_counts` are views of its columns.
    """

    def __init__(self, model):
        population = model.population
        rows = model.spec.weeks + 1
        self.groupings = {
            "role": (population.champion.astype(np.int64), ["clinician", "champion"]),
            "profession": (population.profession, population.profession_names),
            "department": (population.department, population.department_names),
        }
        self.joint_shape = tuple(len(labels) for _, labels in self.groupings.values())
        self.joint_size = int(np.prod(self.joint_shape)) * N_STATES
        codes = [codes for codes, _ in self.groupings.values()]
        self.joint_code = (np.ravel_multi_index(codes, self.joint_shape) * N_STATES).astype(np.int64)
        self.margin_cells, self.margin_starts = _margin_cells(self.joint_shape)
        offset = len(self.margin_starts)
        self.margins = np.zeros((rows, offset), dtype=np.int64)
        self.state_counts = self.margins[:, :N_STATES]
        self.group_counts, start = {}, N_STATES
        for name, size in zip(self.groupings, self.joint_shape):
            block = self.margins[:, start:start + size * N_STATES]
            self.group_counts[name] = block.reshape(rows, size, N_STATES)
            start += size * N_STATES
        self.channel_counts = np.zeros((rows, len(CHANNELS)), dtype=np.int64)
        self.needed_counts = np.zeros((rows, len(CHANNELS)), dtype=np.int64)
        self.ideas = np.zeros(rows)
        self.hybrids = np.zeros(rows, dtype=np.int64)
        self.credibility = np.full(rows, np.nan)
        self.last_week = 0
        self._compiled = model.compiled  # count the cells with the compiled kernel

    def record(self, model, week: int) -> None:
        joint = _count_cells(self._compiled, self.joint_code, model.population.state,
                             self.joint_size)
        np.add.reduceat(joint[self.margin_cells], self.margin_starts, out=self.margins[week])
        self.channel_counts[week] = model.population.enrolments
        self.needed_counts[week] = model.population.needed
        self.ideas[week] = model.ideas
        hybrids = model.hybrids
        self.hybrids[week] = len(hybrids)
        if hybrids:
            self.credibility[week] = sum(h.credibility for h in hybrids) / len(hybrids)
        self.last_week = week

    def timeseries(self) -> pd.DataFrame:
        """One row per week 0 … last: counts per state, by group, channels, ideas."""
        weeks = slice(0, self.last_week + 1)
        columns: dict[str, np.ndarray] = {"week": np.arange(self.last_week + 1)}
        for code, name in enumerate(STATES):
            columns[name] = self.state_counts[weeks, code]
        total = self.state_counts[0].sum()
        columns["enrolled_share"] = (self.state_counts[weeks, ENROLLED]
                                     + self.state_counts[weeks, ACTIVE]) / total
        columns["active_share"] = self.state_counts[weeks, ACTIVE] / total
        for name, (_, labels) in self.groupings.items():
            for g, label in sorted(enumerate(labels), key=lambda item: natural_key(item[1])):
                for code, state in enumerate(STATES):
                    columns[f"{name}:{label}:{state}"] = self.group_counts[name][weeks, g, code]
        for code, channel in enumerate(CHANNELS):
            columns[f"channel:{channel}"] = self.channel_counts[weeks, code]
        for code, channel in enumerate(CHANNELS):
            if channel != "seed":
                columns[f"needed:{channel}"] = self.needed_counts[weeks, code]
        columns["ideas"] = self.ideas[weeks]
        columns["hybrids"] = self.hybrids[weeks]
        columns["hybrid_credibility"] = self.credibility[weeks]
        return pd.DataFrame(columns)


def _count_cells(compiled: bool, joint_code: np.ndarray, state: np.ndarray,
                 size: int) -> np.ndarray:
    """Clinicians per joint cell (cell joint_code[i] + state[i] of clinician i): by the
    compiled kernel (compiled_records.py) or by `np.bincount`, the same integers."""
    if compiled:
        from .compiled_records import count_cells  # imports numba: only when it is chosen

        return count_cells(joint_code, state, size)
    return np.bincount(joint_code + state, minlength=size)


@functools.lru_cache(maxsize=16)
def _margin_cells(joint_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The joint count's cells listed margin by margin — by state, then by (group, state)
    of each grouping in turn — and where each margin's list starts, for `np.add.reduceat`
    (cached: the runs of one hospital share it). Every margin has cells: each grouping
    has at least one group."""
    joint_size = int(np.prod(joint_shape)) * N_STATES
    cells = np.unravel_index(np.arange(joint_size), joint_shape + (N_STATES,))
    state_of_cell = cells[-1]
    margin_of_cell, offset = [state_of_cell], N_STATES
    for axis, size in enumerate(joint_shape):
        margin_of_cell.append(offset + cells[axis] * N_STATES + state_of_cell)
        offset += size * N_STATES
    margin_of_cell = np.concatenate(margin_of_cell)
    order = np.argsort(margin_of_cell, kind="stable")
    cells_per_margin = np.bincount(margin_of_cell, minlength=offset)
    return order % joint_size, np.cumsum(cells_per_margin) - cells_per_margin


def natural_key(label) -> tuple:
    """Sort key of a group label: numbers by value (department 2 before 10), then text.

    Examples:
        >>> sorted(["10", 2, "b", "a", 1], key=natural_key)
        [1, 2, '10', 'a', 'b']
    """
    try:
        return (0, float(label), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(label))


def weeks_to_share(enrolled_share: np.ndarray, target: float) -> int | None:
    """First week at which the enrolled share reaches `target` (None if never).

    Examples:
        >>> weeks_to_share(np.array([0.0, 0.2, 0.6]), 0.5)
        2
        >>> weeks_to_share(np.array([0.0, 0.2]), 0.5) is None
        True
    """
    reached = np.flatnonzero(enrolled_share >= target - 1e-12)
    return int(reached[0]) if len(reached) else None


def _mean_or_none(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def summarise(model) -> dict:
    """The headline outcomes of a model at its current week (JSON-ready)."""
    records, population = model.records, model.population
    weeks = slice(0, records.last_week + 1)
    counts = records.state_counts[records.last_week]
    n = int(counts.sum())
    enrolled_share_series = (records.state_counts[weeks, ENROLLED]
                             + records.state_counts[weeks, ACTIVE]) / n
    enrolled_now = (population.state == ENROLLED) | (population.state == ACTIVE)
    enrolments = records.channel_counts[records.last_week]
    needed = records.needed_counts[records.last_week]
    campaign_enrolments = int(enrolments.sum() - enrolments[CHANNELS.index("seed")])
    final_enrolled = float(enrolled_share_series[-1])
    active_share = float(counts[ACTIVE] / n)
    return {
        "scenario": model.spec.name,
        "seed": model.seed,
        "weeks": int(records.last_week),
        "clinicians": n,
        "final_enrolled_share": final_enrolled,
        "active_share": active_share,
        "enrolment_engagement_gap": final_enrolled - active_share,
        "disengaged_share": float(counts[DISENGAGED] / n),
        "aware_share": float(1.0 - counts[UNAWARE] / n),
        "peak_enrolled_share": float(enrolled_share_series.max()),
        "weeks_to_25": weeks_to_share(enrolled_share_series, 0.25),
        "weeks_to_50": weeks_to_share(enrolled_share_series, 0.50),
        "weeks_to_75": weeks_to_share(enrolled_share_series, 0.75),
        "enrolments": int(enrolments.sum()),
        "campaign_enrolments": campaign_enrolments,
        "hazard_share_enrolments": {c: int(v) for c, v in zip(CHANNELS, enrolments)},
        "hazard_share_of_campaign": {c: (float(v / campaign_enrolments)
                                         if campaign_enrolments else 0.0)
                                     for c, v in zip(CHANNELS, enrolments) if c != "seed"},
        "enrolments_needing_channel": {c: int(v) for c, v in zip(CHANNELS, needed)
                                       if c != "seed"},
        "mean_ownership_of_enrolled_now": _mean_or_none(population.ownership[enrolled_now]),
        "mean_fidelity_of_enrolled_now": _mean_or_none(population.fidelity[enrolled_now]),
        "mean_ownership_at_enrolment": (population.ownership_at_enrolment / campaign_enrolments
                                        if campaign_enrolments else None),
        "mean_fidelity_at_enrolment": (population.fidelity_at_enrolment / campaign_enrolments
                                       if campaign_enrolments else None),
        "ideas": float(model.ideas),
        "hybrids_present": int(records.hybrids[records.last_week]),
        "mean_hybrid_credibility": (None if np.isnan(records.credibility[records.last_week])
                                    else float(records.credibility[records.last_week])),
    }
