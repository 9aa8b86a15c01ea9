"""Comparing strategies fairly: replications with common random numbers, paired differences.

Replicate i of every scenario runs with the same seed, so it has the same staff graph,
the same clinician attributes and the same weekly draws; only the strategy differs.
Differences to the first scenario are therefore paired: identical scenarios differ by
exactly zero, and the confidence intervals of differences are narrower than those of
the outcomes themselves.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .batch import run_together
from .runner import RunResult, lean_model
from .scenario import (CHANNELS, REPLICATIONS_MAX, SEED_MAX, WORKERS_MAX, Scenario,
                       ScenarioError, require_scenario, whole_number)
from .workers import end_with, end_with_this_process, process_context
from .world import StaffWorld

#: Outcomes reported per scenario (summary keys), in table order.
OUTCOMES = ("final_enrolled_share", "active_share", "enrolment_engagement_gap", "weeks_to_50",
            "disengaged_share", "aware_share", "mean_ownership_at_enrolment",
            "mean_ownership_of_enrolled_now", "mean_fidelity_at_enrolment",
            "mean_fidelity_of_enrolled_now", "ideas")
SHARE_CHANNELS = tuple(c for c in CHANNELS if c != "seed")
#: The headline outcomes whose paired differences to the reference answer the comparison's
#: question (the effect panels, in order), with their labels and units.
EFFECTS = {"final_enrolled_share": ("Enrolled (incl. active)", "points"),
           "active_share": ("Active", "points"),
           "enrolment_engagement_gap": ("Enrolment–engagement gap", "points"),
           "mean_ownership_of_enrolled_now": ("Mean ownership of the enrolled", "0–1 scale")}
#: Headline outcomes where a decrease is the better effect.
LOWER_IS_BETTER = frozenset({"enrolment_engagement_gap"})
#: Outcomes with paired differences in the table: the headline ones and the disengaged.
DIFFERENCES = (*EFFECTS, "disengaged_share")


def replicate_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of replicates 0 … R − 1: a function of the comparison seed and the index only.

    Examples:
        >>> replicate_seeds(1, 3) == replicate_seeds(1, 5)[:3]
        True
    """
    return [int(np.random.SeedSequence([seed, i]).generate_state(1)[0]) for i in range(replications)]


def _replicate_rows(job: tuple[int, list[Scenario], int]) -> list[dict]:
    """Replicate `replicate` of every scenario, on the lean path: scenarios with the same
    `[staff]` share the replicate's world (common random numbers make it the same one)
    and step together where they can (`campaignsim.batch`), each with its own run's
    numbers."""
    replicate, scenarios, seed = job
    worlds: dict[str, StaffWorld] = {}
    models = []
    for scenario in scenarios:
        staff = scenario.staff.model_dump_json()
        if staff not in worlds:
            worlds[staff] = StaffWorld.build(scenario.staff, seed)
        models.append(lean_model(scenario, seed, worlds[staff]))
    return [_row(index, replicate, seed, result)
            for index, result in enumerate(run_together(models))]


def _row(scenario_index: int, replicate: int, seed: int, result: RunResult) -> dict:
    scenario, summary = result.scenario, result.summary
    row = {"scenario_index": scenario_index, "scenario": scenario.name, "replicate": replicate,
           "seed": seed}
    for key in OUTCOMES:
        value = summary[key]
        row[key] = np.nan if value is None else float(value)
    campaign = summary["campaign_enrolments"]
    for channel in SHARE_CHANNELS:  # two kinds of channel credit, as shares of the campaign's
        row[f"hazard_share:{channel}"] = summary["hazard_share_of_campaign"][channel]
        row[f"needed_share:{channel}"] = (summary["enrolments_needing_channel"][channel] / campaign
                                          if campaign else 0.0)
    row["enrolled_curve"] = result.timeseries["enrolled_share"].to_numpy()
    row["active_curve"] = result.timeseries["active_share"].to_numpy()
    # the clinicians a campaign can still enrol: neither enrolled nor disengaged
    row["open_curve"] = (result.timeseries["unaware"] + result.timeseries["aware"]).to_numpy()
    return row


@dataclass
class Comparison:
    """All runs of a comparison: `runs` (one row per scenario × replicate) and curves."""

    scenarios: list[Scenario]
    runs: pd.DataFrame
    enrolled: np.ndarray   # (scenarios, runs: draws × replications, weeks + 1)
    active: np.ndarray
    open: np.ndarray       # clinicians unaware or aware: still to enrol

    @property
    def replications(self) -> int:
        return self.enrolled.shape[1]


