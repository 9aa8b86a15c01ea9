"""The world as arrays: the tie sampler (geometric skipping, pair decoding, expected
degrees across many departments), the arrays against the networkx view, and what a run
builds (no graph, no clinician agents) and what a user gets on request."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from campaignsim import run
from campaignsim.agents import Clinician, HybridLeader, Manager
from campaignsim import generator
from campaignsim.generator import GeneratedStaff, bernoulli_indices, triangle_pairs
from campaignsim.model import CampaignModel
from campaignsim.scenario import Staff, load_scenario
from campaignsim.world import StaffWorld
from conftest import BASELINE, ROOT, scenario, write


# --- the sampler ---------------------------------------------------------------------


def test_bernoulli_indices_keep_each_index_with_its_probability():
    """Over 400 draws of 50 indices at p = 0.3, each index is kept ~Bin(400, 0.3) times
    (mean 120, sd 9.2) and the count per draw ~Bin(50, 0.3) (mean 15, sd 3.2)."""
    rng = np.random.default_rng(4)
    hits, counts = np.zeros(50), []
    for _ in range(400):
        kept = bernoulli_indices(50, 0.3, rng)
        assert np.all(np.diff(kept) > 0) and kept.min(initial=0) >= 0 and kept.max(initial=0) < 50
        hits[kept] += 1
        counts.append(len(kept))
    assert np.all(np.abs(hits - 120) < 5 * math.sqrt(400 * 0.3 * 0.7))
    assert abs(np.mean(counts) - 15) < 4 * math.sqrt(50 * 0.3 * 0.7 / 400)
    assert bernoulli_indices(7, 1.0, rng).tolist() == list(range(7))
    assert len(bernoulli_indices(7, 0.0, rng)) == 0 and len(bernoulli_indices(0, 0.5, rng)) == 0


def test_bernoulli_indices_draw_more_gaps_until_the_end_is_passed():
    """Gaps of 1 (a generator that always says 'next') must give every index, which
    takes several chunks: the first chunk is sized for p = 0.5 and covers 626 of 1,000."""
    class Always:
        def geometric(self, p, size):
            return np.ones(size, dtype=np.int64)

    assert bernoulli_indices(1000, 0.5, Always()).tolist() == list(range(1000))


@pytest.mark.parametrize("n", [2, 3, 7, 40])
def test_triangle_pairs_decode_the_upper_triangle_in_row_order(n):
    rows, cols = triangle_pairs(np.arange(n * (n - 1) // 2), n)
    expected_rows, expected_cols = np.triu_indices(n, k=1)
    assert rows.tolist() == expected_rows.tolist() and cols.tolist() == expected_cols.tolist()
    # one triangle per index: sizes given as an array decode each in its own triangle
    sizes = np.array([n, 5, n])
    rows, cols = triangle_pairs(np.array([0, 9, n * (n - 1) // 2 - 1]), sizes)
    assert rows.tolist() == [0, 3, n - 2] and cols.tolist() == [1, 4, n - 1]


def test_ties_are_distinct_pairs_without_self_ties():
    generated = GeneratedStaff.generate(
        Staff(departments=6, clinicians_per_department=[5, 40, 1, 30, 12, 60],
              within_department_density=0.4, between_department_density=0.05,
              profession_homophily=0.5), np.random.default_rng(8))
    ties = np.sort(generated.ties, axis=1)
    assert len(ties) > 300 and np.all(ties[:, 0] < ties[:, 1]) and ties.max() < 148
    assert len(np.unique(ties, axis=0)) == len(ties)


def test_expected_degrees_across_a_thousand_departments():
    """1,000 departments of 30 (30,000 clinicians): within density 0.2 gives a mean
    within-department degree 0.2·29 = 5.8, between density 1e-4 gives 1e-4·29,970 ≈ 3.0;
    tie counts are binomial: each within 4 sd of its expectation. (The sampler's cost
    is O(groups + ties): the former per-group-pair loop took minutes here.)"""
    k, n, within, between = 1000, 30, 0.2, 1e-4
    generated = GeneratedStaff.generate(
        Staff(departments=k, clinicians_per_department=n, within_department_density=within,
              between_department_density=between), np.random.default_rng(3))
    department = generated.department[generated.ties]
    same = int(np.sum(department[:, 0] == department[:, 1]))
    across = len(generated.ties) - same
    within_pairs, between_pairs = k * n * (n - 1) // 2, k * (k - 1) // 2 * n * n
    assert abs(same - within_pairs * within) < 4 * math.sqrt(within_pairs * within)
    assert abs(across - between_pairs * between) < 4 * math.sqrt(between_pairs * between)
    assert 2 * across / (k * n) == pytest.approx(3.0, abs=0.1)


def test_homophily_holds_across_departments():
    """Between departments too, a cross-profession pair is (1 − h) times as likely as a
    same-profession pair: with h = 0.8 and 200 departments of 20, the observed ratio of
    tie probabilities is 0.2 within ±25 %."""
    generated = GeneratedStaff.generate(
        Staff(departments=200, clinicians_per_department=20, within_department_density=0.0,
              between_department_density=0.002, profession_homophily=0.8),
        np.random.default_rng(6))
    profession = generated.profession[generated.ties]
    same_ties = int(np.sum(profession[:, 0] == profession[:, 1]))
    per_profession = np.bincount(generated.profession)
    by_department = np.bincount(generated.department * 3 + generated.profession).reshape(200, 3)
    same_pairs = sum((c * c - (by_department[:, p] ** 2).sum()) // 2
                     for p, c in enumerate(per_profession))
    all_pairs = (4000 * 4000 - (by_department.sum(axis=1) ** 2).sum()) // 2
    cross_probability = (len(generated.ties) - same_ties) / (all_pairs - same_pairs)
    ratio = cross_probability / (same_ties / same_pairs)
    assert ratio == pytest.approx(0.2, rel=0.25)


# --- the world's arrays and its graph view ---------------------------------------------


def _check_arrays_match_graph(world: StaffWorld, graph: nx.Graph) -> None:
    roles = dict(graph.nodes(data="role"))
    assert list(world.nodes) == [v for v, r in roles.items() if r in ("clinician", "champion")]
    assert world.hybrid_nodes == [v for v, r in roles.items() if r == "hybrid"]
    assert world.manager_nodes == [v for v, r in roles.items() if r == "manager"]
    for i, node in enumerate(world.nodes):
        assert world.department_names[world.department[i]] == graph.nodes[node]["department"]
        assert world.profession_names[world.profession[i]] == graph.nodes[node]["profession"]
    for node, code in zip(world.hybrid_nodes, world.hybrid_department):
        assert world.department_names[code] == graph.nodes[node]["department"]
    expected = nx.to_scipy_sparse_array(graph, nodelist=list(world.nodes), weight=None)
    assert (world.adjacency != expected).nnz == 0


def test_generated_world_arrays_match_its_graph_view():
    s = load_scenario(BASELINE)
    world = StaffWorld.build(s.staff, 5)
    assert "graph" not in world.__dict__  # nothing built yet
    graph = world.graph
    assert graph is world.graph  # built once
    _check_arrays_match_graph(world, graph)
    # the hierarchy: 2 hybrids a department tied to all its clinicians and to 6 managers,
    # managers complete among themselves
    assert graph.number_of_edges() == world.adjacency.nnz // 2 + 2 * 1040 + 24 * 6 + 15
    # twelve departments, codes sorted as text: 0, 1, 10, 11, 2, ...
    assert world.department_names[:4] == [0, 1, 10, 11]


def test_loaded_world_arrays_match_the_file(tmp_path):
    edges = write(tmp_path / "edges.csv", """\
        source,target
        a,b
        b,c
        c,h
        h,m
        a,c
        """)
    nodes = write(tmp_path / "nodes.csv", """\
        id,role,department,profession
        a,champion,icu,doctor
        b,clinician,ward,nurse
        c,clinician,icu,nurse
        h,hybrid,icu,doctor
        m,manager,,
        """)
    s = scenario(staff={"graph": str(edges), "nodes": str(nodes), "managers": 1})
    world = StaffWorld.build(s.staff, 1)
    _check_arrays_match_graph(world, world.graph)
    assert world.champion.tolist() == [True, False, False]
    assert world.adjacency.toarray().tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]


# --- what a run builds, what a user gets --------------------------------------------------


def test_a_run_builds_no_graph_and_no_clinician_agents():
    s = load_scenario(BASELINE).with_overrides(weeks=3)
    model = run(s).model
    assert "graph" not in model.world.__dict__ and model._graph is None
    assert Counter(type(a) for a in model.agents) == {HybridLeader: 24, Manager: 6}
    assert model.graph.number_of_nodes() == 1040 + 24 + 6  # still there when asked for


def test_a_model_built_by_a_user_has_clinician_agents():
    s = load_scenario(BASELINE).with_overrides(weeks=3)
    assert Counter(type(a) for a in CampaignModel(s).agents)[Clinician] == 1040
    reference = CampaignModel(s.with_overrides(engine="agents"), clinician_agents=False)
    assert len(reference.agents_by_type[Clinician]) == 1040  # its step needs them


def test_a_generated_graph_exported_to_graphml_runs_the_same_when_loaded(tmp_path):
    """The graph view is a faithful export: written as GraphML and loaded back as
    `staff.graph`, it gives the same world arrays and the same run, week by week (the
    graph stream only makes the ties; everything else comes from the other streams)."""
    s = load_scenario(ROOT / "scenarios" / "champions_network.toml").with_overrides(weeks=8)
    generated = CampaignModel(s, seed=3, clinician_agents=False)
    nx.write_graphml(generated.world.graph, tmp_path / "staff.graphml")
    loaded = s.with_overrides(staff={**s.staff.model_dump(),
                                     "graph": str(tmp_path / "staff.graphml")})
    world = StaffWorld.build(loaded.staff, 3)
    assert np.array_equal(world.department, generated.world.department)
    assert (world.adjacency != generated.world.adjacency).nnz == 0
    assert world.hybrid_nodes == generated.world.hybrid_nodes
    pd.testing.assert_frame_equal(run(loaded, seed=3).timeseries, run(s, seed=3).timeseries)


def test_bernoulli_indices_at_a_tiny_probability_end_without_overflow():
    """numpy draws Geometric(1e-300) gaps of 2**63 - 1; summed unchecked they overflowed to
    negative indices and the draw never ended (found by test_invariants: memory ran out)."""
    for probability in (5e-324, 1e-300, 1e-20):
        assert bernoulli_indices(300, probability, np.random.default_rng(1)).tolist() == []


# --- the layout kept per [staff] table -----------------------------------------------


def _world_arrays(world: StaffWorld) -> dict:
    a = world.adjacency
    return {"department": world.department.tolist(), "names": world.department_names,
            "profession": world.profession.tolist(), "professions": world.profession_names,
            "members": [m.tolist() for m in world.department_members],
            "hybrids": world.hybrid_nodes, "hybrid_department": world.hybrid_department.tolist(),
            "managers": world.manager_nodes,
            "ties": (a.indptr.tolist(), a.indices.tolist())}


def _fresh(staff: Staff, seed: int) -> dict:
    """The world as a process that never built another would build it."""
    generator._RECENT_LAYOUTS.clear()
    return _world_arrays(StaffWorld.build(staff, seed))


def test_tables_in_one_process_each_get_their_own_world():
    """What a table fixes (clinicians by department and profession, hybrids, managers,
    the classes' probabilities) is kept per table, by value: tables that differ in one
    number each get their own world, in any order and alternating, and an equal table
    (another object) shares the layout."""
    base = Staff(departments=3, clinicians_per_department=[20, 30, 25],
                 hybrids_per_department=1, managers=2)
    variants = [base,
                base.model_copy(update={"clinicians_per_department": [20, 30, 26]}),
                base.model_copy(update={"hybrids_per_department": 2}),
                base.model_copy(update={"managers": 3}),
                base.model_copy(update={"profession_homophily": 0.5}),
                base.model_copy(update={"within_department_density": 0.3})]
    expected = [_fresh(staff, 5) for staff in variants]
    assert all(e != expected[0] for e in expected[1:])  # each change changes the world
    generator._RECENT_LAYOUTS.clear()
    for _ in range(2):
        for staff, wanted in zip(variants, expected):
            assert _world_arrays(StaffWorld.build(staff, 5)) == wanted
    equal = Staff(**base.model_dump())
    assert equal is not base and generator.Layout.of(equal) is generator.Layout.of(base)


def test_a_scenario_changed_between_runs_is_not_served_the_old_staff():
    """Runs of a scenario, then of it with another hospital, then of it again, in one
    process: each gives what it gives in a fresh process."""
    baseline = load_scenario(BASELINE).with_overrides(weeks=6)
    smaller = baseline.model_copy(update={"staff": baseline.staff.model_copy(
        update={"clinicians_per_department": 50, "profession_homophily": 0.5})})
    fresh = {}
    for name, s in (("baseline", baseline), ("smaller", smaller)):
        generator._RECENT_LAYOUTS.clear()
        fresh[name] = run(s, seed=3).timeseries
    for name, s in (("baseline", baseline), ("smaller", smaller), ("baseline", baseline)):
        pd.testing.assert_frame_equal(run(s, seed=3).timeseries, fresh[name])
    assert fresh["smaller"]["unaware"][0] != fresh["baseline"]["unaware"][0]
    assert len(generator._RECENT_LAYOUTS) == 2
