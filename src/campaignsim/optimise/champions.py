"""Choosing champions: centralities, the heuristics a QI lead would use, and greedy
selection (plain and CELF) over any set function.

`celf` and `plain_greedy` take `value(sets) -> list[float]`, the objective of many sets at
once (so one call can run them together), and return the same choice when the objective
is submodular; CELF (Leskovec et al. 2007) re-evaluates a candidate only when its stale
marginal gain, an upper bound under submodularity, still tops the queue. Ties go to the
candidate listed first, in both, so the two agree exactly on a submodular objective.

The heuristics give an order of clinicians (the first k are the choice for k):
random; highest degree; highest betweenness; highest diffusion centrality (Banerjee et
al. 2013: DC = Σ_{t=1..T} (qA)^t 1 with q = 1/λ₁ and T = 3); and the hybrids' own picks.
A generated hospital has no formal champion roles, so "hybrids' picks" means what its
hybrid leaders would do: each department's hybrids, in turn (largest department first),
name the clinician of their department with the most ties inside it — local, formal-role
knowledge of who is influential, spread evenly over departments. Where a graph file gives
formal champions, they come first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

#: Diffusion centrality's number of periods (Banerjee et al. 2013 use a few).
DIFFUSION_PERIODS = 3
#: Sources sampled for betweenness on large staffs (as the model's own rule does).
BETWEENNESS_SAMPLE = 200


def degree(adjacency: sp.csr_matrix) -> np.ndarray:
    return np.asarray(adjacency.sum(axis=1)).ravel()


def diffusion_centrality(adjacency: sp.csr_matrix, periods: int = DIFFUSION_PERIODS,
                         q: float | None = None) -> np.ndarray:
    """Banerjee et al.'s diffusion centrality Σ_{t=1..T} (qA)^t 1 (q = 1/λ₁ by default).

    Examples:
        >>> star = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], float))
        >>> diffusion_centrality(star, periods=1, q=1.0).tolist()
        [2.0, 1.0, 1.0]
    """
    if q is None:
        if adjacency.shape[0] < 3 or adjacency.nnz == 0:
            q = 1.0
        else:
            largest = float(eigsh(adjacency.astype(float), k=1, which="LA",
                                  return_eigenvectors=False)[0])
            q = 1.0 / largest if largest > 0 else 1.0
    walk = np.ones(adjacency.shape[0])
    total = np.zeros(adjacency.shape[0])
    for _ in range(periods):
        walk = q * (adjacency @ walk)
        total += walk
    return total


def betweenness(adjacency: sp.csr_matrix, seed: int) -> np.ndarray:
    n = adjacency.shape[0]
    sample = min(n, BETWEENNESS_SAMPLE)
    centrality = nx.betweenness_centrality(nx.from_scipy_sparse_array(adjacency),
                                           k=sample if sample < n else None, seed=seed)
    return np.array([centrality[i] for i in range(n)])


def ranked(score: np.ndarray) -> list[int]:
    """Indices by score, highest first, ties by index (a stable order)."""
    return np.lexsort((np.arange(len(score)), -score)).tolist()


def hybrids_picks(world) -> list[int]:
    """The hybrids' own picks (module docstring): formal champions first, then each
    department's most connected clinician inside it, departments taking turns."""
    adjacency, department = world.adjacency, world.department
    same = adjacency.multiply(department[:, None] == department[None, :]).tocsr()
    inside = degree(same)
    queues = [sorted(members.tolist(), key=lambda i: (-inside[i], i))
              for members in world.department_members]
    queues.sort(key=lambda q: -len(q))   # a stable sort: larger departments first
    order = [int(i) for i in np.flatnonzero(world.champion)]
    taken = set(order)
    while any(queues):
        for queue in queues:
            while queue and queue[0] in taken:
                queue.pop(0)
            if queue:
                taken.add(queue[0])
                order.append(queue.pop(0))
    return order


def heuristic_orders(world, seed: int, random_seed: int) -> dict[str, list[int]]:
    """Each heuristic's order of all clinicians (clinician indices)."""
    adjacency = world.adjacency
    return {
        "random": np.random.default_rng(random_seed).permutation(adjacency.shape[0]).tolist(),
        "degree": ranked(degree(adjacency)),
        "betweenness": ranked(betweenness(adjacency, seed)),
        "diffusion": ranked(diffusion_centrality(adjacency)),
        "hybrids": hybrids_picks(world),
    }


def prescreen(world, rule: str, count: int) -> list[int]:
    """The `count` clinicians the greedy search chooses among: highest by a cheap centrality."""
    score = degree(world.adjacency) if rule == "degree" else diffusion_centrality(world.adjacency)
    return ranked(score)[:count]


@dataclass
class Greedy:
    """A greedy choice: the chosen candidates in order, the objective after each, and the
    set evaluations it took (the empty set's included); with a budget, which rule chose
    (`rule`: "gain" or "gain per cost")."""

    chosen: list
    values: list[float]
    evaluations: int
    rule: str = "gain"

    @property
    def final(self) -> float:
        return self.values[-1] if self.values else -np.inf


def _priority(gain: float, cost: float, per_cost: bool) -> float:
    """What greedy ranks by: the marginal gain, or the gain per unit of cost (a free
    clinician with a positive gain comes first)."""
    if not per_cost:
        return gain
    return gain / cost if cost > 0 else np.copysign(np.inf, gain) if gain else 0.0


