"""Stylised facts: run the experiments behind docs/findings.md and write the page.

    python -m campaignsim.findings [--replications R] [--seed S] [--out docs] [--facts 1,4]

For each stylised fact of shared/research/paper_memo.md (d) 1–7 this module runs the
bundled scenarios that speak to it and, where the bundled set has no arm for it, small
variants of `scenarios/baseline.toml` (each shown on the page as the `extends` file that
reproduces it). All arms run in one `compare` call with common random numbers, so
replicate i of every arm has the same staff graph, clinicians and weekly draws, and
differences to a fact's reference arm are paired. Every number on the page is computed
from these runs: the page is generated, never edited by hand. Parameters are the
scenario files' own; nothing here is tuned to make a fact appear.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from . import __version__, load_scenario
from .compare import Comparison, compare, mean_ci, replicate_seeds
from .plots import plt, save_figure
from .runner import run
from .scenario import CHANNELS, Scenario, _merge, read_scenario_data, validate_scenario

SCENARIOS = Path("scenarios")
#: A clinician counts as a sceptic when trust in management is below this (a choice).
SCEPTIC_TRUST = 0.3
#: A run "cascades" when its enrolled share ever reaches this.
CASCADE_SHARE = 0.5

CLAIMS = {  # paper_memo.md (d), quoted
    1: ("Enrolment–engagement gap", "Enrolment or pledging can be high while self-directed "
        "improvement stays low: awareness > acceptance > action.",
        "Ozieranski et al. 2014; Waring & Crompton 2017; Change Day's separate \"Do\" step"),
    2: ("Hybrids are the enrolment channel", "Removing hybrids cuts enrolment more than "
        "removing as many random clinicians.", "Waring & Crompton 2017; Bate et al. 2004"),
    3: ("Alignment–legitimacy trade-off", "Aligned hybrids deliver the programme faithfully "
        "but enrol fewer sceptics; mediating hybrids enrol more but change the content. "
        "Direction is an open question.", "Waring & Crompton 2017; McGivern et al. 2015"),
    4: ("Tipping points", "Final enrolment is bimodal and sensitive to seed size, clustering "
        "and threshold variance; critical mass ~10–40%.", "Granovetter 1978; Centola et al. 2018"),
    5: ("Modest, heterogeneous effects", "Opinion-leader seeding gives median absolute gains "
        "near 10 points, with some negative outcomes (−15% to +72%).",
        "Flodgren et al., Cochrane CD000125 (2007, 2011)"),
    6: ("S-curves", "High-p (communications) campaigns front-load adoption; high-q (peer) "
        "campaigns start late, then accelerate.", "Bass 1969"),
    7: ("Fatigue", "Past some tempo, more pushes lower sustained engagement via erosion.",
        "Ozieranski et al. 2014; Oegema & Klandermans 1994"),
    8: ("Context", "The same hybrid strategy performs differently in high- vs poor-performing "
        "organisations.", "Currie, Burgess & Tuck 2016"),
}


# --- arms: bundled scenarios and variants of the baseline --------------------------


@dataclass(frozen=True)
class Arm:
    """One arm of an experiment: a bundled file, or the baseline with `overrides`."""

    scenario: Scenario
    label: str
    overrides: dict | None = None  # None: the bundled file scenarios/<name>.toml

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def file(self) -> str:
        return f"{SCENARIOS}/{self.name}.toml"


def variant(base: dict, name: str, description: str, overrides: dict) -> Scenario:
    """The baseline data deep-merged with `overrides`, as `extends = "baseline.toml"` would."""
    data = _merge(copy.deepcopy(base), copy.deepcopy(overrides))
    data.update(name=name, description=description)
    return validate_scenario(data, name)


def toml_snippet(arm: Arm, extends: str = "../scenarios/baseline.toml") -> str:
    """The scenario file that reproduces a variant arm (it extends the baseline).

    Examples:
        >>> import tomllib
        >>> arm = Arm(Scenario(name="x"), "x", {"hybrids": {"enabled": False},
        ...           "peer": {"threshold": {"distribution": "normal", "mean": 0.25, "sd": 0.2}}})
        >>> data = tomllib.loads(toml_snippet(arm))
        >>> data["hybrids"], data["peer"]["threshold"]["sd"]
        ({'enabled': False}, 0.2)
    """
    def value(item) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, dict):
            return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in item.items()) + " }"
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return json.dumps(item)

    lines = [f"extends = {json.dumps(extends)}", f"description = {json.dumps(arm.scenario.description)}"]
    for table, fields in arm.overrides.items():
        lines += ["", f"[{table}]"] + [f"{key} = {value(v)}" for key, v in fields.items()]
    return "\n".join(lines)


def mixed_density(staff: dict) -> float:
    """Tie probability of an unclustered graph with the same expected ties as `staff`.

    Examples:
        >>> mixed_density({"departments": 2, "clinicians_per_department": 3,
        ...                "within_department_density": 0.5, "between_department_density": 0.0})
        0.2
    """
    sizes = staff["clinicians_per_department"]
    sizes = np.array(sizes if isinstance(sizes, list) else [sizes] * staff["departments"])
    within = float(np.sum(sizes * (sizes - 1) / 2))
    total = float(sizes.sum() * (sizes.sum() - 1) / 2)
    ties = (staff["within_department_density"] * within
            + staff["between_department_density"] * (total - within))
    return round(ties / total, 6)


def fewer_clinicians(staff: dict) -> list[int]:
    """Department sizes with `hybrids_per_department` random clinicians removed from each."""
    sizes = staff["clinicians_per_department"]
    sizes = sizes if isinstance(sizes, list) else [sizes] * staff["departments"]
    return [max(1, size - staff["hybrids_per_department"]) for size in sizes]


SEED_SHARES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)
THRESHOLD_SDS = (0.05, 0.1, 0.2)
ALIGNMENTS = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)
INTENSITIES = (0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)
#: Always run: the baseline, and two bundled strategies that act after the first weeks.
LATE_ARMS = ("baseline", "hybrids_leave", "serious_incident_shock")
SWEEP_NAMES = {  # sweep points that are bundled files
    ("alignment", 1.0): "hybrid_aligned", ("alignment", 0.2): "hybrid_mediating",
    ("intensity", 0.02): "baseline",
}


def build_arms(folder: Path = SCENARIOS) -> dict[str, Arm]:
    """Every arm of every fact, by name: the bundled files and the variants."""
    arms = {}
    for path in sorted(folder.glob("*.toml")):
        scenario = load_scenario(path)
        arms[scenario.name] = Arm(scenario, scenario.name)
    base = read_scenario_data(folder / "baseline.toml")
    staff, peer = base["staff"], base["peer"]

    def add(name: str, label: str, description: str, overrides: dict) -> None:
        arms[name] = Arm(variant(base, name, description, overrides), label, overrides)

    no_event = {"events": {"enabled": False}}
    add("no_launch_event", "no launch event", "Baseline without the launch event", no_event)
    add("no_hybrids", "no hybrids", "Baseline, hybrids do not campaign",
        {"hybrids": {"enabled": False}})
    fewer = {"staff": {"clinicians_per_department": fewer_clinicians(staff)}}
    add("fewer_clinicians", "as many random clinicians removed",
        "Baseline with hybrids_per_department random clinicians fewer in each department", fewer)
    add("no_launch_event_no_hybrids", "no launch event, no hybrids",
        "No launch event, hybrids do not campaign", {**no_event, "hybrids": {"enabled": False}})
    add("no_launch_event_fewer_clinicians", "no launch event, random clinicians removed",
        "No launch event, hybrids_per_department random clinicians fewer per department",
        {**no_event, **fewer})

    for alignment in ALIGNMENTS:
        if ("alignment", alignment) not in SWEEP_NAMES:
            add(f"hybrids_alignment_{alignment}", f"alignment {alignment}",
                f"Hybrids with alignment {alignment}, approaching 5 clinicians a week",
                {"hybrids": {"alignment": alignment, "capacity": 5}})

    peer_only = {"broadcast": {"enabled": False}, "events": {"enabled": False},
                 "hybrids": {"enabled": False}}
    for sd in THRESHOLD_SDS:
        for share in SEED_SHARES:
            add(f"peer_only_seeds{share}_sd{sd}", f"seeds {share:.1%}, sd {sd}",
                f"Peer influence only: {share:.1%} random seeds, threshold sd {sd}",
                {**peer_only, "seeding": {"share": share, "rule": "random"},
                 "peer": {"threshold": {**peer["threshold"], "sd": sd}}})
    density = mixed_density(staff)
    for share in SEED_SHARES:
        add(f"peer_only_mixed_seeds{share}", f"seeds {share:.1%}, no clustering",
            f"Peer influence only: {share:.1%} random seeds, ties not clustered by department",
            {**peer_only, "seeding": {"share": share, "rule": "random"},
             "staff": {"within_department_density": density,
                       "between_department_density": density}})
    for sd in THRESHOLD_SDS:
        if sd != peer["threshold"]["sd"]:
            add(f"baseline_threshold_sd{sd}", f"baseline, threshold sd {sd}",
                f"Baseline with threshold sd {sd}",
                {"peer": {"threshold": {**peer["threshold"], "sd": sd}}})

    champions = read_scenario_data(folder / "champions_network.toml")
    random_champions = {"staff": {"champions": champions["staff"]["champions"]},
                        "champions": {**champions["champions"], "rule": "random"}}
    add("champions_random", "champions chosen at random",
        "As champions_network, champions chosen at random", random_champions)
    add("no_launch_event_champions", "no launch event, champions by degree",
        "No launch event, champions as in champions_network",
        {**no_event, "staff": {"champions": champions["staff"]["champions"]},
         "champions": champions["champions"]})

    # Bass p is the broadcast hazard × mean resonance (trust ~ Beta(2, 2), mean 0.5).
    bass = {"events": {"enabled": False}, "hybrids": {"enabled": False}}
    add("broadcast_led", "broadcast-led (high p)",
        "Broadcast 0.06 a week (p about 0.03), Bass peer rule q = 0.038",
        {**bass, "broadcast": {"intensity": 0.06}, "peer": {"rule": "bass", "q": 0.038}})
    add("peer_led", "peer-led (high q)",
        "Broadcast 0.006 a week (p about 0.003), Bass peer rule q = 0.38",
        {**bass, "broadcast": {"intensity": 0.006}, "peer": {"rule": "bass", "q": 0.38}})

    for intensity in INTENSITIES:
        if ("intensity", intensity) not in SWEEP_NAMES:
            add(f"broadcast_{intensity}", f"broadcast {intensity}",
                f"Baseline with broadcast intensity {intensity} all year",
                {"broadcast": {"intensity": intensity}})
    add("broadcast_0.16_no_fatigue", "broadcast 0.16, fatigue off",
        "Broadcast intensity 0.16 all year with the fatigue mechanism off",
        {"broadcast": {"intensity": 0.16}, "fatigue": {"enabled": False}})
    return arms


def sweep_name(kind: str, value: float, prefix: str) -> str:
    return SWEEP_NAMES.get((kind, value), f"{prefix}{value}")


# --- runs: the comparison, and a few extra measures per run --------------------------


def _detail_run(job: tuple[int, int, Scenario, int]) -> dict:
    """Measures `compare` does not keep: state curves, hybrid credibility, sceptics."""
    arm, replicate, scenario, seed = job
    result = run(scenario, seed=seed)
    series, population = result.timeseries, result.model.population
    clinicians = len(population)
    hybrid = population.channel == CHANNELS.index("hybrid")
    sceptic = population.trust < SCEPTIC_TRUST
    return {
        "arm": arm, "replicate": replicate,
        "unaware_curve": series["unaware"].to_numpy() / clinicians,
        "open_curve": (series["unaware"] + series["aware"]).to_numpy() / clinicians,
        "disengaged_curve": series["disengaged"].to_numpy() / clinicians,
        "hybrid_credibility": (np.nan if result.summary["mean_hybrid_credibility"] is None
                               else result.summary["mean_hybrid_credibility"]),
        "sceptic_share": float(sceptic.mean()),
        "sceptics_by_hybrids": float((hybrid & sceptic).sum() / max(sceptic.sum(), 1)),
        "trust_of_hybrid_enrolled": (float(population.trust[hybrid].mean()) if hybrid.any()
                                     else np.nan),
    }


def details(scenarios: list[Scenario], replications: int, seed: int, workers: int) -> dict:
    """`_detail_run` for each scenario and replicate (same seeds as `compare`)."""
    seeds = replicate_seeds(seed, replications)
    jobs = [(a, r, s, seeds[r]) for a, s in enumerate(scenarios) for r in range(replications)]
    if workers == 1 or len(jobs) <= 1:
        rows = [_detail_run(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_detail_run, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    result = {}
    for key in rows[0]:
        if key in ("arm", "replicate"):
            continue
        first = np.asarray(rows[0][key])
        array = np.full((len(scenarios), replications, *first.shape), np.nan)
        for row in rows:
            array[row["arm"], row["replicate"]] = row[key]
        result[key] = array
    return {s.name: {key: values[i] for key, values in result.items()}
            for i, s in enumerate(scenarios)}


def subset(comparison: Comparison, names: list[str]) -> Comparison:
    """The arms `names` of a comparison, in that order (the first becomes the reference)."""
    all_names = [s.name for s in comparison.scenarios]
    index = [all_names.index(name) for name in names]
    runs = comparison.runs[comparison.runs["scenario_index"].isin(index)].copy()
    runs["scenario_index"] = runs["scenario_index"].map({old: new for new, old in enumerate(index)})
    return Comparison([comparison.scenarios[i] for i in index],
                      runs.sort_values(["scenario_index", "replicate"]).reset_index(drop=True),
                      comparison.enrolled[index], comparison.active[index],
                      comparison.open[index])


def per_run(comparison: Comparison, key: str) -> np.ndarray:
    """An outcome of `comparison.runs` as an (arms, replications) array."""
    table = comparison.runs.pivot(index="scenario_index", columns="replicate", values=key)
    return table.sort_index().sort_index(axis=1).to_numpy(dtype=float)


# --- tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """Per-run values of one measure, shape (arms, replications)."""

    label: str
    values: np.ndarray
    kind: str = "share"  # share (shown in %), weeks, score (0–1, two decimals), count


def metric_table(names: list[str], metrics: list[Metric]) -> pd.DataFrame:
    """One row per arm: mean and 95 % CI of each metric, and the paired difference to
    the first arm with its CI (exactly 0 for the first arm itself).

    Examples:
        >>> table = metric_table(["a", "b"], [Metric("x", np.array([[1.0, 2.0], [2.0, 4.0]]))])
        >>> table[["arm", "x", "x diff"]].values.tolist()
        [['a', 1.5, 0.0], ['b', 3.0, 1.5]]
    """
    rows = []
    for index, name in enumerate(names):
        row = {"arm": name}
        for metric in metrics:
            own = metric.values[index]
            row[metric.label], row[f"{metric.label} low"], row[f"{metric.label} high"] = mean_ci(own)
            row[f"{metric.label} n"] = int(np.isfinite(own).sum())
            (row[f"{metric.label} diff"], row[f"{metric.label} diff low"],
             row[f"{metric.label} diff high"]) = mean_ci(own - metric.values[0])
        rows.append(row)
    return pd.DataFrame(rows)


def fmt(value: float, kind: str = "share", diff: bool = False) -> str:
    """A number as the page shows it: shares in %, differences of shares in points.

    Examples:
        >>> fmt(0.7043), fmt(0.012, diff=True), fmt(3.25, "weeks"), fmt(0.5512, "score")
        ('70.4 %', '+1.2 pts', '3.2', '0.55')
    """
    if value is None or not np.isfinite(value):
        return "—"
    sign = "+" if diff else ""
    if kind == "share":
        return f"{100 * value:{sign}.1f} pts" if diff else f"{100 * value:.1f} %"
    if kind == "score":
        return f"{value:{sign}.2f}"
    return f"{value:{sign}.1f}"


def ci_text(table: pd.DataFrame, arm: str, label: str, kind: str = "share",
            diff: bool = False) -> str:
    """'70.4 % [69.6, 71.2]' (or the paired difference) for one cell of a metric table."""
    row = table.set_index("arm").loc[arm]
    key = f"{label} diff" if diff else label
    return format_ci((row[key], row[f"{key} low"], row[f"{key} high"]), kind, diff)


def format_ci(estimate: tuple[float, float, float], kind: str = "share", diff: bool = False) -> str:
    """(mean, low, high) as '70.4 % [69.6, 71.2]'.

    Examples:
        >>> format_ci((0.704, 0.696, 0.712)), format_ci((0.01, -0.002, 0.02), diff=True)
        ('70.4 % [69.6, 71.2]', '+1.0 pts [-0.2, +2.0]')
    """
    mean, low, high = estimate
    text = fmt(mean, kind, diff)
    if np.isfinite(low):
        bounds = [fmt(b, kind, diff).replace(" pts", "").replace(" %", "") for b in (low, high)]
        text += f" [{bounds[0]}, {bounds[1]}]"
    return text


def value(table: pd.DataFrame, arm: str, label: str, diff: bool = False) -> float:
    return float(table.set_index("arm").loc[arm, f"{label} diff" if diff else label])


def interval(table: pd.DataFrame, arm: str, label: str, diff: bool = True) -> tuple[float, float]:
    row = table.set_index("arm").loc[arm]
    key = f"{label} diff" if diff else label
    return float(row[f"{key} low"]), float(row[f"{key} high"])


def direction(table: pd.DataFrame, arm: str, label: str, up: str, down: str,
              same: str) -> str:
    """`up` if the paired difference's CI is above 0, `down` if below, else `same`."""
    low, high = interval(table, arm, label)
    return up if low > 0 else down if high < 0 else same