def progress_bar(total: int, name: str, quiet: bool, done: int = 0):
    """The progress bar of compare and sweep: tqdm on stderr (runs done, runs/s, time
    left), or None when quiet (no bar, and no tqdm monitor thread)."""
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="run", desc=name, file=sys.stderr,
                smoothing=0.05, mininterval=0.5, dynamic_ncols=True)


def compare(scenarios: list[Scenario], replications: int = 20, seed: int = 0,
            workers: int | None = None, quiet: bool = True,
            draws: list[list[Scenario]] | None = None) -> Comparison:
    """Run each scenario `replications` times with common random numbers.

    Args:
        scenarios: validated scenarios; the first is the reference for differences.
        replications: R, runs per scenario (per draw, with `draws`).
        seed: the comparison's seed; replicate i uses `replicate_seeds(seed, R)[i]`.
        workers: processes (default: all cores; 1 runs in this process). Results do not
            depend on it.
        quiet: False shows a progress bar on stderr (the CLI's default).
        draws: the scenarios as each of K parameter sets of a posterior makes them
            (`posterior.draw_scenarios`). Replicate i of draw d runs every scenario with
            `replicate_seeds(seed, K × R)[d × R + i]` (draw 0 has the seeds of a
            comparison without draws), and its rows carry `draw` = d.

    Raises:
        ScenarioError: a scenario that is not a Scenario, or replications, seed or workers
            not a whole number in the CLI's range.
    """
    scenarios = [require_scenario(s) for s in scenarios]
    replications = whole_number(replications, "replications", 1, REPLICATIONS_MAX)
    seed = whole_number(seed, "seed", 0, SEED_MAX)
    if workers is not None:
        workers = whole_number(workers, "workers", 1, WORKERS_MAX)
    sets = [[require_scenario(s) for s in variant] for variant in draws or [scenarios]]
    if any(len(variant) != len(scenarios) for variant in sets):
        raise ScenarioError(None, "draws", "each draw must list every scenario, in order")
    runs_per_scenario = len(sets) * replications
    seeds = replicate_seeds(seed, runs_per_scenario)
    jobs = [(run, sets[run // replications], seeds[run]) for run in range(runs_per_scenario)]
    workers = workers or os.cpu_count() or 1
    bar = progress_bar(runs_per_scenario * len(scenarios), "compare", quiet)
    by_replicate = []

    def collect(finished) -> None:   # in job order, so results do not depend on workers
        for replicate_rows in finished:
            by_replicate.append(replicate_rows)
            if bar is not None:
                bar.update(len(replicate_rows))

    try:
        if workers == 1 or len(jobs) == 1:
            collect(map(_replicate_rows, jobs))
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=process_context(__name__),
                                     initializer=end_with,
                                     initargs=end_with_this_process()) as pool:
                collect(pool.map(_replicate_rows, jobs,
                                 chunksize=max(1, len(jobs) // (4 * workers))))
    finally:
        if bar is not None:
            bar.close()
    rows = sorted((row for rows in by_replicate for row in rows),
                  key=lambda row: (row["scenario_index"], row["replicate"]))
    weeks = max(len(row["enrolled_curve"]) for row in rows)

    def curves(key: str) -> np.ndarray:   # axis 1: run d × R + i (draw d, replicate i)
        array = np.full((len(scenarios), runs_per_scenario, weeks), np.nan)
        for row in rows:
            values = row[key]
            array[row["scenario_index"], row["replicate"], : len(values)] = values
        return array

    runs = pd.DataFrame([{k: v for k, v in row.items() if not k.endswith("_curve")} for row in rows])
    if draws is not None:
        draw, replicate = np.divmod(runs["replicate"].to_numpy(), replications)
        runs.insert(2, "draw", draw)
        runs["replicate"] = replicate
    return Comparison(scenarios, runs, *(curves(f"{k}_curve") for k in ("enrolled", "active",
                                                                         "open")))


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a t-based confidence interval over the finite values (nan if none).

    Examples:
        >>> mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0]))
        >>> round(mean, 3), round(high - mean, 3)
        (2.0, 2.484)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if len(values) == 1:
        return (mean, np.nan, np.nan)
    from scipy import stats  # here: scipy.stats takes ~0.5 s to import, and the sweep's
    # workers, which import this module, never need it

    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1)
                 / np.sqrt(len(values)))
    return (mean, mean - half, mean + half)


