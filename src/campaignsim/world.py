"""The staff world: the clinicians' fixed structure as arrays, and the graph on request.

A world depends only on the scenario's `[staff]` table and the seed: the clinicians (graph
node ids, in graph order), their departments and professions as integer codes, the sparse
adjacency between them, the hybrids and managers, and any attributes a graph file gives.
A generated staff goes straight from the seed's graph stream into these arrays; a loaded
graph file is converted to them once. The networkx graph is a view built on first access
of `world.graph` (for GraphML export, the teaching page, a user's analysis), never in a run
that does not ask for it. What the `[staff]` table alone fixes (codes, names, members,
hybrids, managers) is computed once per table and shared (`generator.Layout`). Every model of that staff and seed has the same world, so a
sweep builds it once per replicate and hands it to every design point
(`CampaignModel(scenario, seed, world=...)`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .generator import GeneratedStaff, Layout
from .scenario import PROFESSIONS, Staff
from .staff import NODE_ATTRIBUTES, load_staff_graph

#: What a world remembers for its models (`StaffWorld.remembered`): a few entries, as the
#: design points of a sweep ask for the same handful (two attribute draws, two rankings).
REMEMBERED_KEPT = 8

#: Streams derived from the seed (see CampaignModel): the graph, clinician attributes,
#: the weekly draws.
STREAM_GRAPH, STREAM_ATTRIBUTES, STREAM_WEEKLY = 1, 2, 3
CLINICIAN_ROLES = ("clinician", "champion")


@dataclass(frozen=True, eq=False)
class StaffWorld:
    """A staff's clinician structure (shared, never changed by a model)."""

    staff: Staff
    seed: int
    nodes: Sequence                   # clinician node ids, in graph order (a range if generated)
    department: np.ndarray            # int codes into department_names
    department_names: list
    profession: np.ndarray            # int codes into profession_names
    profession_names: list
    champion: np.ndarray              # the champion role as the graph gives it
    adjacency: sp.csr_matrix          # clinician–clinician ties, symmetric 0/1, sorted rows
    department_members: list          # clinician indices of each department
    given: dict                       # attribute -> (indices, values) given by a graph file
    hybrid_nodes: list                # node ids of the hybrids, in graph order
    hybrid_department: np.ndarray     # their department codes (−1: no clinicians there)
    manager_nodes: list               # node ids of the managers, in graph order
    source: GeneratedStaff | nx.Graph = field(repr=False)  # what `graph` is built from
    # what models of this world computed alike (`remembered`); each world its own
    _remembered: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)

    @classmethod
    def build(cls, staff: Staff, seed: int) -> "StaffWorld":
        """Generate (with the seed's graph stream) or load the staff, and index it."""
        if staff.graph:
            return cls.of_graph(staff, seed, load_staff_graph(staff.graph, staff.nodes))
        generated = GeneratedStaff.generate(staff, np.random.default_rng([seed, STREAM_GRAPH]))
        n = generated.clinicians
        return cls(
            staff=staff, seed=seed, nodes=range(n), champion=np.zeros(n, dtype=bool),
            adjacency=_adjacency(generated.ties[:, 0], generated.ties[:, 1], n),
            given={name: _NO_ATTRIBUTES for name in NODE_ATTRIBUTES},
            **_coded(generated, Layout.of(staff)),
            # the ties live on in the adjacency only
            source=replace(generated, ties=np.empty((0, 2), dtype=np.int64)),
        )

    @classmethod
    def of_graph(cls, staff: Staff, seed: int, graph: nx.Graph) -> "StaffWorld":
        """Index a loaded staff graph (once: a model reads the arrays, not the graph)."""
        roles = dict(graph.nodes(data="role"))
        nodes = [n for n, r in roles.items() if r in CLINICIAN_ROLES]
        department_names = sorted({graph.nodes[n]["department"] for n in nodes}, key=str)
        department_code = {d: i for i, d in enumerate(department_names)}
        profession_names = sorted({str(graph.nodes[n]["profession"]) for n in nodes})
        profession_code = {p: i for i, p in enumerate(profession_names)}
        department = np.array([department_code[graph.nodes[v]["department"]] for v in nodes],
                              dtype=np.int64)
        given = {}
        for name in NODE_ATTRIBUTES:
            values = nx.get_node_attributes(graph, name)
            index = [i for i, node in enumerate(nodes) if node in values]
            given[name] = (np.array(index, dtype=np.int64),
                           np.array([values[nodes[i]] for i in index], dtype=float))
        hybrids = [n for n, r in roles.items() if r == "hybrid"]
        if nodes:
            pairs = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=None, format="coo")
            rows, cols = pairs.row, pairs.col
        else:  # no clinicians: the model's staff check says so
            rows = cols = np.empty(0, dtype=np.int64)
        return cls(
            staff=staff, seed=seed, nodes=nodes,
            department=department, department_names=department_names,
            profession=np.array([profession_code[str(graph.nodes[v]["profession"])]
                                 for v in nodes], dtype=np.int64),
            profession_names=profession_names,
            champion=np.array([roles[v] == "champion" for v in nodes], dtype=bool),
            adjacency=_adjacency(rows, cols, len(nodes)),
            department_members=_members(department, len(department_names)),
            given=given, hybrid_nodes=hybrids,
            hybrid_department=np.array([department_code.get(graph.nodes[h]["department"], -1)
                                        for h in hybrids], dtype=np.int64),
            manager_nodes=[n for n, r in roles.items() if r == "manager"],
            source=graph,
        )

    def remembered(self, key: tuple, make: Callable[[], object]):
        """`make()`, computed once for this world and `key` (the last REMEMBERED_KEPT keys
        kept). A model's set-up draws its clinicians' attributes and rankings from its
        seed, which is the world's: a sweep's design points, which share their
        replicate's world, draw the same ones, so the first point's are kept for the rest.
        `key` must name everything `make` reads besides the world; what it returns is
        shared, so callers copy what they may change."""
        value = self._remembered.get(key)
        if value is None:
            value = self._remembered[key] = make()
            while len(self._remembered) > REMEMBERED_KEPT:
                self._remembered.popitem(last=False)
        self._remembered.move_to_end(key)
        return value

    @cached_property
    def graph(self) -> nx.Graph:
        """The staff graph (networkx), node attributes role/department/profession; built
        on first access for a generated staff."""
        if isinstance(self.source, nx.Graph):
            return self.source
        upper = sp.triu(self.adjacency, format="coo")
        return self.source.to_graph(np.column_stack([upper.row, upper.col]))

    def graph_to_relabel(self) -> nx.Graph:
        """A graph whose node attributes a model may change (roles of chosen champions),
        sharing the ties of the world's graph."""
        fork = nx.Graph()
        fork.graph.update(self.graph.graph)
        fork.add_nodes_from((node, dict(data)) for node, data in self.graph.nodes(data=True))
        fork._adj = self.graph._adj  # ties are shared and never changed by a model
        return fork


