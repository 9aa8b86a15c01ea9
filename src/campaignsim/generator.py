"""The generated staff: clinicians by department and profession, their ties, the hierarchy.

A generated hospital is arrays, never a graph: each clinician's department and profession,
the clinician–clinician ties as an (m, 2) index array, and the hierarchy (hybrids and
managers) by its counts alone, its ties following from them. `to_graph` turns these into
a networkx graph only when someone asks for one (GraphML export, the teaching page).

Ties are independent Bernoulli draws per pair, with a probability set by the pair's
departments (same or not) and professions (same or not, homophily). Every class of pairs
with one probability — a profession pair within departments, or across them — is sampled
in one pass, with no Python work per pair of groups: a tie's position in the class's
enumeration of pairs is found by geometric skipping (the gap to the next tie of a
Bernoulli(p) sequence is Geometric(p)), so indices come out sorted, with no sampling
without replacement, and are decoded into clinician pairs in numpy. Cost: O(groups + ties).

Everything but the ties depends on the `[staff]` table alone (who is in which department
and profession, the classes' probabilities): `Layout.of` computes it once per table and
keeps the last few, so a loop over seeds draws only the ties.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .scenario import PROFESSIONS, Staff


def bernoulli_indices(total: int, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices in [0, total) each kept independently with `probability`.

    Geometric skipping: the gaps between kept indices are iid Geometric(p) (support 1, 2, …),
    drawn in chunks sized to reach `total` with high probability; exactly reproducible
    from the generator's state.
    """
    if total <= 0 or probability <= 0:
        return np.empty(0, dtype=np.int64)
    if probability >= 1:
        return np.arange(total, dtype=np.int64)
    chunks, last = [], -1
    while True:
        expected = (total - 1 - last) * probability
        gaps = rng.geometric(probability, size=int(expected + 5 * np.sqrt(expected) + 16))
        # a gap past the end ends the draw whatever its size; capped, the sum cannot overflow
        # (at a tiny probability numpy returns gaps of 2**63 - 1)
        index = last + np.cumsum(np.minimum(gaps, total + 1))
        if index[-1] >= total:
            index = index[: np.searchsorted(index, total)]
            return np.concatenate(chunks + [index]) if chunks else index
        chunks.append(index)
        last = int(index[-1])