def markdown_table(table: pd.DataFrame, metrics: list[Metric], labels: dict[str, str],
                   replications: int) -> str:
    """The metric table as Markdown: mean [95 % CI], and Δ to the first arm below it."""
    header = "| arm | " + " | ".join(m.label for m in metrics) + " |"
    lines = [header, "|" + "---|" * (len(metrics) + 1)]
    reference = table["arm"].iloc[0]
    for _, row in table.iterrows():
        cells = []
        for metric in metrics:
            cell = ci_text(table, row["arm"], metric.label, metric.kind)
            if row[f"{metric.label} n"] < replications:
                cell += f" ({row[f'{metric.label} n']}/{replications} runs)"
            if row["arm"] != reference:
                cell += "<br>Δ " + ci_text(table, row["arm"], metric.label, metric.kind, diff=True)
            cells.append(cell)
        name = labels.get(row["arm"], row["arm"])
        name = f"**{name}** (reference)" if row["arm"] == reference else name
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wilson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Examples:
        >>> [round(x, 3) for x in wilson(0, 20)]
        [0.0, 0.161]
    """
    if trials == 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials ** 2)) / (1 + z * z / trials)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


# --- the facts --------------------------------------------------------------------------


@dataclass
class Section:
    """What a fact contributes to the page."""

    verdict: str             # yes / partly / no, with a few words
    key_numbers: str         # one line for the summary table
    text: str                # the "what the model shows" paragraphs (Markdown)
    table: str               # Markdown table(s)
    figure: object           # a matplotlib figure
    slug: str


@dataclass
class Study:
    """Everything the facts read: arms, the comparison and the detail runs."""

    arms: dict[str, Arm]
    comparison: Comparison
    detail: dict
    replications: int
    seed: int

    def sub(self, names: list[str]) -> Comparison:
        return subset(self.comparison, names)

    def labels(self, names: list[str]) -> dict[str, str]:
        return {name: self.arms[name].label for name in names}

    def table(self, names: list[str], metrics: list[Metric]) -> tuple[pd.DataFrame, str]:
        table = metric_table(names, metrics)
        return table, markdown_table(table, metrics, self.labels(names), self.replications)


def _curve_band(axis, weeks, curves, colour, label, linestyle="-"):
    mean = np.nanmean(curves, axis=0)
    axis.plot(weeks, mean, color=colour, linestyle=linestyle, linewidth=1.8, label=label)
    if curves.shape[0] > 1:
        bands = np.array([mean_ci(curves[:, w])[1:] for w in range(curves.shape[1])])
        axis.fill_between(weeks, bands[:, 0], bands[:, 1], color=colour, alpha=0.18, linewidth=0)


COLOURS = plt.get_cmap("tab10").colors


def weeks_below(curve: np.ndarray, level: float, after: int) -> int | None:
    """First week after `after` at which `curve` is below `level` (None if never)."""
    below = np.flatnonzero(curve[after:] < level)
    return int(below[0] + after) if len(below) else None


def fact_gap(study: Study) -> Section:
    names = ["baseline", "top_down_broadcast", "mandate_and_targets", "pledge_day_blitz",
             "co_designed_movement"]
    sub = study.sub(names)
    gap = sub.enrolled - sub.active
    metrics = [
        Metric("peak enrolled", sub.enrolled.max(axis=2)),
        Metric("peak gap", gap.max(axis=2)),
        Metric("week of peak gap", gap.argmax(axis=2).astype(float), "weeks"),
        Metric("weeks with gap ≥ 10 points", (gap >= 0.10).sum(axis=2).astype(float), "weeks"),
        Metric("gap, week 52", per_run(sub, "enrolment_engagement_gap")),
        Metric("active, week 52", per_run(sub, "active_share")),
        Metric("disengaged, week 52", per_run(sub, "disengaged_share")),
    ]
    table, markdown = study.table(names, metrics)
    mean_gap = np.nanmean(gap, axis=1)
    peak_week = int(np.argmax(mean_gap[0]))
    half_week = weeks_below(mean_gap[0], mean_gap[0].max() / 2, peak_week)
    closes = [weeks_below(mean_gap[i], 0.10, int(np.argmax(mean_gap[i]))) for i in range(len(names))]
    activation = study.arms["baseline"].scenario.activation
    ownership = float(np.nanmean(per_run(sub, "mean_ownership_of_enrolled_now")[0]))
    base_detail = study.detail["baseline"]
    reached = weeks_below(np.nanmean(base_detail["unaware_curve"], axis=0), 0.01, 0)

    figure, (funnel, gaps, actives) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    weeks = np.arange(gap.shape[2])
    open_, disengaged = (np.nanmean(base_detail[k], axis=0) for k in ("open_curve", "disengaged_curve"))
    enrolled, active = np.nanmean(sub.enrolled[0], axis=0), np.nanmean(sub.active[0], axis=0)
    funnel.stackplot(weeks, active, enrolled - active, open_, disengaged,
                     labels=["active", "enrolled, not active", "not yet enrolled", "disengaged"],
                     colors=["#31a354", "#3182bd", "#bdbdbd", "#e6550d"])
    funnel.set(xlabel="week", ylabel="share of clinicians", title="Baseline: states (mean)",
               ylim=(0, 1), xlim=(0, weeks[-1]))
    funnel.legend(fontsize=8, loc="lower right")
    for i, name in enumerate(names):
        _curve_band(gaps, weeks, gap[i], COLOURS[i], name)
        _curve_band(actives, weeks, sub.active[i], COLOURS[i], name)
    gaps.axhline(0.10, color="grey", linewidth=0.8, linestyle=":")
    gaps.set(xlabel="week", ylabel="enrolled − active (share)", ylim=(0, 1),
             title="Enrolment–engagement gap (mean, 95 % CI)")
    actives.set(xlabel="week", ylabel="share active", ylim=(0, 1), title="Active (mean, 95 % CI)")
    gaps.legend(fontsize=8)
    figure.suptitle("Fact 1: enrolment is not engagement")

    final_gap = value(table, "baseline", "gap, week 52")
    weeks_open = value(table, "baseline", "weeks with gap ≥ 10 points")
    if final_gap >= 0.10:
        verdict = "yes"
    elif weeks_open >= 13:
        verdict = f"partly: a large gap for about {weeks_open:.0f} weeks, small by week 52"
    else:
        verdict = "no: the gap closes within weeks"
    largest = max(names, key=lambda n: value(table, n, "gap, week 52"))
    closing = ", ".join(f"{n} week {w}" if w is not None else f"{n} never"
                        for n, w in zip(names, closes))
    text = f"""\
