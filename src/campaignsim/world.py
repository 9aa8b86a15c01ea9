"""The staff world: a staff graph and the clinicians' fixed structure derived from it.

A world depends only on the scenario's `[staff]` table and the seed: the graph (built
with the seed's graph stream, or loaded), the clinicians in graph order, their
departments and professions, the sparse adjacency between them, and any attributes a
graph file gives. Every model of that staff and seed has the same world, so a sweep
builds it once per replicate and hands it to every design point
(`CampaignModel(scenario, seed, world=...)`) — building a 10,000-staff hospital costs
several times running it for a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .scenario import Staff
from .staff import NODE_ATTRIBUTES, build_staff_graph

#: Streams derived from the seed (see CampaignModel): the graph, clinician attributes,
#: the weekly draws.
STREAM_GRAPH, STREAM_ATTRIBUTES, STREAM_WEEKLY = 1, 2, 3
CLINICIAN_ROLES = ("clinician", "champion")


@dataclass(frozen=True)
class StaffWorld:
    """A staff graph and its clinician structure (shared, never changed by a model)."""

    staff: Staff
    seed: int
    graph: nx.Graph
    nodes: list                       # clinician node ids, in graph order
    department: np.ndarray            # int codes into department_names
    department_names: list
    profession: np.ndarray            # int codes into profession_names
    profession_names: list
    champion: np.ndarray              # the champion role as the graph gives it
    adjacency: sp.csr_matrix          # clinician–clinician ties, symmetric 0/1, sorted rows
    department_members: list          # clinician indices of each department
    given: dict                       # attribute -> (indices, values) given by a graph file

    @classmethod
    def build(cls, staff: Staff, seed: int) -> "StaffWorld":
        """Generate (with the seed's graph stream) or load the staff graph, and index it."""
        graph = build_staff_graph(staff, np.random.default_rng([seed, STREAM_GRAPH]))
        nodes = [n for n, r in graph.nodes(data="role") if r in CLINICIAN_ROLES]
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
        return cls(
            staff=staff, seed=seed, graph=graph, nodes=nodes,
            department=department, department_names=department_names,
            profession=np.array([profession_code[str(graph.nodes[v]["profession"])]
                                 for v in nodes], dtype=np.int64),
            profession_names=profession_names,
            champion=np.array([graph.nodes[v]["role"] == "champion" for v in nodes], dtype=bool),
            adjacency=_clinician_adjacency(graph, nodes),
            department_members=[np.flatnonzero(department == d)
                                for d in range(len(department_names))],
            given=given,
        )

    def graph_to_relabel(self) -> nx.Graph:
        """A graph whose node attributes a model may change (roles of chosen champions),
        sharing the ties of the world's graph."""
        fork = nx.Graph()
        fork.graph.update(self.graph.graph)
        fork.add_nodes_from((node, dict(data)) for node, data in self.graph.nodes(data=True))
        fork._adj = self.graph._adj  # ties are shared and never changed by a model
        return fork


def _clinician_adjacency(graph: nx.Graph, nodes: list) -> sp.csr_matrix:
    n = len(nodes)
    ties = graph.graph.pop("_clinician_ties", None)  # left by the generator: no edge loop
    if ties is not None and nodes == list(range(n)):
        rows, cols = ties[:, 0], ties[:, 1]
    elif n == 0:  # no clinicians: the model says so (networkx refuses an empty node list)
        rows = cols = np.empty(0, dtype=np.int64)
    else:
        pairs = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=None, format="coo")
        rows, cols = pairs.row, pairs.col
    adjacency = sp.coo_matrix((np.ones(2 * len(rows)), (np.r_[rows, cols], np.r_[cols, rows])),
                              shape=(n, n)).tocsr()
    adjacency.sort_indices()  # one canonical order of each clinician's ties
    adjacency.data[:] = 1.0  # a tie listed twice is still one tie
    return adjacency
