"""Running the studies' scenarios and slicing the results.

The facts run all their arms in one `compare` call (common random numbers: replicate i of
every arm has the same seed, so differences are paired) plus a few measures `compare`
does not keep (`details`); the validation checks build small scenarios
programmatically (`scenario`, `write_graph_csv`) and run them over seeds (`replicate`).
Both spread runs over processes with `parallel_map`, whose results do not depend on the
number of processes.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import networkx as nx
import numpy as np
import pandas as pd

from ..compare import Comparison, mean_ci, replicate_seeds
from ..plots import plt
from ..runner import run
from ..scenario import CHANNELS, Scenario, validate_scenario
from .arms import Arm
from .tables import Metric, markdown_table, metric_table

#: A clinician counts as a sceptic when trust in management is below this (a choice).
SCEPTIC_TRUST = 0.3
#: The speed measure's label (`weeks_to_half_reached`).
HALF_YEAR = "weeks to half the year's enrolment"
COLOURS = plt.get_cmap("tab10").colors


def parallel_map(function, *iterables, workers: int = 1) -> list:
    """`list(map(function, *iterables))`, in `workers` processes if more than one.

    Processes are spawned, not forked (forking a process whose numerical libraries run
    threads can deadlock), so a script that calls this with workers > 1 needs the
    `if __name__ == "__main__":` guard. Jobs go out in chunks of about a quarter of each
    process's share, to keep the pickling overhead of many small runs down.
    """
    if workers <= 1:
        return list(map(function, *iterables))
    columns = [list(items) for items in iterables]
    chunk = max(1, len(columns[0]) // (4 * workers))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(function, *columns, chunksize=chunk))


# --- validation: small programmatic scenarios ------------------------------------------


@dataclass
class Check:
    """One comparison of the model with a theory: the measured deviation and its limit."""

    name: str
    theory: str
    deviation: float
    tolerance: float
    note: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.deviation <= self.tolerance)


def scenario(name: str, weeks: int, staff: dict, **tables) -> Scenario:
    """A validated scenario with only the given mechanism tables turned on."""
    return validate_scenario({"name": name, "weeks": weeks, "staff": staff, **tables})


def _enrolled_share(spec: Scenario, seed: int) -> np.ndarray:
    return run(spec, seed=seed).timeseries["enrolled_share"].to_numpy()


def replicate(spec: Scenario, seeds, workers: int = 1) -> np.ndarray:
    """Enrolled share per week (columns) of one run per seed (rows)."""
    seeds = [int(s) for s in seeds]
    return np.array(parallel_map(_enrolled_share, [spec] * len(seeds), seeds, workers=workers))


def write_graph_csv(graph: nx.Graph, directory: str | Path, name: str,
                    **node_columns: dict) -> dict:
    """Write a graph as a CSV edge list plus node CSV; returns the `[staff]` table.

    Node columns (e.g. `threshold={node: value}`) are written with `repr`, so a float read
    back is the very float given.
    """
    directory = Path(directory)
    edges, nodes = directory / f"{name}_edges.csv", directory / f"{name}_nodes.csv"
    edges.write_text("source,target\n" + "".join(f"{a},{b}\n" for a, b in graph.edges()))
    columns = list(node_columns)
    rows = [",".join([str(node)] + [repr(float(node_columns[c][node])) if node in node_columns[c]
                                    else "" for c in columns]) for node in graph.nodes()]
    nodes.write_text(",".join(["id", *columns]) + "\n" + "\n".join(rows) + "\n")
    return {"graph": str(edges), "nodes": str(nodes)}


# --- facts: the comparison, and a few extra measures per run ----------------------------


def _detail_run(arm: int, replicate_index: int, spec: Scenario, seed: int) -> dict:
    """Measures `compare` does not keep: state curves, hybrid credibility, sceptics."""
    result = run(spec, seed=seed)
    series, population = result.timeseries, result.model.population
    clinicians = len(population)
    hybrid = population.channel == CHANNELS.index("hybrid")
    sceptic = population.trust < SCEPTIC_TRUST
    return {
        "arm": arm, "replicate": replicate_index,
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
    rows = parallel_map(_detail_run, *zip(*jobs), workers=workers if len(jobs) > 1 else 1)
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


def weeks_to_peak_fraction(enrolled: np.ndarray, fraction: float) -> np.ndarray:
    """First week each run's enrolled share reaches `fraction` of its own peak.

    `enrolled` is (arms, replications, weeks); the result is (arms, replications).

    Examples:
        >>> weeks_to_peak_fraction(np.array([[[0.0, 0.1, 0.3, 0.4, 0.2]]]), 0.5)
        array([[2.]])
    """
    peak = enrolled.max(axis=2, keepdims=True)
    return (enrolled >= fraction * peak - 1e-12).argmax(axis=2).astype(float)


def weeks_to_half_reached(open_counts: np.ndarray) -> np.ndarray:
    """First week by which the campaign has moved half of its year's clinicians out of the
    open states (unaware, aware): pattern P3's "weeks to half of the final enrolment".

    The speed measure every arm has (the calibrated baseline's enrolled share never
    reaches 50 % of the clinicians, and erosion keeps it nearly flat after the launch).
    Leaving the open states is enrolling unless a mandate's backlash disengages the
    unenrolled or the disengaged recover, which no arm that reports this measure has.
    `open_counts` is (arms, replications, weeks); the result is (arms, replications).

    Examples:
        >>> weeks_to_half_reached(np.array([[[100, 90, 80, 70, 60]]]))
        array([[2.]])
    """
    reached = open_counts[:, :, :1] - open_counts
    return (reached >= 0.5 * reached[:, :, -1:] - 1e-9).argmax(axis=2).astype(float)


def per_run(comparison: Comparison, key: str) -> np.ndarray:
    """An outcome of `comparison.runs` as an (arms, replications) array."""
    table = comparison.runs.pivot(index="scenario_index", columns="replicate", values=key)
    return table.sort_index().sort_index(axis=1).to_numpy(dtype=float)


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


@dataclass(frozen=True)
class Fact:
    """One stylised fact: the memo's claim, the arms it runs and how it is judged."""

    number: int
    title: str
    claim: str               # paper_memo.md (d), quoted
    source: str
    arms: tuple[str, ...]
    analyse: Callable[[Study], Section]
    detail_arms: tuple[str, ...] = ()


def curve_band(axis, weeks, curves, colour, label, linestyle="-"):
    """The mean curve over replications with its 95 % CI as a band."""
    mean = np.nanmean(curves, axis=0)
    axis.plot(weeks, mean, color=colour, linestyle=linestyle, linewidth=1.8, label=label)
    if curves.shape[0] > 1:
        bands = np.array([mean_ci(curves[:, w])[1:] for w in range(curves.shape[1])])
        axis.fill_between(weeks, bands[:, 0], bands[:, 1], color=colour, alpha=0.18, linewidth=0)


def weeks_below(curve: np.ndarray, level: float, after: int) -> int | None:
    """First week after `after` at which `curve` is below `level` (None if never)."""
    below = np.flatnonzero(curve[after:] < level)
    return int(below[0] + after) if len(below) else None