def plain_greedy(value, candidates: list, k: int, cost=None, budget: float = np.inf,
                 per_cost: bool = False) -> Greedy:
    """Add, k times (or while a candidate fits the budget), the candidate of largest
    marginal gain (or gain per cost), re-evaluating every remaining candidate each round
    (Kempe, Kleinberg & Tardos 2003). `cost(c)` prices a candidate (default 1 each)."""
    cost = cost or (lambda c: 1.0)
    base = value([()])[0]
    chosen: list = []
    values: list[float] = []
    evaluations, current, spent = 1, base, 0.0
    while len(chosen) < k:
        remaining = [c for c in candidates if c not in chosen and spent + cost(c) <= budget]
        if not remaining:
            break
        results = value([tuple(chosen) + (c,) for c in remaining])
        evaluations += len(remaining)
        keys = [_priority(float(r) - current, cost(c), per_cost)
                for c, r in zip(remaining, results)]
        best = int(np.argmax(keys))   # the first of equal best: candidates' order
        chosen.append(remaining[best])
        spent += cost(remaining[best])
        current = float(results[best])
        values.append(current)
    return Greedy(chosen, values, evaluations, "gain per cost" if per_cost else "gain")


def celf(value, candidates: list, k: int, cost=None, budget: float = np.inf,
         per_cost: bool = False) -> Greedy:
    """Lazy greedy (CELF): the queue holds each candidate's last marginal gain (or gain per
    cost) and the round it was computed in; the top is chosen when its gain is of this
    round, else re-evaluated; a candidate that no longer fits the budget is dropped (the
    budget left only shrinks). Same choice as `plain_greedy` on a submodular objective."""
    cost = cost or (lambda c: 1.0)
    base = value([()])[0]
    first = value([(c,) for c in candidates])
    evaluations = 1 + len(candidates)
    queue = [(-_priority(float(v) - base, cost(c), per_cost), position, 0, float(v))
             for position, (c, v) in enumerate(zip(candidates, first))]
    heapq.heapify(queue)
    chosen: list = []
    values: list[float] = []
    current, spent = base, 0.0
    while queue and len(chosen) < k:
        key, position, computed, reached = heapq.heappop(queue)
        candidate = candidates[position]
        if spent + cost(candidate) > budget:
            continue
        if computed == len(chosen):
            chosen.append(candidate)
            spent += cost(candidate)
            current = reached
            values.append(current)
            continue
        result = float(value([tuple(chosen) + (candidate,)])[0])
        evaluations += 1
        heapq.heappush(queue, (-_priority(result - current, cost(candidate), per_cost),
                               position, len(chosen), result))
    return Greedy(chosen, values, evaluations, "gain per cost" if per_cost else "gain")


def budgeted(choose, value, candidates: list, cost, budget: float, k: int) -> Greedy:
    """Up to k champions within a budget (Leskovec et al. 2007, CELF for non-uniform
    costs): run `choose` (celf or plain_greedy) by gain and by gain per cost, never over the
    budget,
    and keep the better final objective (gain's on a tie). Gain per cost alone can be
    arbitrarily bad, gain alone too; the better of the two is within (1 − 1/e)/2 of the
    best affordable set when the objective is monotone and submodular. Evaluations are
    both runs'."""
    by_gain = choose(value, candidates, k, cost, budget, per_cost=False)
    by_ratio = choose(value, candidates, k, cost, budget, per_cost=True)
    best = by_ratio if by_ratio.final > by_gain.final else by_gain
    return Greedy(best.chosen, best.values, by_gain.evaluations + by_ratio.evaluations,
                  best.rule)


def within_budget(order: list, cost, budget: float, k: int) -> list:
    """A heuristic under the same budget: walk its order, appointing each clinician who
    still fits what is left, up to k."""
    chosen, spent = [], 0.0
    for clinician in order:
        if len(chosen) < k and spent + cost(clinician) <= budget:
            chosen.append(clinician)
            spent += cost(clinician)
    return chosen


def submodularity_violations(value, candidates: list, samples: int, rng: np.random.Generator,
                             tolerance: float = 0.0) -> dict:
    """Sample sets A ⊂ B of candidates and an element x outside B, and count the violations
    of diminishing returns, f(A ∪ x) − f(A) < f(B ∪ x) − f(B) − tolerance. All the sets of
    the samples are evaluated in one call of `value`.

    Returns the share of violations and every sample's two gains."""
    triples = []
    for _ in range(samples):
        order = rng.permutation(len(candidates))
        size_b = int(rng.integers(1, len(candidates)))       # |B| ≥ 1 leaves x outside it
        size_a = int(rng.integers(0, size_b))                # A ⊊ B
        b = tuple(candidates[i] for i in sorted(order[:size_b]))
        a = tuple(candidates[i] for i in sorted(order[:size_a]))
        triples.append((a, b, candidates[order[size_b]]))
    sets = [s for a, b, x in triples for s in (a, a + (x,), b, b + (x,))]
    results = value(sets)
    gains = [(results[4 * i + 1] - results[4 * i], results[4 * i + 3] - results[4 * i + 2])
             for i in range(samples)]
    violations = sum(small < large - tolerance for small, large in gains)
    return {"samples": samples, "violations": violations, "share": violations / samples,
            "gains": gains}
