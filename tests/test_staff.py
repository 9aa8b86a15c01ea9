"""The staff graph: generated from [staff] (structure, counts, densities, homophily,
reproducibility) and loaded from CSV or GraphML."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from campaignsim.model import CampaignModel
from campaignsim.scenario import ScenarioError, Staff, load_scenario
from campaignsim.staff import ROLES, generate_staff_graph, load_staff_graph
from conftest import scenario, staff, write


def _generate(seed: int = 0, **fields) -> nx.Graph:
    return generate_staff_graph(Staff(**fields), np.random.default_rng(seed))


def _nodes(graph: nx.Graph, role: str) -> list:
    return [n for n, r in graph.nodes(data="role") if r == role]


# --- generated graphs: structure ------------------------------------------------------


@pytest.mark.parametrize("n", [2, 17, 50])
def test_one_dense_department_without_hierarchy_is_a_complete_graph(n):
    g = _generate(departments=1, clinicians_per_department=n, within_department_density=1.0,
                  hybrids_per_department=0, managers=0)
    assert g.number_of_nodes() == n
    assert g.number_of_edges() == n * (n - 1) // 2  # 1225 for n = 50
    assert nx.is_isomorphic(g, nx.complete_graph(n))
    assert set(nx.get_node_attributes(g, "role").values()) == {"clinician"}


def test_zero_densities_give_no_clinician_ties():
    g = _generate(departments=3, clinicians_per_department=20, within_department_density=0.0,
                  between_department_density=0.0, hybrids_per_department=0, managers=0)
    assert g.number_of_nodes() == 60 and g.number_of_edges() == 0


def test_role_counts_with_a_list_of_department_sizes():
    sizes = [3, 5, 7]
    g = _generate(departments=3, clinicians_per_department=sizes, hybrids_per_department=2,
                  managers=4, within_department_density=0.5)
    roles = Counter(nx.get_node_attributes(g, "role").values())
    assert roles == {"clinician": 15, "hybrid": 6, "manager": 4}
    by_department = Counter(g.nodes[n]["department"] for n in _nodes(g, "clinician"))
    assert [by_department[d] for d in range(3)] == sizes
    hybrids_by_department = Counter(g.nodes[n]["department"] for n in _nodes(g, "hybrid"))
    assert [hybrids_by_department[d] for d in range(3)] == [2, 2, 2]


def test_every_node_has_role_department_and_profession():
    g = _generate(departments=4, clinicians_per_department=30, hybrids_per_department=1,
                  managers=2)
    for node, data in g.nodes(data=True):
        assert data["role"] in ROLES
        assert "department" in data and "profession" in data
        if data["role"] == "clinician":
            assert data["profession"] in ("doctor", "nurse", "allied")
            assert data["department"] in range(4)


def test_hierarchical_ties():
    g = _generate(departments=3, clinicians_per_department=[10, 20, 30], hybrids_per_department=2,
                  managers=5, within_department_density=0.1, between_department_density=0.01)
    clinicians, hybrids, managers = (_nodes(g, r) for r in ("clinician", "hybrid", "manager"))
    members = {d: {c for c in clinicians if g.nodes[c]["department"] == d} for d in range(3)}
    for h in hybrids:
        # exactly: every clinician of its department and every manager, nobody else
        assert set(g[h]) == members[g.nodes[h]["department"]] | set(managers)
    for m in managers:
        assert set(g[m]) == (set(managers) - {m}) | set(hybrids)
    # managers complete among themselves: 5 choose 2
    assert g.subgraph(managers).number_of_edges() == 10


def test_profession_mix_follows_shares_in_each_department():
    sizes = [100, 7, 40]
    g = _generate(departments=3, clinicians_per_department=sizes, hybrids_per_department=0,
                  managers=0, professions={"doctor": 0.25, "nurse": 0.55, "allied": 0.20})
    for d, size in enumerate(sizes):
        mix = Counter(g.nodes[n]["profession"] for n in g if g.nodes[n]["department"] == d)
        assert sum(mix.values()) == size
        for profession, share in (("doctor", 0.25), ("nurse", 0.55), ("allied", 0.20)):
            assert abs(mix[profession] - share * size) < 1  # largest-remainder rounding
    first = Counter(g.nodes[n]["profession"] for n in g if g.nodes[n]["department"] == 0)
    assert first == {"doctor": 25, "nurse": 55, "allied": 20}


# --- generated graphs: densities ------------------------------------------------------


def test_within_and_between_department_densities():
    """Ties are independent Bernoulli draws, so each edge count is binomial.

    4 departments × 100 clinicians, within density 0.2, between 0.01, no homophily:
    within ties ~ Bin(4·C(100,2) = 19800, 0.2), between ties ~ Bin(6·100·100 = 60000, 0.01).
    The mean within-department degree 2·W/400 has expectation 0.2·99 = 19.8 and standard
    deviation 2·sqrt(19800·0.2·0.8)/400 ≈ 0.28; we allow 4 standard deviations.
    """
    d_within, d_between, k, n = 0.2, 0.01, 4, 100
    g = _generate(seed=11, departments=k, clinicians_per_department=n, hybrids_per_department=0,
                  managers=0, within_department_density=d_within,
                  between_department_density=d_between)
    department = nx.get_node_attributes(g, "department")
    within = sum(department[a] == department[b] for a, b in g.edges)
    between = g.number_of_edges() - within
    within_pairs, between_pairs = k * n * (n - 1) // 2, k * (k - 1) // 2 * n * n

    mean_degree = 2 * within / (k * n)
    sd_degree = 2 * math.sqrt(within_pairs * d_within * (1 - d_within)) / (k * n)
    assert abs(mean_degree - d_within * (n - 1)) < 4 * sd_degree

    sd_between = math.sqrt(between_pairs * d_between * (1 - d_between))
    assert abs(between - between_pairs * d_between) < 4 * sd_between


def _tie_counts(g: nx.Graph) -> tuple[int, int, Counter]:
    profession = nx.get_node_attributes(g, "profession")
    cross = sum(profession[a] != profession[b] for a, b in g.edges)
    return g.number_of_edges() - cross, cross, Counter(profession.values())


def test_profession_homophily_rewires_ties_across_professions():
    """Cross-profession ties become rarer as homophily h rises, the mean degree stays.

    Specification: a cross-profession pair is (1 − h) times as likely to be tied as a
    same-profession pair, both scaled so that p_same·S + p_cross·(1 − S) = density, with
    S = Σ share² the share of same-profession pairs. Same- and cross-profession tie
    counts are then independent binomials; each must lie within 4 standard deviations
    of its expectation, computed from the actual numbers of pairs. The mean degree is
    checked against density·(n − 1) with 4 standard deviations of 2·E/n plus the small
    bias from S being computed from shares rather than from the finite group sizes.
    """
    n, density = 600, 0.05
    shares = np.array([0.25, 0.55, 0.20])
    same_share = float(np.sum(shares ** 2))
    results = {}
    for h in (0.0, 0.5, 0.9):
        g = _generate(seed=5, departments=1, clinicians_per_department=n, hybrids_per_department=0,
                      managers=0, within_department_density=density, profession_homophily=h)
        same, cross, groups = _tie_counts(g)
        same_pairs = sum(c * (c - 1) // 2 for c in groups.values())
        cross_pairs = n * (n - 1) // 2 - same_pairs
        p_same = density / (same_share + (1 - same_share) * (1 - h))
        p_cross = p_same * (1 - h)
        for observed, pairs, p in ((same, same_pairs, p_same), (cross, cross_pairs, p_cross)):
            assert abs(observed - pairs * p) < 4 * math.sqrt(pairs * p * (1 - p))
        expected_edges = same_pairs * p_same + cross_pairs * p_cross
        sd_degree = 2 * math.sqrt(same_pairs * p_same * (1 - p_same)
                                  + cross_pairs * p_cross * (1 - p_cross)) / n
        bias = abs(2 * expected_edges / n - density * (n - 1))
        mean_degree = 2 * g.number_of_edges() / n
        assert abs(mean_degree - density * (n - 1)) < 4 * sd_degree + bias
        assert bias < 0.01 * density * (n - 1)
        results[h] = (cross / g.number_of_edges(), mean_degree)
    cross_shares = [results[h][0] for h in (0.0, 0.5, 0.9)]
    assert cross_shares[0] > cross_shares[1] > cross_shares[2]
    # with h = 0 ties ignore profession: cross share ≈ 1 − S = 0.595
    assert abs(cross_shares[0] - (1 - same_share)) < 0.03
    assert cross_shares[2] < 0.2


def test_full_homophily_removes_cross_profession_ties():
    g = _generate(seed=2, departments=2, clinicians_per_department=60, hybrids_per_department=0,
                  managers=0, within_department_density=0.3, between_department_density=0.05,
                  profession_homophily=1.0)
    same, cross, _ = _tie_counts(g)
    assert cross == 0 and same > 0


# --- generated graphs: reproducibility ------------------------------------------------


def test_same_seed_same_graph_different_seed_different_graph():
    fields = dict(departments=3, clinicians_per_department=40, within_department_density=0.2,
                  between_department_density=0.01, profession_homophily=0.3)
    a, b, c = _generate(seed=9, **fields), _generate(seed=9, **fields), _generate(seed=10, **fields)
    assert set(a.edges) == set(b.edges)
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert set(a.edges) != set(c.edges)


def test_model_seed_fixes_the_graph():
    s = scenario(staff=staff(30, departments=2, within_department_density=0.3,
                             between_department_density=0.05))
    first, again = CampaignModel(s, seed=3).graph, CampaignModel(s, seed=3).graph
    other = CampaignModel(s, seed=4).graph
    assert set(first.edges) == set(again.edges)
    assert set(first.edges) != set(other.edges)


# --- loaded graphs ----------------------------------------------------------------------


def test_csv_edge_list_with_node_csv(tmp_path):
    edges = write(tmp_path / "edges.csv", """
        source,target
        alice,bob
        bob,carol
        carol,dave
        dave,dave
    """)
    nodes = write(tmp_path / "nodes.csv", """
        id,role,department,profession
        alice,manager,,
        bob,hybrid,icu,doctor
        carol,,icu,
        dave,,,
        erin,champion,ward,allied
    """)
    g = load_staff_graph(edges, nodes)
    assert set(g.nodes) == {"alice", "bob", "carol", "dave", "erin"}  # ids kept as given
    assert {frozenset(e) for e in g.edges} == {frozenset(p) for p in
                                               (("alice", "bob"), ("bob", "carol"),
                                                ("carol", "dave"))}  # self-loop dropped
    assert g.nodes["alice"]["role"] == "manager"
    assert g.nodes["bob"]["role"] == "hybrid" and g.nodes["bob"]["department"] == "icu"
    assert g.nodes["carol"]["role"] == "clinician"          # empty role → clinician
    assert g.nodes["dave"]["role"] == "clinician"           # no role → clinician
    assert g.nodes["erin"]["role"] == "champion" and g.degree("erin") == 0  # isolated node kept
    assert g.nodes["carol"]["profession"] == "nurse" and g.nodes["carol"]["department"] == "icu"


def test_csv_numeric_ids_and_node_attributes(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\n10,20\n20,30\n")
    nodes = write(tmp_path / "n.csv",
                  "id,role,department,threshold\n10,,2,0.4\n20,,,\n30,,,\n40,,3,\n")
    g = load_staff_graph(edges, nodes)
    assert set(g.nodes) == {10, 20, 30, 40}
    assert g.nodes[10]["department"] == 2 and g.nodes[10]["threshold"] == 0.4
    assert g.nodes[30]["department"] == 0  # default department


def test_csv_unknown_role_is_a_scenario_error(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\n1,2\n")
    nodes = write(tmp_path / "n.csv", "id,role\n1,clinician\n2,surgeon\n")
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(edges, nodes)
    assert caught.value.field == "staff.nodes"
    assert "surgeon" in str(caught.value) and "clinician" in str(caught.value)


def test_csv_missing_columns_and_missing_file(tmp_path):
    bad = write(tmp_path / "e.csv", "from,to\n1,2\n")
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(bad)
    assert caught.value.field == "staff.graph" and "source" in str(caught.value)
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(tmp_path / "missing.csv")
    assert caught.value.field == "staff.graph" and "not found" in str(caught.value)


def test_csv_out_of_range_node_attribute(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\n1,2\n")
    nodes = write(tmp_path / "n.csv", "id,trust_in_management\n1,1.7\n2,\n")
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(edges, nodes)
    assert caught.value.field == "staff.nodes" and "trust_in_management" in str(caught.value)


def test_graphml_loading(tmp_path):
    source = nx.Graph()
    source.add_node(0, role="manager", department=-1, profession="manager")
    source.add_node(1, role="hybrid", department=1, profession="doctor")
    for i in range(2, 8):
        source.add_node(i, role="clinician", department=1, profession="nurse")
    source.add_node(8)  # no attributes at all → clinician
    source.add_edges_from([(0, 1)] + [(1, i) for i in range(2, 8)] + [(2, 3), (3, 4)])
    path = tmp_path / "staff.graphml"
    nx.write_graphml(source, path)

    g = load_staff_graph(path)
    assert set(g.nodes) == set(range(9))
    assert {frozenset(e) for e in g.edges} == {frozenset(e) for e in source.edges}
    assert g.nodes[0]["role"] == "manager" and g.nodes[1]["role"] == "hybrid"
    assert g.nodes[8]["role"] == "clinician"
    assert g.nodes[5]["department"] == 1 and g.nodes[5]["profession"] == "nurse"


def test_graph_paths_are_relative_to_the_scenario_file(tmp_path):
    write(tmp_path / "data" / "e.csv", "source,target\n0,1\n1,2\n")
    write(tmp_path / "data" / "n.csv", "id,role\n0,\n1,\n2,\n3,manager\n")
    path = write(tmp_path / "scen" / "s.toml", """
        [staff]
        graph = "../data/e.csv"
        nodes = "../data/n.csv"
    """)
    model = CampaignModel(load_scenario(path), seed=0)
    assert model.population.nodes == [0, 1, 2]
    assert model.graph.nodes[3]["role"] == "manager"


def test_missing_graph_file_is_a_scenario_error(tmp_path):
    path = write(tmp_path / "s.toml", '[staff]\ngraph = "nope.graphml"\n')
    with pytest.raises(ScenarioError) as caught:
        CampaignModel(load_scenario(path), seed=0)
    assert caught.value.field == "staff.graph" and "nope.graphml" in str(caught.value)
