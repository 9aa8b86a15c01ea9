"""Validation 3: limits of the model where the answer is exact.

Nothing on; broadcast alone (geometric times); a small threshold from one seed (a front
moving one tie a week); threshold 0; an independent cascade with q = 1 on a tree; erosion
alone. Exact counts where the answer is exact, a Dvoretzky–Kiefer–Wolfowitz tolerance
where it is a distribution.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from ..runner import RunResult, run
from .runs import Check, scenario, write_graph_csv
from .tables import max_abs

#: Confidence level of the distribution-free (DKW) tolerances of the exact limits.
DKW_ALPHA = 1e-3


def dkw_tolerance(clinicians: int, alpha: float = DKW_ALPHA) -> float:
    """Distribution-free bound on an empirical CDF: P(sup |F_N − F| > ε) ≤ 2e^{−2Nε²} = α."""
    return float(np.sqrt(np.log(2 / alpha) / (2 * clinicians)))


def _clinicians(count: int, managers: int = 0) -> dict:
    """`[staff]` with `count` clinicians in one department, few ties, no hybrids."""
    return {"departments": 1, "clinicians_per_department": count,
            "within_department_density": min(1.0, 4 / count), "hybrids_per_department": 0,
            "managers": managers}


def limit_nothing_on(clinicians: int = 2000, weeks: int = 52, seed: int = 0) -> tuple[Check, dict]:
    """No mechanism on: nobody enrols, nobody even hears of the campaign."""
    result = run(scenario("nothing_on", weeks, _clinicians(clinicians, managers=2)), seed=seed)
    series = result.timeseries
    deviation = float(max(series["enrolled_share"].abs().max(),
                          (1 - series["unaware"] / clinicians).abs().max()))
    return Check("Limit: nothing on", "nobody enrols", deviation, 0.0), {}


def limit_broadcast(p: float = 0.05, clinicians: int = 10_000, weeks: int = 52,
                    seed: int = 0) -> tuple[Check, dict]:
    """Broadcast alone at p with full trust: each clinician enrols at a geometric time."""
    spec = scenario("broadcast_alone", weeks, _clinicians(clinicians, managers=1),
                    clinicians={"trust_in_management": 1.0}, broadcast={"intensity": p})
    model = run(spec, seed=seed).timeseries["enrolled_share"].to_numpy()
    theory = 1 - (1 - p) ** np.arange(weeks + 1)
    check = Check("Limit: broadcast alone", "1 − (1 − p)^t", max_abs(model - theory),
                  dkw_tolerance(clinicians), f"p = {p}, N = {clinicians}; DKW bound, α = {DKW_ALPHA}")
    return check, {"model": model, "theory": theory}


def limit_erosion(rate: float = 0.1, peer_ownership: float | None = None,
                  clinicians: int = 10_000, weeks: int = 52, seed: int = 0) -> tuple[Check, dict]:
    """Everyone seeded, erosion alone: survival (1 − rate·(1 − ownership))^t.

    Seeds get [peer] ownership, or 0.6 without a [peer] table; the weekly erosion hazard is
    rate·(1 − ownership)·(1 + fatigue), fatigue 0. A [peer] table changes nothing else here:
    every clinician is enrolled or disengaged, so nobody is open to peers.
    """
    tables = {"erosion": {"rate": rate}, "seeding": {"share": 1.0}}
    ownership = 0.6
    if peer_ownership is not None:
        tables["peer"] = {"rule": "threshold", "ownership": peer_ownership}
        ownership = peer_ownership
    spec = scenario("erosion_alone", weeks, _clinicians(clinicians), **tables)
    series = run(spec, seed=seed).timeseries
    model = series["enrolled_share"].to_numpy()
    hazard = rate * (1 - ownership)
    theory = (1 - hazard) ** np.arange(weeks + 1)
    check = Check(f"Limit: erosion alone (ownership {ownership:g})", "(1 − ε(1 − o))^t",
                  max_abs(model - theory), dkw_tolerance(clinicians),
                  f"weekly hazard {hazard:g}; DKW bound, α = {DKW_ALPHA}")
    return check, {"model": model, "theory": theory,
                   "disengaged": series["disengaged"].to_numpy() / clinicians}


def _enrolment_weeks(result: RunResult) -> dict:
    """Week of enrolment of every clinician (node id → week; −1 if never)."""
    population = result.model.population
    return dict(zip(population.nodes, population.enrolled_week.tolist()))


def limit_threshold_front(directory: str | Path, clinicians: int = 400,
                          seed: int = 1) -> tuple[Check, dict]:
    """Threshold 1/max degree (> 0, one enrolled neighbour suffices), one seed, connected graph.

    Theory: clinician i enrols in week d(seed, i), so everyone by the seed's eccentricity.
    """
    graph = nx.connected_watts_strogatz_graph(clinicians, 4, 0.05, seed=seed)
    threshold = 1 / max(d for _, d in graph.degree())
    staff = write_graph_csv(graph, directory, "front")
    distance = nx.single_source_shortest_path_length(graph, 0)
    eccentricity = max(distance.values())
    spec = scenario("threshold_front", eccentricity + 5, staff, seeding={"nodes": [0]},
                    peer={"rule": "threshold", "threshold": threshold})
    weeks = _enrolment_weeks(run(spec, seed=seed))
    deviation = max(abs(weeks[node] - distance[node]) for node in graph)
    last = max(weeks.values())
    check = Check("Limit: small threshold, one seed", "enrols at week = distance from seed",
                  float(deviation), 0.0, f"eccentricity {eccentricity}, last enrolment week {last}")
    return check, {"distance": distance, "weeks": weeks, "eccentricity": eccentricity}


def limit_zero_threshold(directory: str | Path, clinicians: int = 400, isolated: int = 20,
                         seed: int = 2) -> tuple[Check, dict]:
    """Threshold 0: week 1 enrols everyone with a neighbour (0 ≥ 0); the isolated never."""
    graph = nx.gnm_random_graph(clinicians, clinicians, seed=seed)
    graph.add_nodes_from(range(clinicians, clinicians + isolated))
    staff = write_graph_csv(graph, directory, "zero")
    spec = scenario("threshold_zero", 5, staff, peer={"rule": "threshold", "threshold": 0.0})
    weeks = _enrolment_weeks(run(spec, seed=seed))
    expected = {node: (1 if graph.degree(node) > 0 else -1) for node in graph}
    deviation = sum(weeks[node] != expected[node] for node in graph)
    with_ties = sum(1 for node in graph if graph.degree(node) > 0)
    return Check("Limit: threshold 0", "week 1 for all with a neighbour, never without",
                 float(deviation), 0.0, f"{with_ties} with ties, {len(graph) - with_ties} without "
                 "(deviation = clinicians off)"), {}


def limit_cascade_tree(directory: str | Path, branching: int = 3, height: int = 5,
                       seed: int = 0) -> tuple[Check, dict]:
    """Independent cascade with q = 1 from the root of a tree: enrolled at week = depth.

    A separate path, not connected to the tree, is unreachable and must stay unenrolled.
    """
    graph = nx.balanced_tree(branching, height)
    size = graph.number_of_nodes()
    nx.add_path(graph, range(size, size + 10))
    depth = nx.single_source_shortest_path_length(graph, 0)
    staff = write_graph_csv(graph, directory, "tree")
    spec = scenario("cascade_tree", height + 3, staff, seeding={"nodes": [0]},
                    peer={"rule": "cascade", "q": 1.0})
    weeks = _enrolment_weeks(run(spec, seed=seed))
    deviation = max(abs(weeks[node] - depth.get(node, -1)) for node in graph)
    return Check("Limit: cascade q = 1 on a tree", "enrols at week = depth; unreachable never",
                 float(deviation), 0.0, f"{size} reachable, 10 unreachable"), {
        "distance": depth, "weeks": weeks}
