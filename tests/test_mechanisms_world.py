"""Building a model (docs/model.md §5): a shared staff world stays unchanged, the checks
of the staff name their field, clinician agents exist when the engine needs them, and
week 0 has no shock yet.
"""

from __future__ import annotations

import networkx as nx
import pytest

from campaignsim.agents import Clinician
from campaignsim.model import CampaignModel
from campaignsim.scenario import ScenarioError, validate_scenario
from campaignsim.world import StaffWorld
from worlds import from_graph, generated, run

STAFF = {"departments": 1, "clinicians_per_department": 6, "hybrids_per_department": 0,
         "managers": 0, "within_department_density": 0.5, "champions": 2}


def test_models_sharing_a_world_leave_its_roles_alone():
    scenario = validate_scenario({"staff": STAFF, "champions": {"rule": "degree"}})
    world = StaffWorld.build(scenario.staff, 4)
    before = dict(world.graph.nodes(data="role"))
    models = [CampaignModel(scenario, seed=4, world=world) for _ in range(2)]
    assert dict(world.graph.nodes(data="role")) == before  # the champions' roles: a copy
    assert sum(r == "champion" for _, r in models[0].graph.nodes(data="role")) == 2


@pytest.mark.parametrize("other", [{"seed": 5}, {"staff": {**STAFF, "champions": 1}}])
def test_a_world_of_another_staff_or_seed_is_refused(other):
    scenario = validate_scenario({"staff": STAFF, "champions": {}})
    world = StaffWorld.build(scenario.staff, 4)
    changed = validate_scenario({"staff": other.get("staff", STAFF), "champions": {}})
    with pytest.raises(ValueError, match="^the world was built for another "
                                         r"\[staff\] table or seed$"):
        CampaignModel(changed, seed=other.get("seed", 4), world=world)


@pytest.mark.parametrize("engine, agents", [("agents", 3), ("vectorised", 0)])
def test_clinician_agents_exist_when_the_engine_needs_them(engine, agents):
    scenario = validate_scenario({"engine": engine, "staff": {**STAFF, "champions": 0,
                                                             "clinicians_per_department": 3}})
    model = CampaignModel(scenario, clinician_agents=False)
    assert len(model.agents_by_type.get(Clinician, [])) == agents
    model.step()  # and the week runs


def test_staff_errors_name_the_field(tmp_path):
    with pytest.raises(ScenarioError, match="^staff.managers: broadcast, events are run by "
                                            "managers: the staff needs at least 1 manager$"):
        generated({"broadcast": {}, "events": {}}, managers=0)
    graph = nx.Graph()
    graph.add_node("boss", role="manager")
    nx.write_graphml(graph, tmp_path / "empty.graphml")
    with pytest.raises(ScenarioError, match="^staff: the staff graph has no clinicians$"):
        CampaignModel(validate_scenario({"staff": {"graph": str(tmp_path / "empty.graphml")}}))


def test_week_0_has_no_shock_of_week_1():
    model = generated({"shock": {"week": 1, "size": 0.3}}, n=2, managers=0)
    assert model.population.resonance.tolist() == [0.5, 0.5]  # τ = 0.5, no shock yet
    assert run(model, {}).population.resonance.tolist() == pytest.approx([0.8, 0.8])


def test_from_graph_helper_keeps_node_order(tmp_path):
    model = from_graph(tmp_path, {}, [("b", "a")], {"a": {}, "b": {}})
    assert model.population.nodes == ["a", "b"]