def _week_settings(section, key: str = "") -> list[int]:
    """Every week named in a scenario section (fields such as start_week, leave_week, the
    weeks of events): where in time the section acts."""
    if isinstance(section, dict):
        return [w for k, v in section.items() for w in _week_settings(v, k)]
    if "week" not in key:
        return []
    values = section if isinstance(section, list) else [section]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def no_effect_reason(comparison: Comparison, index: int) -> str | None:
    """Why scenario `index` has exactly the reference's headline outcomes (EFFECTS) and
    adoption curves in every replication, as far as the runs tell; None when some
    replication differs. Other outcomes that do differ are named.

    The sections of the scenario that differ from the reference name the weeks in which
    they act; the reference's curves give the clinicians still to enrol then (unaware or
    aware: neither enrolled nor disengaged).
    """
    if index == 0 or not (np.array_equal(comparison.enrolled[index], comparison.enrolled[0],
                                         equal_nan=True)
                          and np.array_equal(comparison.active[index], comparison.active[0],
                                             equal_nan=True)):
        return None
    runs = comparison.runs
    own, reference = (runs[runs["scenario_index"] == i].sort_values("replicate")
                      for i in (index, 0))

    def same(key: str) -> bool:
        return np.array_equal(own[key].to_numpy(), reference[key].to_numpy(), equal_nan=True)

    if not all(same(key) for key in EFFECTS):
        return None
    differing = [key for key in OUTCOMES if not same(key)]
    return _why_unchanged(comparison, index) + (
        f" (these outcomes do differ: {', '.join(differing)})" if differing else "")


def _why_unchanged(comparison: Comparison, index: int) -> str:
    mine, theirs = comparison.scenarios[index].to_dict(), comparison.scenarios[0].to_dict()
    changed = [k for k in mine if k not in ("name", "description") and mine[k] != theirs.get(k)]
    if not changed:
        return "same settings as the reference"
    weeks = _week_settings({k: mine[k] for k in changed})
    if not weeks:
        return f"its changes ({', '.join(changed)}) altered no enrolment"
    start = min(weeks)
    last = comparison.enrolled.shape[2] - 1
    if start > last:
        return f"it acts from week {start}, after the last week simulated ({last})"
    # row w of the curves is the state after week w: week `start` meets row start - 1
    still_open = int(np.nanmax(comparison.open[0, :, start - 1]))
    if still_open == 0:
        return (f"nothing left to act on: 0 clinicians still to enrol (unaware or aware) "
                f"when {', '.join(changed)} acts in week {start}")
    return (f"its changes ({', '.join(changed)}, from week {start}, when up to {still_open:,} "
            "clinicians were still to enrol) altered no enrolment")


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """One row per scenario: mean and 95 % CI of each outcome, paired differences of
    each outcome to the first scenario (with their CIs), and `no_effect`: why the
    scenario's runs equal the reference's in every replication ("" if they do not).
    Runs across a posterior's draws pair by (draw, replicate) and add, per headline
    outcome, the spread of the per-draw effects and the probability of benefit
    (`posterior.across_draws`)."""
    paired = [key for key in ("draw", "replicate") if key in comparison.runs]
    runs = comparison.runs.sort_values(["scenario_index", *paired])
    reference = runs[runs["scenario_index"] == 0].set_index(paired)
    rows = []
    for index, scenario in enumerate(comparison.scenarios):
        own = runs[runs["scenario_index"] == index].set_index(paired)
        row = {"scenario": scenario.name, "replications": len(own)}
        for key in (*OUTCOMES, *(f"{kind}:{c}" for kind in ("hazard_share", "needed_share")
                                  for c in SHARE_CHANNELS)):
            row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"] = mean_ci(own[key].to_numpy())
        row["weeks_to_50_reached"] = float(np.isfinite(own["weeks_to_50"]).mean())
        for key in DIFFERENCES:
            difference = own[key] - reference[key]
            (row[f"diff_{key}"], row[f"diff_{key}_ci_low"],
             row[f"diff_{key}_ci_high"]) = mean_ci(difference.to_numpy())
        if "draw" in paired:   # across a posterior's draws: spread and probability of benefit
            from .posterior import across_draws

            row.update(across_draws((own[list(EFFECTS)] - reference[list(EFFECTS)])
                                    .reset_index()))
        row["no_effect"] = no_effect_reason(comparison, index) or ""
        rows.append(row)
    return pd.DataFrame(rows)