In the baseline every clinician has met the campaign by week {reached} (fewer than 1 %
still unaware), and the enrolled share peaks at {ci_text(table, "baseline", "peak enrolled")}.
Action lags far behind: the gap between the enrolled and the active peaks at
{ci_text(table, "baseline", "peak gap")} in week {peak_week} (mean curve) and stays at
10 points or more for {ci_text(table, "baseline", "weeks with gap ≥ 10 points", "weeks")}
weeks. Activation closes it slowly — an enrolled clinician becomes active with weekly
probability {activation.rate} × ownership, and the enrolled's mean ownership at week 52 is
{ownership:.2f} — so the mean gap halves by week {half_week}, is below 10 points from week
{closes[0]} and is {ci_text(table, "baseline", "gap, week 52")} at week 52. Every arm
follows the same course (gap below 10 points from: {closing}); the largest year-end gap
is {largest}'s ({ci_text(table, largest, "gap, week 52")}).

What is large at the end of the year is the distance between *ever enrolled* and *still
engaged*: {ci_text(table, "baseline", "disengaged, week 52")} of clinicians have disengaged
by week 52 (erosion of the enrolled and active; nobody re-enrols in these scenarios).
**Verdict: {verdict}.** The ordering awareness ≥ enrolment ≥ action holds at every week
(the states are nested), and for the first months the campaign is "high enrolment, little
action", as the fact says. But the model keeps no standing enrolled-but-inactive group:
with the baseline's activation rate the gap is a delay, and by the year's end the
shortfall has become disengagement.
"""
    return Section(verdict, f"peak gap {fmt(mean_gap[0].max(), diff=True).lstrip('+')} in week "
                   f"{peak_week}; ≥ 10 points for {weeks_open:.0f} weeks; "
                   f"{fmt(final_gap, diff=True).lstrip('+')} at week 52", text, markdown, figure, "gap")


def fact_hybrids(study: Study) -> Section:
    names = ["baseline", "no_hybrids", "fewer_clinicians", "hybrids_leave"]
    context = ["no_launch_event", "no_launch_event_no_hybrids", "no_launch_event_fewer_clinicians"]
    tables, markdowns = [], []
    for group in (names, context):
        sub = study.sub(group)
        metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
                   Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks"),
                   Metric("enrolled, week 3", sub.enrolled[:, :, 3]),
                   Metric("hybrid share of enrolments", per_run(sub, "hazard_share:hybrid")),
                   Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score")]
        table, markdown = study.table(group, metrics)
        tables.append(table)
        markdowns.append(markdown)
    with_event, without_event = tables
    base = study.arms["baseline"].scenario
    hybrids = base.hybrids
    removed = base.staff.departments * base.staff.hybrids_per_department
    leave = study.arms["hybrids_leave"].scenario.hybrids
    open_at_leave = float(np.nanmean(study.detail["baseline"]["open_curve"][:, leave.leave_week]))

    figure, (curves, finals, speed) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    weeks = np.arange(17)
    for group, style in ((names[:3], "-"), (context, "--")):
        sub = study.sub(group)
        for i, name in reversed(list(enumerate(group))):  # the reference on top
            _curve_band(curves, weeks, sub.enrolled[i][:, :17], COLOURS[i],
                        study.arms[name].label, style)
    curves.set(xlabel="week", ylabel="enrolled share (mean, 95 % CI)", ylim=(0, 1),
               title="Enrolment, first 16 weeks\n(solid: with launch event; dashed: without)")
    curves.legend(fontsize=7)
    rows = [(with_event, n) for n in names[1:]] + [(without_event, n) for n in context[1:]]
    for axis, label, kind, scale in ((finals, "enrolled, week 52", "share", 100),
                                     (speed, "weeks to 50 %", "weeks", 1)):
        for position, (table, name) in enumerate(rows):
            mean = value(table, name, label, diff=True) * scale
            low, high = (x * scale for x in interval(table, name, label))
            axis.errorbar(mean, -position, xerr=[[mean - low], [high - mean]], fmt="o",
                          color=COLOURS[1 + position % 3], capsize=3)
        axis.axvline(0, color="grey", linewidth=0.8)
        axis.set_yticks(-np.arange(len(rows)), [study.arms[n].label for _, n in rows], fontsize=8)
        axis.set(xlabel=f"paired difference to its reference ({'points' if scale == 100 else 'weeks'})",
                 title=f"Δ {label}")
    figure.suptitle("Fact 2: hybrids off vs as many random clinicians removed "
                    "(references: baseline; no launch event)")

    final = "enrolled, week 52"
    d_hyb, d_few = (value(with_event, n, final, diff=True) for n in names[1:3])
    hyb_low, hyb_high = interval(with_event, "no_hybrids", final)
    few_low, few_high = interval(with_event, "fewer_clinicians", final)
    slower = interval(without_event, "no_launch_event_no_hybrids", "weeks to 50 %")[0] > 0
    if hyb_high < few_low:
        verdict = "yes"
        conclusion = ("Removing the hybrids cuts final enrolment more than removing as many "
                      "random clinicians, as the fact says.")
    elif hyb_low > few_high:
        verdict = ("partly: hybrids speed enrolment, but removing them raises final enrolment"
                   if slower else "no: removing hybrids raises final enrolment")
        conclusion = ("So in the model removing the hybrids does **not** cut final enrolment "
                      "more than removing random clinicians; it raises it.")
    else:
        verdict = "no clear difference in final enrolment"
        conclusion = "The two removals are not distinguishable in final enrolment."
    hybrid_ownership = hybrids.ownership_base + hybrids.ownership_mediation * (1 - hybrids.alignment)
    mechanism = (f"Enrolments through the baseline's hybrids (alignment {hybrids.alignment}) "
                 f"carry ownership {hybrids.ownership_base} + {hybrids.ownership_mediation} × "
                 f"(1 − alignment) = {hybrid_ownership:.2f}, "
                 + (f"below a peer enrolment's {base.peer.ownership}, so without hybrids those "
                    "clinicians enrol through peers a little later, own it more (mean ownership "
                    f"{ci_text(with_event, 'no_hybrids', 'mean ownership', 'score')} against "
                    f"{ci_text(with_event, 'baseline', 'mean ownership', 'score')}) and erode "
                    "less (erosion ∝ 1 − ownership)."
                    if hybrid_ownership < base.peer.ownership else
                    f"not below a peer enrolment's {base.peer.ownership}."))
    text = f"""\