_NO_ATTRIBUTES = (np.empty(0, dtype=np.int64), np.empty(0))


def _coded(generated: GeneratedStaff, layout: Layout) -> dict:
    """A generated staff's departments and professions as codes, its departments' members,
    hybrids and managers: fixed by its `[staff]` table, so computed once per table and kept
    with the table's layout."""
    if "world" in layout.derived:
        return layout.derived["world"]
    # Codes sort the names as text, as for a loaded graph (0, 1, 10, 11, 2, ...).
    department_names = sorted(np.unique(generated.department).tolist(), key=str)
    department_code = np.full(generated.departments, -1, dtype=np.int64)
    department_code[department_names] = np.arange(len(department_names))
    present = [PROFESSIONS[p] for p in np.unique(generated.profession)]
    profession_names = sorted(present)
    profession_code = np.array([profession_names.index(p) if p in present else -1
                                for p in PROFESSIONS], dtype=np.int64)
    department = department_code[generated.department]
    n = generated.clinicians
    coded = layout.derived["world"] = dict(
        department=department, department_names=department_names,
        profession=profession_code[generated.profession], profession_names=profession_names,
        department_members=_members(department, len(department_names)),
        hybrid_nodes=list(range(n, n + len(generated.hybrid_departments()))),
        hybrid_department=department_code[generated.hybrid_departments()],
        manager_nodes=generated.manager_ids().tolist())
    return coded


def _members(department: np.ndarray, departments: int) -> list:
    """Clinician indices of each department, ascending (one stable sort, not a scan per
    department: a thousand departments of a million staff)."""
    order = np.argsort(department, kind="stable")
    return np.split(order, np.cumsum(np.bincount(department, minlength=departments))[:-1])


def _adjacency(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    adjacency = sp.coo_matrix((np.ones(2 * len(rows)), (np.r_[rows, cols], np.r_[cols, rows])),
                              shape=(n, n)).tocsr()
    adjacency.sort_indices()  # one canonical order of each clinician's ties
    adjacency.data[:] = 1.0  # a tie listed twice is still one tie
    return adjacency
