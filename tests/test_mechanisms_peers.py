"""Peers, champions and seeds (docs/model.md §5, §7.6, §7.7, §7.10) in worlds of two to
250 clinicians with chosen draws (see worlds.py): peer threshold, cascade and Bass with
cynicism, inherited fidelity, awareness, champions' approaches and weight, seeding
rules. Tests that go through clinicians' decisions run under both engines.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from campaignsim.agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from campaignsim.scenario import CHANNELS, ScenarioError
from worlds import HYBRID, channel, from_graph, generated, run, state, value
from worlds import engine  # noqa: F401 (the fixture: both engines)


class TestPeerInfluence:
    """§7.7: f = K/W over last week's states; threshold f ≥ θ, cascade 1 − (1 − q)^K,
    Bass q·max(f, 0); disengaged neighbours count −c with cynicism c."""

    def test_threshold_is_synchronous_and_needs_neighbours(self, tmp_path, engine):
        # a (seed) – b – c, and d alone with θ = 0
        nodes = {"a": {}, "b": {"threshold": 0.5}, "c": {"threshold": 0.5}, "d": {"threshold": 0.0}}
        model = from_graph(tmp_path, {"peer": {"rule": "threshold"}, "seeding": {"nodes": ["a"]}},
                           [("a", "b"), ("b", "c")], nodes, engine=engine)
        run(model, {})
        # week 1: b's share 1/2 ≥ 0.5 → h = 1; c saw no enrolled neighbour last week
        assert [state(model, n) for n in "bcd"] == [ENROLLED, UNAWARE, UNAWARE]
        assert channel(model, "b") == "peer"
        run(model, {})
        assert [state(model, n) for n in "cd"] == [ENROLLED, UNAWARE]

    @pytest.mark.parametrize("cynicism, u, enrols", [(0.5, 0.0999, True), (0.5, 0.1001, False),
                                                     (1.0, 0.0001, False)])
    def test_bass_with_cynicism(self, tmp_path, engine, cynicism, u, enrols):
        # x tied to a, b (seeds) and y. Week 1: b erodes (ε = 0.5, seed ownership 0).
        # Week 2: K = 1 − c·1 = 0.5, W = 3, f = 1/6, h = q·f = 0.6/6 = 0.1; with c = 1,
        # K = 0 and h = 0 (ignoring cynicism: f = 1/3, h = 0.2)
        tables = {"peer": {"rule": "bass", "q": 0.6, "cynicism": cynicism, "ownership": 0.0},
                  "erosion": {"rate": 0.5}, "seeding": {"nodes": ["a", "b"]}}
        model = from_graph(tmp_path, tables, [("x", "a"), ("x", "b"), ("x", "y")],
                           {n: {} for n in "xaby"}, engine=engine)
        run(model, {"b": 0.1}, {"x": u})
        assert state(model, "b") == DISENGAGED
        assert (state(model, "x") == ENROLLED) is enrols

    @pytest.mark.parametrize("u, enrols", [(0.5099, True), (0.5101, False)])
    def test_cascade_counts_enrolled_neighbours(self, tmp_path, engine, u, enrols):
        # by hand: two enrolled neighbours, q = 0.3: 1 − 0.7² = 0.51
        model = from_graph(tmp_path, {"peer": {"rule": "cascade", "q": 0.3},
                                      "seeding": {"nodes": ["a", "b"]}},
                           [("x", "a"), ("x", "b")], {n: {} for n in "xab"}, engine=engine)
        assert (state(run(model, {"x": u}), "x") == ENROLLED) is enrols

    @pytest.mark.parametrize("u, reached", [(0.4999, "broadcast"), (0.5001, None)])
    def test_isolated_clinician_has_no_peer_hazard(self, tmp_path, engine, u, reached):
        # d has no ties: its hazard is the broadcast's alone, 1.0·ρ = 0.5 (not q·1, not NaN)
        nodes = {"boss": {"role": "manager"}, "a": {}, "b": {}, "d": {}}
        tables = {"peer": {"rule": "bass", "q": 1.0}, "broadcast": {"intensity": 1.0},
                  "clinicians": {"trust_in_management": 0.5}}
        model = from_graph(tmp_path, tables, [("a", "b")], nodes, engine=engine)
        assert channel(run(model, {"d": u}), "d") == reached

    def test_instigators_fidelity_is_the_programmes(self, tmp_path, engine):
        # θ = 0 enrols in week 1 through "peer" with no enrolled neighbour: fidelity 1 − σ
        tables = {"peer": {"rule": "threshold", "threshold": 0.0},
                  "codesign": {"share": 0.4}}
        model = run(from_graph(tmp_path, tables, [("a", "b")], {"a": {}, "b": {}},
                               engine=engine), {})
        assert [channel(model, "a"), channel(model, "b")] == ["peer", "peer"]
        assert model.population.fidelity.tolist() == pytest.approx([0.6, 0.6])

    @pytest.mark.parametrize("ties, fidelity", [(["m", "s"], 0.6), (["m"], 0.2)])
    def test_peer_recruit_inherits_neighbours_mean_fidelity(self, tmp_path, engine, ties,
                                                            fidelity):
        # m enrols through a hybrid of α = 0.2 (fidelity 0.2) in week 1; x (another
        # department) sees m and the seed s (fidelity 1): week 2 f = 1, fidelity
        # (0.2 + 1)/2 = 0.6; tied to m alone, 0.2
        nodes = {"h": {"role": "hybrid"}, "m": {}, "x": {"department": 1},
                 "s": {"department": 1}}
        tables = {"peer": {"rule": "bass", "q": 1.0, "ownership": 0.55},
                  "hybrids": {**HYBRID, "alignment": 0.2}, "seeding": {"nodes": ["s"]}}
        model = from_graph(tmp_path, tables, [("h", "m")] + [("x", t) for t in ties], nodes,
                           engine=engine)
        run(model, {"m": 0.0}, {})
        assert [channel(model, "m"), channel(model, "x")] == ["hybrid", "peer"]
        assert value(model, "fidelity", "x") == pytest.approx(fidelity)
        assert value(model, "ownership", "x") == pytest.approx(0.55)


class TestAwareness:
    """§7.10: without a push, only an approach or (with [peer]) an enrolled neighbour
    makes the unaware aware."""

    @pytest.mark.parametrize("peer, b_state", [(True, AWARE), (False, UNAWARE)])
    def test_enrolled_neighbour(self, tmp_path, engine, peer, b_state):
        tables = {"seeding": {"nodes": ["a"]},
                  **({"peer": {"rule": "bass", "q": 0.0}} if peer else {})}
        model = from_graph(tmp_path, tables, [("a", "b")], {n: {} for n in "abc"},
                           engine=engine)
        run(model, {})
        assert [state(model, "b"), state(model, "c")] == [b_state, UNAWARE]


class TestChampions:
    """§5, §7.6: champions start enrolled; k approaches give 1 − (1 − p)^k; their
    weight counts in peer shares."""

    NODES = {"c1": {"role": "champion"}, "c2": {"role": "champion"}, "x": {}, "y": {}}
    EDGES = [("c1", "x"), ("c2", "x"), ("c1", "y")]

    def test_approaches_and_converts(self, tmp_path, engine):
        tables = {"champions": {"rule": "formal", "capacity": 5, "persuasion": 0.3,
                                "ownership": 0.8, "convert_ownership": 0.65}}
        model = from_graph(tmp_path, tables, self.EDGES, self.NODES, engine=engine)
        assert channel(model, "c1") == "seed" and value(model, "ownership", "c1") == 0.8
        assert value(model, "fidelity", "c1") == 1.0  # 1 − σ, no co-design
        run(model, {"x": 0.5099, "y": 0.3001})
        # by hand: x by two champions: 1 − 0.7² = 0.51; y by one: 0.3
        assert model.approaches.champion_hazard.tolist() == pytest.approx([0, 0, 0.51, 0.3])
        assert [channel(model, "x"), state(model, "y")] == ["champion", AWARE]
        assert value(model, "ownership", "x") == pytest.approx(0.65)
        run(model, {})  # week 2: the aware y is approached again, the enrolled x not
        assert model.approaches.champion_hazard.tolist() == pytest.approx([0, 0, 0, 0.3])

    def test_only_enrolled_or_active_champions_approach(self, tmp_path, engine):
        # week 1: c1 activates (e = 1·0.2 = 0.2 ≤ u = 0.5 < 0.2 + 0.8·0.8), c2 erodes
        # (u = 0.1 < 0.2); x is an enrolled seed but no champion. Week 2: only the active
        # c1 approaches (y); neither the disengaged c2 (w) nor x (z)
        nodes = {"c1": {"role": "champion"}, "c2": {"role": "champion"},
                 **{n: {} for n in "xywz"}}
        tables = {"champions": {"rule": "formal", "capacity": 5, "persuasion": 0.3},
                  "activation": {"rate": 1.0}, "erosion": {"rate": 1.0},
                  "seeding": {"nodes": ["x"]}}
        model = from_graph(tmp_path, tables, [("c1", "y"), ("c2", "w"), ("x", "z")], nodes,
                           engine=engine)
        run(model, {"c1": 0.5, "c2": 0.1}, {})
        assert [state(model, n) for n in ("c1", "c2", "x")] == [ACTIVE, DISENGAGED, ENROLLED]
        hazard = dict(zip(model.population.nodes, model.approaches.champion_hazard))
        assert [hazard[n] for n in "ywz"] == pytest.approx([0.3, 0.0, 0.0])

    def test_each_champion_approaches_up_to_capacity(self, tmp_path):
        # c1 has three neighbours, c2 one, c3 two; capacity 1, persuasion 0.3
        nodes = {n: {"role": "champion"} for n in ("c1", "c2", "c3")}
        nodes.update({n: {} for n in ("x1", "x2", "x3", "y", "z1", "z2")})
        tables = {"champions": {"rule": "formal", "capacity": 1, "persuasion": 0.3}}
        edges = [("c1", "x1"), ("c1", "x2"), ("c1", "x3"), ("c2", "y"), ("c3", "z1"),
                 ("c3", "z2")]
        model = run(from_graph(tmp_path, tables, edges, nodes), {})
        hazard = dict(zip(model.population.nodes, model.approaches.champion_hazard))
        assert sorted(hazard[x] for x in ("x1", "x2", "x3")) == pytest.approx([0, 0, 0.3])
        assert hazard["y"] == pytest.approx(0.3)
        assert sorted(hazard[z] for z in ("z1", "z2")) == pytest.approx([0, 0.3])

    @pytest.mark.parametrize("edges, hazard", [([("c", "x")], [0.0, 0.3]), ([], [0.0, 0.0])])
    def test_one_tie_or_none(self, tmp_path, engine, edges, hazard):
        tables = {"champions": {"rule": "formal", "capacity": 2, "persuasion": 0.3}}
        model = run(from_graph(tmp_path, tables, edges, {"c": {"role": "champion"}, "x": {}},
                               engine=engine), {})
        assert model.approaches.champion_hazard.tolist() == pytest.approx(hazard)

    @pytest.mark.parametrize("u, enrols", [(0.7499, True), (0.7501, False)])
    def test_weight_in_peer_share(self, tmp_path, engine, u, enrols):
        # y's ties: c1 (weight 3, enrolled) and p: f = 3/(3 + 1) = 0.75, Bass q = 1
        tables = {"champions": {"rule": "formal", "weight": 3.0, "persuasion": 0.0},
                  "peer": {"rule": "bass", "q": 1.0}}
        model = from_graph(tmp_path, tables, [("c1", "y"), ("y", "p")],
                           {"c1": {"role": "champion"}, "y": {}, "p": {}}, engine=engine)
        assert (state(run(model, {"y": u}), "y") == ENROLLED) is enrols

    def test_staff_champions_need_the_table_unless_it_is_switched_off(self):
        with pytest.raises(ScenarioError, match=r"^staff\.champions: champions need a "
                           r"\[champions\] table \(how they are chosen and act\)$"):
            generated({}, n=3, managers=0, champions=1)
        model = generated({"champions": {"enabled": False}}, n=3, managers=0, champions=1)
        assert not model.population.champion.any()

    def test_champions_start_with_the_programmes_fidelity(self, tmp_path):
        tables = {"champions": {"rule": "formal"}, "codesign": {"share": 0.3}}
        model = from_graph(tmp_path, tables, [("c", "x")], {"c": {"role": "champion"}, "x": {}})
        assert value(model, "fidelity", "c") == pytest.approx(0.7)  # 1 − σ, σ = 0.3

    def test_errors_name_the_field(self, tmp_path):
        with pytest.raises(ScenarioError, match=r'^staff\.champions: \[champions\] is on: give '
                           r'a number of champions > 0 \(or rule = "formal" with champion '
                           r'roles in the graph\)$'):
            generated({"champions": {}}, n=3, managers=0)
        with pytest.raises(ScenarioError, match=r'^champions\.rule: rule = "formal" needs nodes '
                           r'with role = "champion" in the staff graph file; none found$'):
            from_graph(tmp_path, {"champions": {"rule": "formal"}}, [("a", "b")],
                       {"a": {}, "b": {}})

    def test_chosen_by_degree(self, tmp_path):
        tables = {"champions": {"rule": "degree"}}
        model = from_graph(tmp_path, tables, [("hub", n) for n in "abc"] + [("a", "b")],
                           {n: {} for n in ["hub", "a", "b", "c"]}, champions=1)
        assert [n for n in model.population.nodes if channel(model, n) == "seed"] == ["hub"]


class TestSeeding:
    """§5: seeds start enrolled (channel seed) with [peer] ownership (0.6 without it),
    fidelity 1 − σ and no co-design boost."""

    def test_count_and_share(self):
        for seeding, seeds in (({"count": 3}, 3), ({"share": 0.34}, 2)):  # round(1.7) = 2
            model = generated({"seeding": seeding}, n=5, managers=0)
            assert int((model.population.state == ENROLLED).sum()) == seeds
            assert model.population.enrolments[CHANNELS.index("seed")] == seeds

    def test_ownership_and_fidelity(self):
        model = generated({"seeding": {"count": 1}, "peer": {"ownership": 0.45},
                           "codesign": {"share": 0.3, "ownership_boost": 1.0}}, n=2, managers=0)
        seed = model.population.state == ENROLLED
        assert model.population.ownership[seed].tolist() == [0.45]
        assert model.population.fidelity[seed].tolist() == pytest.approx([0.7])

    def test_nodes_by_id_once_and_champions_not_again(self, tmp_path):
        tables = {"seeding": {"nodes": ["a", "a", "c"]},
                  "champions": {"rule": "formal", "ownership": 0.9}}
        model = from_graph(tmp_path, tables, [("a", "b")],
                           {"a": {}, "b": {}, "c": {"role": "champion"}})
        assert [state(model, n) for n in "abc"] == [ENROLLED, UNAWARE, ENROLLED]
        assert value(model, "ownership", "c") == 0.9
        assert model.population.enrolments[CHANNELS.index("seed")] == 2

    def test_by_degree(self, tmp_path):
        model = from_graph(tmp_path, {"seeding": {"count": 1, "rule": "degree"}},
                           [("hub", n) for n in "abc"], {n: {} for n in ["a", "hub", "b", "c"]})
        assert [n for n in model.population.nodes if state(model, n) == ENROLLED] == ["hub"]

    def test_seeds_are_not_champions(self, tmp_path):
        # the hub is a champion (enrolled at week 0): the best-connected seed is another
        tables = {"seeding": {"count": 1, "rule": "degree"}, "champions": {"rule": "formal"}}
        edges = [("hub", n) for n in "abcd"] + [("a", "b"), ("a", "c")]  # degrees 4, 3, 2, 2, 1
        nodes = {"hub": {"role": "champion"}, **{n: {} for n in "abcd"}}
        model = from_graph(tmp_path, tables, edges, nodes)
        assert [state(model, n) for n in ("hub", "a", "b", "c", "d")] == [
            ENROLLED, ENROLLED, UNAWARE, UNAWARE, UNAWARE]
        assert model.population.enrolments[CHANNELS.index("seed")] == 2

    def test_random_rule_is_random(self, tmp_path):
        # a star of 6: the random rule picks the hub in all 10 seeds with prob. 6^-10
        picks = set()
        for seed in range(10):
            model = from_graph(tmp_path, {"seeding": {"count": 1}, "seed": seed},
                               [("hub", n) for n in "abcde"], {n: {} for n in "abcde"})
            picks.update(n for n in model.population.nodes if state(model, n) == ENROLLED)
        assert len(picks) > 1

    def test_by_betweenness_the_bridge(self, tmp_path):
        # two 5-cliques joined through one bridge node (degree 2): betweenness 25 (5·5
        # pairs) against 24 for each clique's end (4·6 pairs); degree would pick an end
        graph = nx.barbell_graph(5, 1)
        edges = [(str(a), str(b)) for a, b in graph.edges]
        model = from_graph(tmp_path, {"seeding": {"count": 1, "rule": "betweenness"}}, edges,
                           {str(n): {} for n in graph.nodes})
        # (the loader reads numeric ids as integers)
        assert [n for n in model.population.nodes if state(model, n) == ENROLLED] == [5]

    def test_sampled_betweenness_is_reproducible(self):
        # above 200 clinicians betweenness is estimated from 200 pivots drawn from the
        # model's seed: the same seed chooses the same champions
        def champions(seed):
            model = generated({"champions": {"rule": "betweenness"}, "seed": seed}, n=250,
                              ties=0.015, managers=0, champions=8)
            return np.flatnonzero(model.population.champion).tolist()
        assert champions(3) == champions(3) == champions(3)

    def test_too_many_seeds(self):
        with pytest.raises(ScenarioError, match="^seeding: asks for 4 seeds but only 3"):
            generated({"seeding": {"count": 4}}, n=3, managers=0)