Removing the hybrids (`[hybrids] enabled = false`) changes the enrolled share at week 52 by
{ci_text(with_event, "no_hybrids", final, diff=True)}; removing as many random clinicians
({removed}: {base.staff.hybrids_per_department} per department) changes it by
{ci_text(with_event, "fewer_clinicians", final, diff=True)}. {conclusion} Hybrids make
{ci_text(with_event, "baseline", "hybrid share of enrolments")} of the baseline's enrolments;
the launch event and the peer threshold cascade make the rest, and reach the hybrids'
recruits too when there are no hybrids. {mechanism}

What the hybrids do is speed: without them the enrolled share at week 3 is
{ci_text(with_event, "no_hybrids", "enrolled, week 3", diff=True)} (random clinicians removed:
{ci_text(with_event, "fewer_clinicians", "enrolled, week 3", diff=True)}). Without the launch
event, when hybrids and broadcast alone have to start the cascade, the week of 50 % enrolled
moves by {ci_text(without_event, "no_launch_event_no_hybrids", "weeks to 50 %", "weeks", diff=True)}
weeks without hybrids (random clinicians removed:
{ci_text(without_event, "no_launch_event_fewer_clinicians", "weeks to 50 %", "weeks", diff=True)});
with the launch event, by {ci_text(with_event, "no_hybrids", "weeks to 50 %", "weeks", diff=True)}.

`hybrids_leave` (half the hybrids leave in week {leave.leave_week}) differs from the
baseline at week 52 by {ci_text(with_event, "hybrids_leave", final, diff=True)}: by week
{leave.leave_week}, {fmt(open_at_leave)} of clinicians are still not enrolled (hybrids
approach only those), so the departing hybrids have no one left to enrol.
**Verdict: {verdict}.** The fewer-clinicians arms have a different staff graph (other
department sizes draw other random numbers), so their pairing with the reference is
weaker than the other arms'.
"""
    table_md = ("With the launch event (reference: baseline)\n\n" + markdowns[0]
                + "\n\nWithout the launch event (reference: no launch event)\n\n" + markdowns[1])
    return Section(verdict, f"Δ enrolled: no hybrids {fmt(d_hyb, diff=True)}, random clinicians "
                   f"removed {fmt(d_few, diff=True)}", text, table_md, figure, "hybrids")


def fact_alignment(study: Study) -> Section:
    names = [sweep_name("alignment", a, "hybrids_alignment_") for a in ALIGNMENTS]
    sub = study.sub(names)
    detail = study.detail
    metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
               Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks"),
               Metric("hybrid share of enrolments", per_run(sub, "hazard_share:hybrid")),
               Metric("sceptics enrolled by hybrids",
                      np.array([detail[n]["sceptics_by_hybrids"] for n in names])),
               Metric("mean fidelity", per_run(sub, "mean_fidelity_of_enrolled_now"), "score"),
               Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score"),
               Metric("hybrid credibility, week 52",
                      np.array([detail[n]["hybrid_credibility"] for n in names]), "score")]
    table, markdown = study.table(names, metrics)
    aligned, mediating = "hybrid_aligned", "hybrid_mediating"
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    panels = ((axes[0], ("enrolled, week 52", "hybrid share of enrolments",
                         "sceptics enrolled by hybrids"), "share"),
              (axes[1], ("mean fidelity", "mean ownership", "hybrid credibility, week 52"), "0–1"),
              (axes[2], ("weeks to 50 %",), "weeks"))
    for axis, labels, unit in panels:
        for colour, label in zip(COLOURS, labels):
            means = np.array([value(table, n, label) for n in names])
            bounds = np.array([interval(table, n, label, diff=False) for n in names])
            axis.errorbar(ALIGNMENTS, means, yerr=np.abs(bounds.T - means), marker="o",
                          color=colour, capsize=3, label=label)
        axis.set(xlabel="hybrid alignment (1 = mouthpiece, 0 = mediator)", ylabel=unit)
        axis.legend(fontsize=8)
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(0, 1)
    figure.suptitle("Fact 3: hybrid alignment swept from 1 (hybrid_aligned) to 0; capacity 5")

    more_enrolled = interval(table, mediating, "enrolled, week 52")[0] > 0
    less_faithful = interval(table, mediating, "mean fidelity")[1] < 0
    more_sceptics = interval(table, mediating, "sceptics enrolled by hybrids")[0] > 0
    verdict = ("yes" if more_enrolled and less_faithful and more_sceptics else
               "partly" if less_faithful or more_enrolled else "no")
    sceptic_share = float(np.nanmean(detail[aligned]["sceptic_share"]))
    trust = [float(np.nanmean(detail[n]["trust_of_hybrid_enrolled"])) for n in (aligned, mediating)]
    monotone = [label for label in ("enrolled, week 52", "sceptics enrolled by hybrids",
                                    "mean fidelity", "hybrid credibility, week 52")
                if np.all(np.diff([value(table, n, label) for n in names]) > 0)
                or np.all(np.diff([value(table, n, label) for n in names]) < 0)]
    direction_note = (" — in the direction \"mediation enrols more sceptics and more clinicians, "
                      "at a cost to fidelity\"" if verdict == "yes" else "")
    text = f"""\
`hybrid_mediating` (alignment 0.2) against `hybrid_aligned` (alignment 1.0), both
approaching 5 clinicians a week. Sceptics — clinicians whose trust in management is below
{SCEPTIC_TRUST}, {fmt(sceptic_share)} of them — enrolled by a hybrid:
{ci_text(table, aligned, "sceptics enrolled by hybrids")} with aligned hybrids,
{ci_text(table, mediating, "sceptics enrolled by hybrids")} with mediating ones (mean trust of
the hybrids' recruits {trust[0]:.2f} against {trust[1]:.2f}); mediating hybrids make
{ci_text(table, mediating, "hybrid share of enrolments")} of enrolments, aligned ones
{ci_text(table, aligned, "hybrid share of enrolments")}. Mediation
{direction(table, mediating, "mean fidelity", "raises", "lowers", "does not change")} the
fidelity of what spreads to the managers' programme
({ci_text(table, mediating, "mean fidelity", "score", diff=True)}),
{direction(table, mediating, "mean ownership", "raises", "lowers", "does not change")}
ownership ({ci_text(table, mediating, "mean ownership", "score", diff=True)}) and
{direction(table, mediating, "hybrid credibility, week 52", "raises", "lowers", "does not change")}
the hybrids' credibility ({ci_text(table, aligned, "hybrid credibility, week 52", "score")}
aligned, {ci_text(table, mediating, "hybrid credibility, week 52", "score")} mediating, at
week 52). Final enrolment differs by {ci_text(table, mediating, "enrolled, week 52", diff=True)}
and the week of 50 % by {ci_text(table, mediating, "weeks to 50 %", "weeks", diff=True)}:
hybrids act only in the first weeks, before the peer cascade takes everyone, so the
trade-off shows more in *whom* they enrol and *what* spreads than in how many enrol.
Along the sweep from alignment 1 to 0, {"; ".join(f"“{m}”" for m in monotone) if monotone else "no measure"}
{"changes" if len(monotone) == 1 else "change"} monotonically (figure).

