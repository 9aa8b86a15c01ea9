"""Tiny worlds for the mechanism tests (test_mechanisms*.py): two to ten clinicians, run
through the real model, with the weekly draws chosen by the test.

The weekly uniform stream is replaced by `Draws`, which hands each clinician the u the
test names. Every transition is "u below a probability", so a draw just below and one
just above the probability worked out by hand pins that probability to within 1e-4.
Staff graphs are generated (one department, no ties or all ties) or written as tiny
GraphML files.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from campaignsim.model import CampaignModel
from campaignsim.scenario import CHANNELS, validate_scenario

NO = 0.9999  # a draw above every probability a test sets up: nothing happens by chance


class Draws:
    """Stands in for the model's weekly uniform stream: week k hands out weeks[k − 1],
    a {node: u} dict (every other clinician gets NO)."""

    def __init__(self, model: CampaignModel, *weeks: dict):
        self.row = {node: i for i, node in enumerate(model.population.nodes)}
        self.weeks = list(weeks)

    def random(self, n: int) -> np.ndarray:
        draws = np.full(n, NO)
        for node, u in (self.weeks.pop(0) if self.weeks else {}).items():
            draws[self.row[node]] = u
        return draws


@pytest.fixture(params=["vectorised", "agents"])
def engine(request):
    return request.param


def generated(tables: dict, n: int = 3, ties: float = 0.0, hybrids: int = 0, managers: int = 1,
              trust: float = 0.5, engine: str = "vectorised", weeks: int = 10, **staff):
    """A model of one generated department of n clinicians (nodes 0 … n − 1)."""
    data = {"weeks": weeks, "engine": engine, "clinicians": {"trust_in_management": trust},
            "staff": {"departments": 1, "clinicians_per_department": n,
                      "hybrids_per_department": hybrids, "managers": managers,
                      "within_department_density": ties, "between_department_density": 0.0,
                      **staff}, **tables}
    return CampaignModel(validate_scenario(data))


def from_graph(tmp_path, tables: dict, edges, nodes: dict, engine: str = "vectorised",
               weeks: int = 10, **staff):
    """A model of a hand-drawn staff graph; `nodes` maps id -> attributes (role,
    department, threshold, trust_in_management)."""
    graph = nx.Graph()
    for node, attributes in nodes.items():
        graph.add_node(node, **{"role": "clinician", "department": 0, **attributes})
    graph.add_edges_from(edges)
    path = tmp_path / "staff.graphml"
    nx.write_graphml(graph, path)
    return CampaignModel(validate_scenario({"weeks": weeks, "engine": engine,
                                            "staff": {"graph": str(path), **staff}, **tables}))


def run(model: CampaignModel, *weeks: dict) -> CampaignModel:
    """Step the model once per week of draws given."""
    model.weekly_draws = Draws(model, *weeks)
    for _ in weeks:
        model.step()
    return model


def state(model, node) -> int:
    return int(model.population.state[model.population.nodes.index(node)])


def channel(model, node) -> str | None:
    code = model.population.channel[model.population.nodes.index(node)]
    return CHANNELS[code] if code >= 0 else None


def value(model, array: str, node) -> float:
    return float(getattr(model.population, array)[model.population.nodes.index(node)])


#: a hybrid who approaches everyone in a small department
HYBRID = {"capacity": 10, "alignment": 0.5, "credibility": 0.8, "adapted_resonance": 0.9}