def triangle_pairs(index: np.ndarray, n) -> tuple[np.ndarray, np.ndarray]:
    """Map indices of the upper triangle of an n × n matrix (row-major) to (row, column);
    `n` may be an array (one triangle per index)."""
    # Rows start at k(i) = i n − i (i + 1) / 2; invert in float then correct rounding.
    total = n * (n - 1) // 2
    remaining = total - 1 - index
    back = np.floor((np.sqrt(8 * remaining.astype(np.float64) + 1) - 1) / 2).astype(np.int64)
    back += ((back + 1) * (back + 2) // 2 <= remaining)
    back -= (back * (back + 1) // 2 > remaining)
    row = n - 2 - back
    start = row * n - row * (row + 1) // 2
    column = index - start + row + 1
    return row, column


def homophily_factors(shares: np.ndarray, homophily: float) -> tuple[float, float]:
    """Multipliers for same- and cross-profession tie probabilities that keep the mean.

    With same-profession pairs a share S = Σ s² of all pairs, a cross-profession tie is
    (1 − h) times as likely as a same-profession one, and both are scaled so that the
    expected number of ties is what the density alone gives (a modelling choice: silos
    rewire ties rather than remove them).
    """
    same = float(np.sum(shares ** 2))
    scale = 1.0 / (same + (1.0 - same) * (1.0 - homophily))
    return scale, scale * (1.0 - homophily)


def group_sizes(staff: Staff) -> tuple[np.ndarray, np.ndarray]:
    """Clinicians per (department, profession), shape (departments, professions), and the
    profession shares; largest-remainder rounding so each department's mix matches them."""
    sizes = staff.clinicians_per_department
    sizes = np.array(sizes if isinstance(sizes, list) else [sizes] * staff.departments,
                     dtype=np.int64)
    shares = np.array([getattr(staff.professions, p) for p in PROFESSIONS])
    exact = shares[None, :] * sizes[:, None]
    counts = np.floor(exact).astype(np.int64)
    # Each department's remaining seats go to its largest remainders (stable order).
    order = np.argsort(-(exact - counts), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(len(PROFESSIONS))[None, :], axis=1)
    counts += rank < (sizes - counts.sum(axis=1))[:, None]
    return counts, shares


def _within_departments(layout: Layout, p: int, q: int, probability: float,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ties (first ends, second ends) between professions p and q inside each department:
    one enumeration of all the departments' pairs, decoded block (department) by block."""
    offsets = layout.within_offsets[p, q]
    chosen = bernoulli_indices(int(offsets[-1]), probability, rng)
    department = np.searchsorted(offsets, chosen, side="right") - 1
    local = chosen - offsets[department]
    if p == q:
        rows, cols = triangle_pairs(local, layout.counts[department, p])
    else:
        rows, cols = np.divmod(local, layout.counts[department, q])
    return layout.starts[department, p] + rows, layout.starts[department, q] + cols


def _across_departments(layout: Layout, p: int, q: int, probability: float,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ties between professions p and q of different departments: pairs are drawn over all
    clinicians of p × all of q and the same-department ones dropped (the kept pairs are
    still independent Bernoulli draws; the wasted share is about 1 / departments)."""
    members, department = layout.members, layout.department
    if p == q:
        rows, cols = triangle_pairs(bernoulli_indices(
            len(members[p]) * (len(members[p]) - 1) // 2, probability, rng), len(members[p]))
    else:
        rows, cols = np.divmod(bernoulli_indices(len(members[p]) * len(members[q]),
                                                 probability, rng), len(members[q]))
    first, second = members[p][rows], members[q][cols]
    across = department[first] != department[second]
    return first[across], second[across]


#: The layouts of the tables used last (a loop over seeds, a sweep's few hospitals), of
#: hospitals up to LAYOUT_KEPT_CLINICIANS: a larger one's build is its ties', and its layout
#: (~50 bytes a clinician with the world's codes) is not worth keeping once its runs end.
_RECENT_LAYOUTS: OrderedDict = OrderedDict()
_RECENT_LAYOUTS_LOCK = threading.Lock()
RECENT_LAYOUTS_MAX = 8
LAYOUT_KEPT_CLINICIANS = 100_000


@dataclass(frozen=True, eq=False)
class Layout:
    """A generated staff without its ties: the clinicians by department and profession and
    what the ties are drawn over, fixed by the `[staff]` table alone. Shared by every staff
    generated from an equal table (its arrays are never changed)."""

    counts: np.ndarray          # clinicians per (department, profession)
    starts: np.ndarray          # first clinician of each (department, profession)
    department: np.ndarray      # each clinician's department, 0 … departments − 1
    profession: np.ndarray      # each clinician's profession, an index into PROFESSIONS
    members: list               # the clinicians of each profession, ascending
    within_offsets: dict        # (p, q) -> where each department's block of p–q pairs starts
    classes: list               # (p, q, within probability, between probability | None)
    derived: dict = field(default_factory=dict)  # what others derive from the table alone

    @classmethod
    def of(cls, staff: Staff) -> "Layout":
        """The layout of `staff`, computed once per table: the cache is keyed by the
        table's value (its JSON), so an equal table shares it and a changed one does not."""
        key = staff.model_dump_json()
        layout = _RECENT_LAYOUTS.get(key)
        if layout is None:
            layout = cls._compute(staff)
            if len(layout.department) <= LAYOUT_KEPT_CLINICIANS:
                with _RECENT_LAYOUTS_LOCK:  # a threaded executor builds worlds side by side
                    _RECENT_LAYOUTS[key] = layout
                    if len(_RECENT_LAYOUTS) > RECENT_LAYOUTS_MAX:
                        _RECENT_LAYOUTS.popitem(last=False)  # the one computed longest ago
        return layout

    @classmethod
    def _compute(cls, staff: Staff) -> "Layout":
        counts, shares = group_sizes(staff)
        n_professions = len(PROFESSIONS)
        starts = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(counts.shape)
        department = np.repeat(np.arange(staff.departments), counts.sum(axis=1))
        profession = np.tile(np.arange(n_professions), staff.departments)
        profession = np.repeat(profession, counts.ravel())
        same, cross = homophily_factors(shares, staff.profession_homophily)
        within_offsets, classes = {}, []
        for p in range(n_professions):
            for q in range(p, n_professions):
                size_p, size_q = counts[:, p], counts[:, q]
                block = size_p * (size_p - 1) // 2 if p == q else size_p * size_q
                within_offsets[p, q] = np.concatenate([[0], np.cumsum(block)])
                factor = same if p == q else cross
                classes.append((p, q, min(1.0, staff.within_department_density * factor),
                                min(1.0, staff.between_department_density * factor)
                                if staff.departments > 1 else None))
        return cls(counts=counts, starts=starts, department=department, profession=profession,
                   members=[np.flatnonzero(profession == p) for p in range(n_professions)],
                   within_offsets=within_offsets, classes=classes)


@dataclass(frozen=True)
class GeneratedStaff:
    """A generated hospital as arrays. Node ids: clinicians 0 … n − 1 (by department, then
    profession), then `hybrids_per_department` hybrids per department, then managers."""

    department: np.ndarray     # each clinician's department, 0 … departments − 1
    profession: np.ndarray     # each clinician's profession, an index into PROFESSIONS
    ties: np.ndarray           # (m, 2) clinician index pairs, each tie once
    departments: int
    hybrids_per_department: int
    managers: int

    @classmethod
    def generate(cls, staff: Staff, rng: np.random.Generator) -> "GeneratedStaff":
        layout = Layout.of(staff)
        ends = []  # (first ends, second ends) of each class, drawn in the stream's order
        for p, q, within, between in layout.classes:
            ends.append(_within_departments(layout, p, q, within, rng))
            if between is not None:
                ends.append(_across_departments(layout, p, q, between, rng))
        first, second = zip(*ends)
        return cls(department=layout.department, profession=layout.profession,
                   ties=np.column_stack([np.concatenate(first), np.concatenate(second)]),
                   departments=staff.departments,
                   hybrids_per_department=staff.hybrids_per_department, managers=staff.managers)

    @property
    def clinicians(self) -> int:
        return len(self.department)

    def hybrid_departments(self) -> np.ndarray:
        """The department of each hybrid, in node id order."""
        return np.repeat(np.arange(self.departments), self.hybrids_per_department)

    def manager_ids(self) -> np.ndarray:
        first = self.clinicians + self.departments * self.hybrids_per_department
        return np.arange(first, first + self.managers)

    def hierarchy_ties(self) -> np.ndarray:
        """(m, 2) node id pairs: each hybrid to every clinician of its department and to
        every manager; managers to each other."""
        n, hybrids = self.clinicians, self.hybrid_departments()
        hybrid_ids = n + np.arange(len(hybrids))
        sizes = np.bincount(self.department, minlength=self.departments)
        starts = np.cumsum(sizes) - sizes  # clinicians are sorted by department
        per_hybrid = sizes[hybrids]
        owner = np.repeat(np.arange(len(hybrids)), per_hybrid)
        offset = np.arange(per_hybrid.sum()) - np.repeat(np.cumsum(per_hybrid) - per_hybrid,
                                                          per_hybrid)
        managers = self.manager_ids()
        first, second = np.triu_indices(len(managers), k=1)
        return np.concatenate([
            np.column_stack([hybrid_ids[owner], starts[hybrids][owner] + offset]),
            np.column_stack([np.repeat(managers, len(hybrid_ids)),
                             np.tile(hybrid_ids, len(managers))]),
            np.column_stack([managers[first], managers[second]]),
        ]).astype(np.int64)

    def to_graph(self, ties: np.ndarray | None = None) -> nx.Graph:
        """The networkx graph (node attributes role, department, profession); `ties` replace
        the clinician ties (a world keeps them in its adjacency)."""
        ties = self.ties if ties is None else ties
        graph = nx.Graph()
        names = np.array(PROFESSIONS)[self.profession].tolist()
        graph.add_nodes_from(
            (i, {"role": "clinician", "department": d, "profession": p})
            for i, (d, p) in enumerate(zip(self.department.tolist(), names)))
        first = self.clinicians
        graph.add_nodes_from(
            (first + i, {"role": "hybrid", "department": d, "profession": "doctor"})
            for i, d in enumerate(self.hybrid_departments().tolist()))
        graph.add_nodes_from((m, {"role": "manager", "department": -1, "profession": "manager"})
                             for m in self.manager_ids().tolist())
        graph.add_edges_from(ties.tolist())
        graph.add_edges_from(self.hierarchy_ties().tolist())
        return graph