**Verdict: {verdict}**{direction_note}.
The model's equations make this direction likely: a mediating hybrid's pitch resonates at
the fixed `adapted_resonance` ({study.arms[mediating].scenario.hybrids.adapted_resonance}),
whatever the clinician's trust, and its credibility tends to a higher target. The
direction is therefore a consequence of these modelling choices, not evidence on the open
question.
"""
    return Section(verdict, f"mediating − aligned: fidelity "
                   f"{fmt(value(table, mediating, 'mean fidelity', True), 'score', True)}, "
                   f"enrolled {fmt(value(table, mediating, 'enrolled, week 52', True), diff=True)}",
                   text, markdown, figure, "alignment")


def critical_mass(seed_shares, peaks: np.ndarray) -> float | None:
    """Smallest seed share at which at least half the runs cascade (None if none does).

    Examples:
        >>> critical_mass([0.0, 0.1, 0.2], np.array([[0.0, 0.1], [0.9, 0.1], [0.9, 0.9]]))
        0.1
    """
    for share, row in zip(seed_shares, peaks):
        if np.mean(row >= CASCADE_SHARE) >= 0.5:
            return share
    return None


def fact_tipping(study: Study) -> Section:
    baseline = study.arms["baseline"].scenario
    baseline_sd, threshold_mean = baseline.peer.threshold.sd, baseline.peer.threshold.mean
    mixed = f"sd {baseline_sd}, no clustering"
    columns = {f"threshold sd {sd}": [f"peer_only_seeds{s}_sd{sd}" for s in SEED_SHARES]
               for sd in THRESHOLD_SDS}
    columns[mixed] = [f"peer_only_mixed_seeds{s}" for s in SEED_SHARES]
    peaks = {label: study.sub(group).enrolled.max(axis=2) for label, group in columns.items()}
    replications = study.replications
    criticals = {label: critical_mass(SEED_SHARES, peak) for label, peak in peaks.items()}

    def mass(label: str) -> str:
        share = criticals[label]
        return "not reached" if share is None else "0 % (no seeds needed)" if share == 0 else fmt(share)

    counts = ["| random seeds | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    means = list(counts)
    for i, share in enumerate(SEED_SHARES):
        cells, peak_cells = [], []
        for label in columns:
            hits = int(np.sum(peaks[label][i] >= CASCADE_SHARE))
            low, high = wilson(hits, replications)
            cells.append(f"{hits}/{replications} [{100 * low:.0f}–{100 * high:.0f} %]")
            peak_cells.append(format_ci(mean_ci(peaks[label][i])))
        counts.append(f"| {share:.1%} | " + " | ".join(cells) + " |")
        means.append(f"| {share:.1%} | " + " | ".join(peak_cells) + " |")
    counts.append("| **critical mass** (cascade in ≥ half the runs) | "
                  + " | ".join(mass(label) for label in columns) + " |")

    sd_names = ["baseline"] + [f"baseline_threshold_sd{sd}" for sd in THRESHOLD_SDS
                               if sd != baseline_sd]
    sub = study.sub(sd_names)
    metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
               Metric("peak enrolled", sub.enrolled.max(axis=2)),
               Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks")]
    table, markdown = study.table(sd_names, metrics)
    bundled_peaks = sub.enrolled.max(axis=2)

    all_peaks = np.concatenate([p.ravel() for p in peaks.values()])
    intermediate = float(np.mean((all_peaks > 0.2) & (all_peaks < 0.8)))
    figure, (curve, histogram, full) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    for colour, (label, peak) in zip(COLOURS, peaks.items()):
        curve.plot(np.array(SEED_SHARES) * 100, np.mean(peak >= CASCADE_SHARE, axis=1), marker="o",
                   color=colour, label=label, linestyle="--" if label == mixed else "-")
    curve.set(xlabel="random seeds (% of clinicians)", ylabel="share of runs that cascade",
              title=f"Peer influence only: P(enrolled share ever ≥ {CASCADE_SHARE:.0%})",
              ylim=(-0.03, 1.03))
    curve.legend(fontsize=8)
    histogram.hist(all_peaks, bins=np.linspace(0, 1, 41), color=COLOURS[0])
    histogram.set(xlabel="peak enrolled share", ylabel="runs",
                  title=f"Peer influence only: all {len(all_peaks)} runs of the grid")
    full.hist(list(bundled_peaks), bins=np.linspace(0, 1, 41), stacked=True,
              color=COLOURS[:len(sd_names)], label=[study.arms[n].label for n in sd_names])
    full.set(xlabel="peak enrolled share", ylabel="runs",
             title="Full baseline campaign, by threshold sd")
    full.legend(fontsize=8)
    figure.suptitle("Fact 4: tipping points — seeds, threshold variance, clustering")

    sd_labels = [f"threshold sd {sd}" for sd in THRESHOLD_SDS]
    clustered = f"threshold sd {baseline_sd}"
    instigators = {sd: stats.norm.cdf(-threshold_mean / sd) for sd in THRESHOLD_SDS}
    week1 = float(np.nanmean(sub.enrolled[0][:, 1]))
    bundled_cascades = int(np.sum(bundled_peaks >= CASCADE_SHARE))
    in_range = [label for label, c in criticals.items() if c is not None and 0.10 <= c <= 0.40]
    ordered = [criticals[label] if criticals[label] is not None else np.inf for label in sd_labels]
    sd_effect = ("falls as the threshold sd grows" if all(a >= b for a, b in zip(ordered, ordered[1:]))
                 else "is not monotone in the threshold sd")
    clustering_effect = (
        "not measurable" if criticals[mixed] is None or criticals[clustered] is None else
        "higher without clustering" if criticals[mixed] > criticals[clustered] else
        "lower without clustering" if criticals[mixed] < criticals[clustered] else "the same")
    bimodal = intermediate < 0.05
    verdict = (f"partly: {'bimodal, ' if bimodal else ''}tipping in peer-only campaigns, "
               f"critical mass {'within' if in_range else 'below'} 10–40 %; "
               "no tipping in the bundled campaign")
    density = study.arms[columns[mixed][0]].scenario.staff.within_department_density
    text = f"""\
Tipping needs a campaign that only peers can carry, so these arms switch off broadcast,
events and hybrids and start the baseline's threshold cascade from a share of random
seeds (`[seeding] share`, `rule = "random"`), for threshold sd
{", ".join(str(sd) for sd in THRESHOLD_SDS)} (mean {threshold_mean}), and, at sd
{baseline_sd}, on a staff graph with the same expected number of ties but no department
clustering (within- and between-department density both {density}). A run *cascades*
when its enrolled share ever reaches {100 * CASCADE_SHARE:.0f} %.

**Bimodal: {"yes" if bimodal else "not clearly"}.** Of all {len(all_peaks)} peer-only runs,
{fmt(intermediate)} peak between 20 % and 80 % enrolled: a run either stays near its seeds
or takes almost everyone, and near the critical seed share the same arm does both in
different replications (middle panel).

**Seed size and threshold variance: sensitive.** The critical mass — the smallest seed
share at which at least half the runs cascade — is
{"; ".join(f"{label}: {mass(label)}" for label in sd_labels)}: it {sd_effect}, as in
Granovetter. Thresholds are normal clipped at 0, so a share Φ(−mean/sd) of clinicians —
{", ".join(f"{fmt(instigators[sd])} at sd {sd}" for sd in THRESHOLD_SDS)} — has threshold 0
and enrols in week 1 with no enrolled neighbour (the model credits these enrolments to the
peer channel){f"; at sd {THRESHOLD_SDS[-1]} they alone start the cascade" if criticals[sd_labels[-1]] == 0 else ""}.

**Clustering:** the critical mass is {mass(mixed)} without department clustering against
{mass(clustered)} with it ({clustering_effect}){": dense departments let a local share of enrolled neighbours build up, as in Centola's complex contagion" if clustering_effect == "higher without clustering" else ""}.

**Critical mass ~10–40 %:** {"matched for " + ", ".join(in_range) if in_range else "not matched"}.
{"With these thresholds the model tips at a much smaller seed share than 10 %, because a threshold is a share of one's own neighbours and a clinician's neighbours are mostly in one dense department." if not in_range else ""}