def by_effect(table: pd.DataFrame, key: str = "final_enrolled_share") -> pd.DataFrame:
    """The reference first, then the other scenarios by their paired effect on `key`,
    largest first (ties by name, so the order is stable)."""
    others = table.iloc[1:].assign(_effect=table[f"diff_{key}"].iloc[1:].fillna(-np.inf))
    others = others.sort_values(["_effect", "scenario"], ascending=[False, True], kind="stable")
    return pd.concat([table.iloc[:1], others.drop(columns="_effect")])


def format_table(table: pd.DataFrame) -> str:
    """The comparison as a text table for the terminal, sorted by effect on enrolment, with
    the scenarios that changed nothing flagged and the reason the runs show."""
    table = by_effect(table)

    def cell(row, key, percent=True):
        mean, low, high = row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"]
        if not np.isfinite(mean):
            return "—"
        if percent:
            return f"{mean:6.1%} ±{(high - low) / 2 if np.isfinite(high) else 0:5.1%}"
        return f"{mean:5.1f} ±{(high - low) / 2 if np.isfinite(high) else 0:4.1f}"

    benefit = "prob_benefit_final_enrolled_share" in table   # across a posterior's draws
    width = 36 if benefit else 26
    header = (f"{'scenario':<24} {'Δ enrolled vs ' + str(table.iloc[0]['scenario']):>{width}} "
              f"{'enrolled':>14} {'active':>14} {'gap':>14} {'wk to 50%':>11} "
              f"{'disengaged':>14} {'own. at enrol.':>14} {'own. now':>8}")
    lines = [header, "-" * len(header)]
    for position, (_, row) in enumerate(table.iterrows()):
        weeks = cell(row, "weeks_to_50", percent=False)
        if row["weeks_to_50_reached"] < 1 and np.isfinite(row["weeks_to_50"]):
            weeks += "*"
        at_enrolment, now = (
            "—" if not np.isfinite(row[key]) else f"{row[key]:.2f}"
            for key in ("mean_ownership_at_enrolment", "mean_ownership_of_enrolled_now"))
        if position == 0:
            diff = "(reference)"
        elif row["no_effect"]:
            diff = "no effect †"
        elif np.isfinite(row["diff_final_enrolled_share_ci_low"]):
            diff = (f"{row['diff_final_enrolled_share']:+6.1%} "
                    f"[{row['diff_final_enrolled_share_ci_low']:+.1%}, "
                    f"{row['diff_final_enrolled_share_ci_high']:+.1%}]")
        else:
            diff = f"{row['diff_final_enrolled_share']:+6.1%}"
        if benefit and position > 0:
            diff += f" P {row['prob_benefit_final_enrolled_share']:4.0%}"
        lines.append(f"{row['scenario']:<24} {diff:>{width}} "
                     f"{cell(row, 'final_enrolled_share'):>14} {cell(row, 'active_share'):>14} "
                     f"{cell(row, 'enrolment_engagement_gap'):>14} "
                     f"{weeks:>11} {cell(row, 'disengaged_share'):>14} {at_enrolment:>14} {now:>8} ")
    across = ", P = share of the posterior's draws in which it is higher" if benefit else ""
    lines.append("sorted by Δ enrolled: the paired difference to the reference (same seeds) with "
                 f"its 95 % CI{across}; other columns: means ± half-width of the 95 % CI over "
                 "runs; * = 50 % not reached in every replication (mean over those that did); "
                 "ownership: mean at the campaign's enrolments (seeds excluded) and mean of "
                 "those enrolled now")
    lines.extend(f"† {row['scenario']}: the same enrolment and activity as the reference in "
                 f"every replication: {row['no_effect']}"
                 for _, row in table.iterrows() if row["no_effect"])
    return "\n".join(lines)


def bundled_scenarios(folder: Path) -> list[Path]:
    """The bundled strategy files in `folder`, baseline first."""
    files = sorted(folder.glob("*.toml"))
    return sorted(files, key=lambda p: (p.stem != "baseline", p.stem))