**In the bundled campaign there is no tipping point:** in week 1 the launch event, the
broadcast and the hybrids together enrol {fmt(week1)} of clinicians (mean), {"above" if week1 > max(c or 0 for c in criticals.values()) else "not above"} every critical mass in the table, so
{bundled_cascades} of {bundled_peaks.size} baseline runs (threshold sd
{", ".join(str(sd) for sd in THRESHOLD_SDS)}) cascade and the outcome is unimodal (right
panel). The bundled strategies therefore differ in speed, ownership, fidelity and erosion,
not in whether the campaign takes off.
"""
    table_md = ("Peer-only campaigns: runs that cascade (of R, with Wilson 95 % CI)\n\n"
                + "\n".join(counts)
                + "\n\nPeer-only campaigns: peak enrolled share (mean [95 % CI])\n\n"
                + "\n".join(means)
                + "\n\nThe full baseline campaign with other threshold sd (reference: baseline, "
                f"sd {baseline_sd})\n\n" + markdown)
    return Section(verdict, f"critical mass {mass(clustered)} at sd {baseline_sd}; "
                   f"{fmt(intermediate)} of peer-only runs intermediate; baseline cascades in "
                   f"{bundled_cascades}/{bundled_peaks.size} runs", text, table_md, figure, "tipping")


def fact_leaders(study: Study) -> Section:
    names = ["baseline", "champions_network", "champions_random"]
    context = ["no_launch_event", "no_launch_event_champions"]
    tables, markdowns, diffs = [], [], {}
    for group in (names, context):
        sub = study.sub(group)
        metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
                   Metric("active, week 52", per_run(sub, "active_share")),
                   Metric("enrolled, week 2", sub.enrolled[:, :, 2]),
                   Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks"),
                   Metric("champion share of enrolments", per_run(sub, "hazard_share:champion"))]
        table, markdown = study.table(group, metrics)
        tables.append(table)
        markdowns.append(markdown)
        for i, name in enumerate(group[1:], start=1):
            diffs[name] = {m.label: m.values[i] - m.values[0] for m in metrics[:3]}
    champions = study.arms["champions_network"].scenario
    figure, (curves, finals, early) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    weeks = np.arange(13)
    for group, style in ((names, "-"), (context, "--")):
        sub = study.sub(group)
        for i, name in enumerate(group):
            _curve_band(curves, weeks, sub.enrolled[i][:, :13], COLOURS[i if style == "-" else i * 3],
                        study.arms[name].label, style)
    curves.set(xlabel="week", ylabel="enrolled share (mean, 95 % CI)", ylim=(0, 1),
               title="Enrolment, first 12 weeks")
    curves.legend(fontsize=7)
    arms = list(diffs)
    for axis, label in ((finals, "enrolled, week 52"), (early, "enrolled, week 2")):
        for position, name in enumerate(arms):
            values = 100 * diffs[name][label]
            jitter = np.linspace(-0.15, 0.15, len(values))
            axis.scatter(values, -position + jitter, s=14, color=COLOURS[1 + position], alpha=0.7)
            axis.plot([np.median(values)] * 2, [-position - 0.3, -position + 0.3], color="black")
        axis.axvline(0, color="grey", linewidth=0.8)
        axis.set_yticks(-np.arange(len(arms)), [study.arms[n].label for n in arms], fontsize=8)
        axis.set(xlabel="paired gain per replication (points)",
                 title=f"Gain in {label} (bar: median)")
    figure.suptitle("Fact 5: champions (opinion leaders) against the same campaign without them")

    def spread(name: str, label: str) -> str:
        values = 100 * diffs[name][label]
        return (f"median {np.median(values):+.1f} points, range {values.min():+.1f} to "
                f"{values.max():+.1f}, negative in {int(np.sum(values < 0))} of {len(values)}")

    final_gains = diffs["champions_network"]["enrolled, week 52"]
    median_final = float(np.median(final_gains))
    early = {n: float(np.median(diffs[n]["enrolled, week 2"])) for n in diffs}
    verdict = ("yes" if 0.05 <= median_final <= 0.15 else
               "no: year-end gains far below ~10 points (early gains larger)"
               if abs(median_final) < 0.05 and early["champions_network"] >= 0.05 else
               "no: gains far below ~10 points" if abs(median_final) < 0.05 else
               "no: gains above ~10 points")
    relative = 100 * final_gains / per_run(study.sub(["baseline"]), "final_enrolled_share")[0]
    negatives = int(np.sum(final_gains < 0))
    text = f"""\
`champions_network` adds {champions.staff.champions} champions chosen by degree (enrolled at
week 0, peer weight {champions.champions.weight}, each approaching {champions.champions.capacity}
neighbours a week with persuasion {champions.champions.persuasion}); `champions_random` is the
same with champions chosen at random. Paired gains per replication over the same campaign
without champions:

- `champions_network`, enrolled at week 52: {spread("champions_network", "enrolled, week 52")}
  (relative to the baseline: median {np.median(relative):+.1f} %, range {relative.min():+.1f} %
  to {relative.max():+.1f} %); enrolled at week 2: {spread("champions_network", "enrolled, week 2")}.
- `champions_random`, week 52: {spread("champions_random", "enrolled, week 52")};
  week 2: {spread("champions_random", "enrolled, week 2")}.
- champions by degree in a campaign without the launch event, week 52:
  {spread("no_launch_event_champions", "enrolled, week 52")}; week 2:
  {spread("no_launch_event_champions", "enrolled, week 2")}.

**Verdict: {verdict}.** In the model, opinion leaders change *when* clinicians enrol more
than *whether* they do: the week-2 gain (median {100 * early["champions_network"]:+.1f}
points) and the week of 50 % ({ci_text(tables[0], "champions_network", "weeks to 50 %", "weeks", diff=True)}
weeks) are clear, but by week 52 the cascade has enrolled nearly everyone with or without
champions, so the year-end gain is {100 * median_final:+.1f} points (median), with
{negatives} of {len(final_gains)} replications negative — noise around a small effect, not
the wide spread of outcomes the trials report. Champions chosen by degree
{"enrol faster than" if early["champions_network"] > early["champions_random"] else "do not enrol faster than"}
random ones (week-2 medians {100 * early["champions_network"]:+.1f} and
{100 * early["champions_random"]:+.1f} points). Flodgren's
outcomes are changes in professional practice against no intervention, which enrolled or
active shares only loosely resemble.
"""
    table_md = ("With the launch event (reference: baseline)\n\n" + markdowns[0]
                + "\n\nWithout the launch event (reference: no launch event)\n\n" + markdowns[1])
    return Section(verdict, f"median gain at week 52 {100 * median_final:+.1f} points; at week 2 "
                   f"{100 * np.median(diffs['champions_network']['enrolled, week 2']):+.1f}",
                   text, table_md, figure, "opinion_leaders")


def fact_scurves(study: Study) -> Section:
    names = ["broadcast_led", "peer_led", "baseline"]
    sub = study.sub(names)
    increments = np.diff(sub.enrolled, axis=2)
    peak = sub.enrolled.max(axis=2)

    def weeks_to_fraction(fraction: float) -> np.ndarray:
        reached = sub.enrolled >= fraction * peak[:, :, None] - 1e-12
        return reached.argmax(axis=2).astype(float)

    metrics = [Metric("peak enrolled", peak),
               Metric("week of fastest growth", increments.argmax(axis=2) + 1.0, "weeks"),
               Metric("weeks to 10 % of peak", weeks_to_fraction(0.1), "weeks"),
               Metric("weeks to 50 % of peak", weeks_to_fraction(0.5), "weeks"),
               Metric("weeks to 90 % of peak", weeks_to_fraction(0.9), "weeks"),
               Metric("active, week 52", per_run(sub, "active_share"))]
    table, markdown = study.table(names, metrics)
    figure, (curves, rates) = plt.subplots(1, 2, figsize=(12, 4.3), constrained_layout=True)
    weeks = np.arange(sub.enrolled.shape[2])
    for i, name in enumerate(names):
        _curve_band(curves, weeks, sub.enrolled[i], COLOURS[i], study.arms[name].label)
        rates.plot(weeks[1:], np.nanmean(increments[i], axis=0) / np.nanmean(peak[i]),
                   color=COLOURS[i], linewidth=1.8, label=study.arms[name].label)
    curves.set(xlabel="week", ylabel="enrolled share (mean, 95 % CI)", ylim=(0, 1),
               title="Adoption curves")
    rates.set(xlabel="week", ylabel="weekly change in enrolled share / peak", xlim=(0, 52),
              title="Weekly new enrolment, net of erosion (relative to own peak)")
    rates.set_yscale("symlog", linthresh=0.01)
    curves.legend(fontsize=8)
    figure.suptitle("Fact 6: communications-led (high p) vs peer-led (high q) campaigns, Bass peer rule")
    fastest = {n: value(table, n, "week of fastest growth") for n in names}
    verdict = ("yes" if fastest["broadcast_led"] < fastest["peer_led"]
               and value(table, "broadcast_led", "weeks to 10 % of peak")
               < value(table, "peer_led", "weeks to 10 % of peak") else "no")
    arms = {n: study.arms[n].scenario for n in names[:2]}
    text = f"""\
Two campaigns built for this fact from the baseline, without the launch event and without
hybrids, with the Bass peer rule (hazard q × share of enrolled neighbours): broadcast-led,
broadcast {arms["broadcast_led"].broadcast.intensity} a week (times mean resonance 0.5: p ≈
{arms["broadcast_led"].broadcast.intensity / 2:g}) and q = {arms["broadcast_led"].peer.q}; peer-led,
broadcast {arms["peer_led"].broadcast.intensity} (p ≈ {arms["peer_led"].broadcast.intensity / 2:g}) and
q = {arms["peer_led"].peer.q}. The q/p ratios follow the Sultan–Farley–Lehmann averages
(p ≈ 0.03, q ≈ 0.38) but per week, not per year: a choice, so that both curves play out
within the year.

**Verdict: {verdict}.** The broadcast-led campaign grows from week 1 at a nearly steady,
slowly falling weekly rate (fastest growth in week
{ci_text(table, "broadcast_led", "week of fastest growth", "weeks")}; the weekly rate is flat
for the first weeks, hence the wide interval): it reaches 10 % of its own peak in
{ci_text(table, "broadcast_led", "weeks to 10 % of peak", "weeks")} weeks but 90 % only in
{ci_text(table, "broadcast_led", "weeks to 90 % of peak", "weeks")}. The peer-led campaign
starts late and then accelerates — an S-curve with its fastest growth in week
{ci_text(table, "peer_led", "week of fastest growth", "weeks")}, 10 % of its peak in
{ci_text(table, "peer_led", "weeks to 10 % of peak", "weeks")} weeks and 90 % in
{ci_text(table, "peer_led", "weeks to 90 % of peak", "weeks")}. The baseline (threshold rule,
launch event) is an S-curve compressed into its first weeks (fastest growth in week
{fastest["baseline"]:.1f}). The broadcast-led campaign also peaks lower
({ci_text(table, "broadcast_led", "peak enrolled")} against
{ci_text(table, "peer_led", "peak enrolled")}): a year-round broadcast keeps clinicians
fatigued (fatigue scales the broadcast hazard by 1 − fatigue and erosion by 1 + fatigue) and
its enrolments carry ownership {arms["broadcast_led"].broadcast.ownership}, below a peer
enrolment's {arms["broadcast_led"].peer.ownership}, so they erode faster.
"""
    return Section(verdict, f"fastest growth: week {fastest['broadcast_led']:.1f} (broadcast-led) "
                   f"vs week {fastest['peer_led']:.1f} (peer-led)", text, markdown, figure,
                   "s_curves")


def fact_fatigue(study: Study) -> Section:
    names = ["baseline", "pledge_day_blitz", "paced_campaign"]
    sweep = [sweep_name("intensity", i, "broadcast_") for i in INTENSITIES]
    no_fatigue = "broadcast_0.16_no_fatigue"
    tables, markdowns = [], []
    late = slice(26, 53)
    for group in (names, ["baseline"] + [n for n in sweep if n != "baseline"] + [no_fatigue]):
        sub = study.sub(group)
        metrics = [Metric("active, week 52", per_run(sub, "active_share")),
                   Metric("mean active, weeks 26–52", np.nanmean(sub.active[:, :, late], axis=2)),
                   Metric("disengaged, week 52", per_run(sub, "disengaged_share")),
                   Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks"),
                   Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score")]
        table, markdown = study.table(group, metrics)
        tables.append(table)
        markdowns.append(markdown)
    tempo, sweep_table = tables
    figure, (curves, dose) = plt.subplots(1, 2, figsize=(13, 4.3), constrained_layout=True)
    sub = study.sub(names)
    weeks = np.arange(sub.enrolled.shape[2])
    for i, name in enumerate(names):
        _curve_band(curves, weeks, sub.active[i], COLOURS[i], f"{name}: active")
        curves.plot(weeks, np.nanmean(sub.enrolled[i], axis=0), color=COLOURS[i], linestyle=":",
                    linewidth=1.2, label=f"{name}: enrolled")
    curves.set(xlabel="week", ylabel="share of clinicians", ylim=(0, 1),
               title="Tempo: blitz vs paced vs baseline")
    curves.legend(fontsize=7, ncol=2)
    for colour, label in zip(COLOURS, ("active, week 52", "disengaged, week 52")):
        means = np.array([value(sweep_table, n, label) for n in sweep])
        bounds = np.array([interval(sweep_table, n, label, diff=False) for n in sweep])
        dose.errorbar(INTENSITIES, means, yerr=np.abs(bounds.T - means), marker="o", color=colour,
                      capsize=3, label=label)
        dose.plot([0.16], [value(sweep_table, no_fatigue, label)], marker="x", markersize=10,
                  color=colour, linestyle="none", label=f"{label}, fatigue off (0.16)")
    dose.set_xscale("symlog", linthresh=0.01)
    dose.set(xlabel="broadcast intensity all year (per week; baseline 0.02)",
             ylabel="share of clinicians", ylim=(0, 1), title="Dose: broadcast intensity")
    dose.legend(fontsize=8)
    figure.suptitle("Fact 7: tempo, fatigue and erosion")

    actives = [value(sweep_table, n, "active, week 52") for n in sweep]
    blitz = study.arms["pledge_day_blitz"].scenario
    blitz_speed = direction(tempo, "pledge_day_blitz", "weeks to 50 %", "later, not earlier",
                            "earlier", "no faster")
    best = INTENSITIES[int(np.argmax(actives))]
    monotone = all(a >= b for a, b in zip(actives, actives[1:]))
    explanation = (
        "Because the peer cascade enrols nearly everyone anyway, a push adds no enrolment, "
        "only fatigue and lower-ownership enrolments, so in this model every extra push costs "
        "sustained engagement. A threshold tempo would need a campaign whose enrolment still "
        "depends on the push." if best == INTENSITIES[0] else
        f"Sustained engagement rises up to intensity {best} and falls beyond it.")
    fatigue = study.arms["baseline"].scenario.fatigue
    verdict = ("partly: more pushes lower sustained engagement, but from the first push on, "
               "with no threshold tempo" if best == INTENSITIES[0]
               else f"yes: engagement peaks at intensity {best} and falls beyond")
    text = f"""\
**Blitz vs paced.** Against the baseline, `pledge_day_blitz` changes the active share at
week 52 by {ci_text(tempo, "pledge_day_blitz", "active, week 52", diff=True)} and
`paced_campaign` by {ci_text(tempo, "paced_campaign", "active, week 52", diff=True)}
(disengaged: {ci_text(tempo, "pledge_day_blitz", "disengaged, week 52", diff=True)} and
{ci_text(tempo, "paced_campaign", "disengaged, week 52", diff=True)}). The blitz's week of
50 % enrolled differs from the baseline's by
{ci_text(tempo, "pledge_day_blitz", "weeks to 50 %", "weeks", diff=True)} weeks
({blitz_speed}): its pledge day is in week {blitz.events.weeks[0]}, while the baseline's
launch event in week {study.arms["baseline"].scenario.events.weeks[0]} starts the cascade
at once.

**Dose.** Raising the baseline's all-year broadcast intensity from
{INTENSITIES[0]} to {INTENSITIES[-1]} moves the active share at week 52 from
{ci_text(sweep_table, sweep[0], "active, week 52")} to
{ci_text(sweep_table, sweep[-1], "active, week 52")}; the highest is at intensity {best}
({"every step up lowers it" if monotone else "not monotone"}). Turning fatigue off at
intensity 0.16 gives {ci_text(sweep_table, no_fatigue, "active, week 52")} against
{ci_text(sweep_table, "broadcast_0.16", "active, week 52")} with fatigue, so
{"most" if value(sweep_table, no_fatigue, "active, week 52") - value(sweep_table, "broadcast_0.16", "active, week 52") > 0.5 * (value(sweep_table, "baseline", "active, week 52") - value(sweep_table, "broadcast_0.16", "active, week 52")) else "only part"}
of the loss runs through fatigue (fatigue += {fatigue.load} × weekly push, recovering
{fatigue.recovery:.0%} a week; erosion × (1 + fatigue)); the rest is the channel mix — a broadcast
enrolment carries ownership {study.arms["baseline"].scenario.broadcast.ownership}, a peer
enrolment {study.arms["baseline"].scenario.peer.ownership}, and low ownership erodes faster.

**Verdict: {verdict}.** {explanation}
"""
    table_md = ("Tempo (reference: baseline)\n\n" + markdowns[0]
                + "\n\nBroadcast intensity all year (reference: baseline, intensity "
                f"{study.arms['baseline'].scenario.broadcast.intensity})\n\n" + markdowns[1])
    return Section(verdict, f"active at week 52: blitz "
                   f"{fmt(value(tempo, 'pledge_day_blitz', 'active, week 52', True), diff=True)}, "
                   f"paced {fmt(value(tempo, 'paced_campaign', 'active, week 52', True), diff=True)}; "
                   f"highest at broadcast {best}", text, table_md, figure, "fatigue")


@dataclass(frozen=True)
class Fact:
    number: int
    arms: tuple[str, ...]
    analyse: Callable[[Study], Section]
    detail_arms: tuple[str, ...] = ()


def facts() -> list[Fact]:
    alignment = tuple(sweep_name("alignment", a, "hybrids_alignment_") for a in ALIGNMENTS)
    tipping = tuple(f"peer_only_seeds{s}_sd{sd}" for sd in THRESHOLD_SDS for s in SEED_SHARES) + \
        tuple(f"peer_only_mixed_seeds{s}" for s in SEED_SHARES) + \
        ("baseline",) + tuple(f"baseline_threshold_sd{sd}" for sd in THRESHOLD_SDS)
    return [
        Fact(1, ("baseline", "top_down_broadcast", "mandate_and_targets", "pledge_day_blitz",
                 "co_designed_movement"), fact_gap, ("baseline",)),
        Fact(2, ("baseline", "no_hybrids", "fewer_clinicians", "hybrids_leave", "no_launch_event",
                 "no_launch_event_no_hybrids", "no_launch_event_fewer_clinicians"), fact_hybrids,
             ("baseline",)),
        Fact(3, alignment, fact_alignment, alignment),
        Fact(4, tipping, fact_tipping),
        Fact(5, ("baseline", "champions_network", "champions_random", "no_launch_event",
                 "no_launch_event_champions"), fact_leaders),
        Fact(6, ("broadcast_led", "peer_led", "baseline"), fact_scurves),
        Fact(7, ("baseline", "pledge_day_blitz", "paced_campaign")
             + tuple(sweep_name("intensity", i, "broadcast_") for i in INTENSITIES)
             + ("broadcast_0.16_no_fatigue",), fact_fatigue),
    ]


# --- the page ----------------------------------------------------------------------------


def commands_for(fact: Fact, arms: dict[str, Arm], replications: int, seed: int) -> str:
    """How a user explores a fact: the variant files to save, and the compare command."""
    present = list(dict.fromkeys(n for n in fact.arms if n in arms))
    variants = [arms[n] for n in present if arms[n].overrides is not None]
    options = f"-r {replications} --seed {seed}"
    findings = (f"`python -m campaignsim.findings --facts {fact.number} {options} "
                f"--out /tmp/fact{fact.number}` runs every arm of this fact and writes its page.")
    lines = []
    if variants:
        shown = variants if len(variants) <= 7 else variants[:2]
        lines.append(f"The {'variant' if len(variants) == 1 else f'{len(variants)} variants'} of "
                     "the baseline below are built in `campaignsim.findings`; to run one with "
                     "`campaignsim compare`, save it as `explore/<name>.toml` (a folder next to "
                     "`scenarios/`, so the bundled set stays as it is).")
        lines += [f"<details><summary><code>{arm.name}</code>: {arm.scenario.description}"
                  f"</summary>\n\n```toml\n{toml_snippet(arm)}\n```\n\n</details>"
                  for arm in shown]
        if len(shown) < len(variants):
            lines.append(f"…and {len(variants) - len(shown)} more of the same form (the grid in "
                         "the tables below).")
    if len(variants) <= 7:
        files = " ".join(arms[n].file if arms[n].overrides is None else f"explore/{n}.toml"
                         for n in present)
        lines.append(f"```bash\ncampaignsim compare {files} {options}\n```")
    lines.append(findings)
    return "\n\n".join(lines)


def write_page(study: Study, sections: dict[int, Section], out: Path, command: str) -> Path:
    arms = study.arms
    runs = len(study.comparison.scenarios) * study.replications
    header = f"""\
# Stylised facts: what the model shows

<!-- generated by `{command}`; do not edit by hand -->

**R = {study.replications} replications per arm, comparison seed {study.seed}** (replicate *i*
of every arm uses seed `replicate_seeds({study.seed}, {study.replications})[i]`: the same
staff graph, clinicians and weekly draws — common random numbers — so differences between
arms are paired). {len(study.comparison.scenarios)} arms, {runs} runs, campaignsim
{__version__}. Regenerate this page and its figures with

```bash
{command}
```

Each section below takes one stylised fact from `shared/research/paper_memo.md` (d),
names the scenarios and the command that explore it, and reports what the model does —
including where it does not show the pattern. Nothing was tuned to make a fact appear:
bundled scenarios are used as they are, and the variants built for a fact change only what
the fact is about (each is shown as the scenario file that reproduces it). Tables give the
mean over replications with its 95 % confidence interval in brackets, and under it (Δ) the
paired difference to the table's reference arm with its 95 % CI; shares are in %,
differences of shares in percentage points. Every number on this page is computed by
`campaignsim.findings` from the runs.
"""
    base = study.sub(list(LATE_ARMS))
    base_curve = np.nanmean(base.enrolled[0], axis=0)
    w50 = per_run(base, "weeks_to_50")[0]
    peak_week = int(np.argmax(base_curve))
    open10 = float(np.nanmean(study.detail["baseline"]["open_curve"][:, 10]))
    late = metric_table(list(LATE_ARMS), [Metric("enrolled", per_run(base, "final_enrolled_share")),
                                          Metric("active", per_run(base, "active_share"))])
    leave, shock = (arms[n].scenario for n in LATE_ARMS[1:])
    late_text = "; ".join(
        f"`{name}` ({what} in week {week}): Δ enrolled at week 52 "
        f"{ci_text(late, name, 'enrolled', diff=True)}, Δ active {ci_text(late, name, 'active', diff=True)}"
        for name, what, week in (("hybrids_leave", "half the hybrids leave", leave.hybrids.leave_week),
                                 ("serious_incident_shock", "a serious incident", shock.shock.week)))
    summary = ["## Read this first", "",
               f"In the baseline the threshold cascade, started by the week-1 launch event, "
               f"saturates enrolment within weeks: the enrolled share reaches 50 % in week "
               f"{np.nanmean(w50):.1f} on average and peaks at {fmt(base_curve.max())} in week "
               f"{peak_week} (mean curve); by week 10, {fmt(open10)} of clinicians are not yet "
               "enrolled. Almost everyone enrols whatever the strategy, so the bundled "
               "strategies differ mostly in speed, in ownership and fidelity, and in erosion "
               "over the rest of the year, and what acts on the not-yet-enrolled after the "
               f"first weeks has nothing left to act on — {late_text}.",
               "", "| # | fact | does the model show it? | key numbers |", "|---|---|---|---|"]
    for number, section in sections.items():
        summary.append(f"| {number} | [{CLAIMS[number][0]}](#{number}-{_anchor(CLAIMS[number][0])}) "
                       f"| {section.verdict} | {section.key_numbers} |")
    if 8 in CLAIMS:
        summary.append(f"| 8 | [{CLAIMS[8][0]}](#8-{_anchor(CLAIMS[8][0])}) | not modelled yet | — |")
    body = []
    fact_list = {f.number: f for f in facts()}
    for number, section in sections.items():
        title, claim, source = CLAIMS[number]
        figure = f"figures/findings_{number}_{section.slug}.png"
        body += [f"## {number}. {title}", "", f"> {claim} ({source}; paper_memo (d) {number})", "",
                 "**Scenarios and command.**", "",
                 commands_for(fact_list[number], arms, study.replications, study.seed), "",
                 f"![Fact {number}]({figure})", "", "**What the model shows.**", "",
                 section.text.strip(), "", "**Measured.**", "", section.table, ""]
    title, claim, source = CLAIMS[8]
    body += [f"## 8. {title}", "", f"> {claim} ({source}; paper_memo (d) 8)", "",
             "**Not modelled yet.** The model has no organisational-performance variable "
             "(paper_memo M4 proposes an `org_performance` switch that would change how hybrids "
             "act); nothing here tests this fact. Varying `[clinicians] trust_in_management` "
             "is the nearest existing lever, but it is not the mechanism Currie et al. describe.",
             ""]
    page = out / "findings.md"
    from .results_io import write_text

    write_text(page, header + "\n" + "\n".join(summary) + "\n\n" + "\n".join(body))
    return page


def _anchor(title: str) -> str:
    """GitHub's heading anchor for '<n>. <title>' minus the number."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return keep.replace(" ", "-")


def study_facts(numbers: list[int], replications: int, seed: int, workers: int,
                folder: Path = SCENARIOS) -> tuple[Study, dict[int, Section]]:
    """Run the arms of the chosen facts and analyse them."""
    arms = build_arms(folder)
    chosen = [f for f in facts() if f.number in numbers]
    # the fact lists every sd variant; the one equal to the baseline's sd is not built
    names = list(dict.fromkeys(n for f in chosen for n in LATE_ARMS + f.arms if n in arms))
    detail_names = list(dict.fromkeys(n for f in chosen for n in ("baseline",) + f.detail_arms))
    comparison = compare([arms[n].scenario for n in names], replications=replications, seed=seed,
                         workers=workers)
    detail = details([arms[n].scenario for n in detail_names], replications, seed, workers)
    study = Study(arms, comparison, detail, replications, seed)
    return study, {f.number: f.analyse(study) for f in chosen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m campaignsim.findings",
        description="Run the experiments for the stylised facts of paper_memo (d) 1-7 and "
                    "write findings.md and figures/findings_*.png to --out.")
    parser.add_argument("--replications", "-r", type=int, default=20,
                        help="replications per arm (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="comparison seed (default: 0)")
    parser.add_argument("--out", default="docs", help="folder for findings.md (default: docs)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default: 2)")
    parser.add_argument("--scenarios", default=str(SCENARIOS),
                        help="folder of the bundled scenarios (default: scenarios)")
    parser.add_argument("--facts", default="1,2,3,4,5,6,7",
                        help="comma-separated fact numbers to run (default: all, 1-7)")
    args = parser.parse_args(argv)
    try:
        numbers = sorted({int(x) for x in args.facts.split(",")})
    except ValueError:
        parser.error("--facts: give numbers 1-7 separated by commas")
    if not set(numbers) <= set(range(1, 8)) or args.replications < 2:
        parser.error("--facts takes numbers 1-7; --replications must be at least 2")
    started = time.perf_counter()
    study, sections = study_facts(numbers, args.replications, args.seed, args.workers,
                                  Path(args.scenarios))
    out = Path(args.out)
    for number, section in sections.items():
        save_figure(section.figure, out / "figures" / f"findings_{number}_{section.slug}.png")
    command = (f"python -m campaignsim.findings --replications {args.replications} "
               f"--seed {args.seed} --out {args.out}"
               + ("" if numbers == list(range(1, 8)) else f" --facts {args.facts}"))
    page = write_page(study, sections, out, command)
    print(f"{len(study.comparison.scenarios)} arms × {args.replications} replications in "
          f"{time.perf_counter() - started:.1f} s; wrote {page} and "
          f"{len(sections)} figures in {out / 'figures'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
