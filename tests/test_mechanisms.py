"""Each mechanism of docs/model.md (§5, §7) in a world of two to five clinicians, run
through the real model, with the weekly draws chosen by the test.

The weekly uniform stream is replaced by `Draws`, which hands each clinician the u the
test names. Every transition is "u below a probability", so a draw just below and one
just above the probability worked out by hand pins that probability to within 1e-4 (a
wrong formula moves it by more): no statistics are needed. Staff graphs are generated
(one department, no ties or all ties) or written as tiny GraphML files. Tests that go
through clinicians' decisions run under both engines (`engine` fixture), so a wrong
formula in either path fails.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from campaignsim.agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from campaignsim.model import CampaignModel
from campaignsim.outcomes import summarise
from campaignsim.scenario import CHANNELS, ScenarioError, validate_scenario

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


class TestChannelCombination:
    """§7.8: P = 1 − Π(1 − h_c), and u/P attributes the enrolment in proportion h_c/Σh.
    Broadcast B = 0.2 and an event E = 0.4 in week 1, trust 0.5 (ρ = 0.5), no fatigue:
    h_bc = 0.1, h_ev = 0.2, so P = 1 − 0.9·0.8 = 0.28 (Σh would be 0.30)."""

    TABLES = {"broadcast": {"intensity": 0.2}, "events": {"weeks": [1], "reach": 0.4}}

    def test_enrol_below_the_product_form(self, engine):
        model = run(generated(self.TABLES, n=4, engine=engine),
                    {0: 0.2799, 1: 0.2801, 2: 0.29, 3: 0.31})
        # P = 0.28: only u = 0.2799 enrols; min(Σh, 1) = 0.3 would also enrol 0.2801, 0.29
        assert [state(model, i) for i in range(4)] == [ENROLLED, AWARE, AWARE, AWARE]

    def test_attribution_by_share_of_the_hazard(self, engine):
        # u/P below h_bc/Σh = 1/3 → broadcast: u = 0.09 (u/P = 0.32); u = 0.0957 → 0.342
        model = run(generated(self.TABLES, n=3, engine=engine), {0: 0.09, 1: 0.0957, 2: 0.27})
        assert [channel(model, i) for i in range(3)] == ["broadcast", "event", "event"]
        assert model.population.enrolments[CHANNELS.index("event")] == 2

    def test_no_hazard_no_enrolment_even_at_u_zero(self, engine):
        # trust 0: ρ = 0, so h_bc = 0 and P = 0; u = 0 is not below 0 (enrol iff u < P),
        # and without a mandate nobody disengages: the push only makes them aware
        model = run(generated({"broadcast": {"intensity": 1.0}}, n=2, trust=0.0,
                              engine=engine), {0: 0.0, 1: 0.0})
        assert [state(model, 0), state(model, 1)] == [AWARE, AWARE]


class TestResonanceAndShock:
    """§7.3: ρ = clip(σ + (1 − σ)τ + S(t)); S = size·2^(−(t − k)/half_life) from week k."""

    def test_shock_decays_by_half_lives(self):
        model = generated({"shock": {"week": 2, "size": 0.3, "half_life": 2.0}}, n=2)
        seen = [float(run(model, {}).population.resonance[0]) for _ in range(4)]
        # by hand: week 1: 0.5; 2: 0.5 + 0.3 = 0.8; 3: 0.5 + 0.3·2^(−1/2) = 0.712132;
        # 4: 0.5 + 0.15 = 0.65
        assert seen == pytest.approx([0.5, 0.8, 0.5 + 0.3 * 2 ** -0.5, 0.65], abs=1e-12)

    def test_codesign_lifts_resonance_and_the_broadcast_hazard(self, engine):
        tables = {"codesign": {"share": 0.4}, "broadcast": {"intensity": 0.5}}
        model = run(generated(tables, n=2, trust=0.25, engine=engine), {0: 0.2749, 1: 0.2751})
        # by hand: ρ = 0.4 + 0.6·0.25 = 0.55; h = 0.5·0.55 = 0.275
        assert model.population.resonance[0] == pytest.approx(0.55)
        assert [state(model, 0), state(model, 1)] == [ENROLLED, AWARE]


class TestManagerialPush:
    """§7.2: B(t), M(t) within start_week … end_week; E(t) in the event weeks."""

    def test_windows(self):
        tables = {"broadcast": {"intensity": 0.1, "start_week": 2, "end_week": 3},
                  "events": {"weeks": [2, 4], "reach": 0.2},
                  "mandate": {"pressure": 0.3, "start_week": 3, "end_week": 4, "backlash": 0.0}}
        model = generated(tables, n=2)
        pushes = [(lambda m: (m.push.broadcast, m.push.event, m.push.mandate))(run(model, {}))
                  for _ in range(5)]
        assert pushes == [(0, 0, 0), (0.1, 0.2, 0), (0.1, 0, 0.3), (0, 0.2, 0.3), (0, 0, 0)]

    def test_mandate_ignores_resonance(self, engine):
        # trust 0 → ρ = 0: broadcast cannot enrol; the mandate's hazard is M = 0.3 itself
        tables = {"broadcast": {"intensity": 1.0}, "mandate": {"pressure": 0.3, "backlash": 0.0}}
        model = run(generated(tables, n=2, trust=0.0, engine=engine), {0: 0.2999, 1: 0.3001})
        assert [channel(model, 0), state(model, 1)] == ["mandate", AWARE]

    def test_no_push_no_awareness(self, engine):
        model = run(generated({"broadcast": {"start_week": 3}}, n=2, engine=engine), {}, {})
        assert [state(model, 0), state(model, 1)] == [UNAWARE, UNAWARE]
        run(model, {})  # week 3: the broadcast reaches everyone
        assert [state(model, 0), state(model, 1)] == [AWARE, AWARE]


class TestMandateBacklash:
    """§7.10: given no enrolment, D with probability b = M·backlash·(1 − τ).
    M = 0.3, backlash 0.5, τ = 0.2: b = 0.3·0.5·0.8 = 0.12; P = 0.3, so D for
    0.3 ≤ u < 0.3 + 0.7·0.12 = 0.384 (the unconditional form would end at 0.42)."""

    def test_backlash_band(self, engine):
        tables = {"mandate": {"pressure": 0.3, "backlash": 0.5}}
        model = run(generated(tables, n=4, trust=0.2, engine=engine),
                    {0: 0.2999, 1: 0.3001, 2: 0.3839, 3: 0.3841})
        assert [state(model, i) for i in range(4)] == [ENROLLED, DISENGAGED, DISENGAGED, AWARE]


HYBRID = {"capacity": 10, "alignment": 0.5, "credibility": 0.8, "adapted_resonance": 0.9}


class TestHybridHazard:
    """§7.5: h = γ[αρ + (1 − α)m]. γ = 0.8, α = 0.5, ρ = 0.5, m = 0.9:
    h = 0.8·(0.25 + 0.45) = 0.56."""

    def test_hazard_and_enrolment(self, engine):
        model = run(generated({"hybrids": HYBRID}, n=2, hybrids=1, managers=0, engine=engine),
                    {0: 0.5599, 1: 0.5601})
        assert model.approaches.hybrid_hazard.tolist() == pytest.approx([0.56, 0.56])
        assert [channel(model, 0), state(model, 1)] == ["hybrid", AWARE]  # approached: aware

    def test_aware_first_and_one_hybrid_per_clinician(self):
        hybrids = {**HYBRID, "capacity": 1}
        model = run(generated({"hybrids": hybrids}, n=4, hybrids=2, managers=0), {})
        first = set(np.flatnonzero(model.approaches.hybrid_touched))
        assert len(first) == 2  # two hybrids, capacity 1, never the same clinician
        run(model, {})  # the two now aware are approached again, before the unaware
        assert set(np.flatnonzero(model.approaches.hybrid_touched)) == first

    def test_capacity_zero_approaches_nobody(self):
        model = run(generated({"hybrids": {**HYBRID, "capacity": 0}}, n=2, hybrids=1,
                              managers=0), {})
        assert not model.approaches.hybrid_touched.any()
        assert model.population.state.tolist() == [UNAWARE, UNAWARE]

    @pytest.mark.parametrize("approach", ["random", "aware_first"])
    def test_equals_are_chosen_at_random(self, approach):
        # 5 unaware, capacity 1: over 20 seeds the chosen one is not always the same
        # (all 20 alike by chance: 5·(1/5)^20 ≈ 5e-14)
        hybrids = {**HYBRID, "capacity": 1, "approach": approach}
        chosen = set()
        for seed in range(20):
            model = generated({"hybrids": hybrids, "seed": seed}, n=5, hybrids=1, managers=0)
            chosen.update(np.flatnonzero(run(model, {}).approaches.hybrid_touched).tolist())
        assert len(chosen) > 1

    @pytest.mark.parametrize("seed", range(5))
    def test_aware_first_takes_every_aware(self, seed):
        # week 1: capacity 2 makes 2 of 10 aware; week 2 the same 2 are approached
        hybrids = {**HYBRID, "capacity": 2}
        model = run(generated({"hybrids": hybrids, "seed": seed}, n=10, hybrids=1, managers=0),
                    {})
        aware = np.flatnonzero(model.population.state == AWARE).tolist()
        assert len(aware) == 2
        assert np.flatnonzero(run(model, {}).approaches.hybrid_touched).tolist() == aware

    def test_enrolled_and_disengaged_are_not_approached(self):
        # trust 0: h_hyb = 0.8·(0.5·0 + 0.5·0.9) = 0.36, P = 1 − 0.5·0.64 = 0.68, and
        # backlash b = 0.5·1·1 sends 0.68 ≤ u < 0.68 + 0.32·0.5 = 0.84 to D
        model = generated({"hybrids": HYBRID, "mandate": {"pressure": 0.5, "backlash": 1.0}},
                          n=3, hybrids=1, trust=0.0)
        run(model, {0: 0.0, 1: 0.8})
        assert [state(model, i) for i in range(3)] == [ENROLLED, DISENGAGED, AWARE]
        run(model, {})
        assert model.approaches.hybrid_touched.tolist() == [False, False, True]


class TestCredibility:
    """§7.5: γ' = γ + η(γmax(1 − c·α) − γ), after approaching with the old γ."""

    def credibility_after(self, alignment, weeks):
        hybrids = {**HYBRID, "alignment": alignment, "credibility": 0.7, "credibility_max": 0.9,
                   "credibility_rate": 0.1, "legitimacy_cost": 0.5}
        model = generated({"hybrids": hybrids}, n=2, hybrids=1, managers=0)
        return run(model, *[{}] * weeks)

    def test_aligned_hybrid_loses_credibility(self):
        # by hand: target 0.9·(1 − 0.5·0.8) = 0.54; 0.7 + 0.1·(0.54 − 0.7) = 0.684;
        # then 0.684 + 0.1·(0.54 − 0.684) = 0.6696
        assert self.credibility_after(0.8, 1).hybrids[0].credibility == pytest.approx(0.684)
        model = self.credibility_after(0.8, 2)
        assert model.hybrids[0].credibility == pytest.approx(0.6696)
        assert model.records.credibility[:3].tolist() == pytest.approx([0.7, 0.684, 0.6696])

    def test_mediating_hybrid_gains_credibility(self):
        # by hand: α = 0: target 0.9; 0.7 + 0.1·0.2 = 0.72
        assert self.credibility_after(0.0, 1).hybrids[0].credibility == pytest.approx(0.72)

    def test_approach_uses_credibility_before_the_update(self):
        model = self.credibility_after(0.8, 2)
        # week 2 approaches with γ = 0.684: 0.684·(0.8·0.5 + 0.2·0.9) = 0.684·0.58
        assert model.approaches.hybrid_hazard[0] == pytest.approx(0.684 * 0.58)


class TestAlignmentOwnershipFidelity:
    """§7.9: a hybrid's recruit has ownership 0.3 + 0.6(1 − α) and fidelity (1 − σ)α;
    co-design then adds (1 − o)σb to ownership."""

    @pytest.mark.parametrize("alignment, ownership, fidelity", [
        (0.25, 0.75, 0.25),   # 0.3 + 0.6·0.75 = 0.75; fidelity 1·0.25
        (0.9, 0.36, 0.9),     # 0.3 + 0.6·0.1 = 0.36; fidelity 0.9
    ])
    def test_alignment_sets_ownership_and_fidelity(self, engine, alignment, ownership, fidelity):
        model = run(generated({"hybrids": {**HYBRID, "alignment": alignment}}, n=1, hybrids=1,
                              managers=0, engine=engine), {0: 0.0})
        assert channel(model, 0) == "hybrid"
        assert value(model, "ownership", 0) == pytest.approx(ownership)
        assert value(model, "fidelity", 0) == pytest.approx(fidelity)

    def test_with_codesign(self, engine):
        tables = {"hybrids": {**HYBRID, "alignment": 0.25},
                  "codesign": {"share": 0.2, "ownership_boost": 0.5}}
        model = run(generated(tables, n=1, hybrids=1, managers=0, engine=engine), {0: 0.0})
        # by hand: 0.75 + 0.25·0.2·0.5 = 0.775; fidelity (1 − 0.2)·0.25 = 0.2
        assert value(model, "ownership", 0) == pytest.approx(0.775)
        assert value(model, "fidelity", 0) == pytest.approx(0.2)


class TestCodesignBoost:
    """§7.9, §5: every new enrolment gets o + (1 − o)σb; seeds do not."""

    def test_broadcast_recruit_boosted_seed_not(self, engine):
        tables = {"broadcast": {"intensity": 1.0, "ownership": 0.3},
                  "codesign": {"share": 0.4, "ownership_boost": 0.5}, "seeding": {"count": 1}}
        model = run(generated(tables, n=2, engine=engine), {0: 0.0, 1: 0.0})
        seed = int(np.flatnonzero(model.population.channel == CHANNELS.index("seed"))[0])
        recruit = 1 - seed
        assert channel(model, recruit) == "broadcast"
        # by hand: 0.3 + 0.7·0.4·0.5 = 0.44; the seed keeps 0.6 (no [peer]), no boost;
        # fidelity 1 − 0.4 = 0.6 for both
        assert value(model, "ownership", recruit) == pytest.approx(0.44)
        assert value(model, "ownership", seed) == pytest.approx(0.6)
        assert value(model, "fidelity", recruit) == value(model, "fidelity", seed) == \
            pytest.approx(0.6)


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

    @pytest.mark.parametrize("u, enrols", [(0.0999, True), (0.1001, False)])
    def test_bass_with_cynicism(self, tmp_path, engine, u, enrols):
        # x tied to a, b (seeds) and y. Week 1: b erodes (ε = 0.5, seed ownership 0).
        # Week 2: K = 1 − 0.5·1 = 0.5, W = 3, f = 1/6, h = q·f = 0.6/6 = 0.1
        # (ignoring cynicism: f = 1/3, h = 0.2)
        tables = {"peer": {"rule": "bass", "q": 0.6, "cynicism": 0.5, "ownership": 0.0},
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


class TestActivationAndIdeas:
    """§7.11–7.12: a = min(r·o, 1) given no erosion; ideas ι·o·(σ + (1 − σ)(1 − ᾱ))."""

    def seeds(self, tables, engine, hybrids=0):
        return generated({"seeding": {"count": 4}, **tables}, n=4, hybrids=hybrids, managers=0,
                         engine=engine)

    def test_activation_band_after_erosion(self, engine):
        # seeds: o = 0.6 (no [peer]); e = 0.5·0.4 = 0.2, a = 0.5·0.6 = 0.3:
        # D for u < 0.2, X for 0.2 ≤ u < 0.2 + 0.8·0.3 = 0.44
        model = run(self.seeds({"erosion": {"rate": 0.5}, "activation": {"rate": 0.5}}, engine),
                    {0: 0.1999, 1: 0.2001, 2: 0.4399, 3: 0.4401})
        assert [state(model, i) for i in range(4)] == [DISENGAGED, ACTIVE, ACTIVE, ENROLLED]

    @pytest.mark.parametrize("alignment, share, ideas", [
        (0.25, 0.0, 0.0225),   # 0.05·0.6·(1 − 0.25) per active clinician
        (0.25, 0.2, 0.024),    # 0.05·0.6·(0.2 + 0.8·0.75)
        (None, 0.2, 0.006),    # no hybrids: ᾱ = 1, openness σ: 0.05·0.6·0.2
    ])
    def test_ideas_from_the_active(self, engine, alignment, share, ideas):
        tables = {"activation": {"rate": 0.5, "ideas_rate": 0.05}}
        if alignment is not None:
            tables["hybrids"] = {**HYBRID, "alignment": alignment}
        if share:
            tables["codesign"] = {"share": share}
        model = run(self.seeds(tables, engine, hybrids=1 if alignment is not None else 0),
                    {0: 0.0}, {}, {})
        # week 1: 0 activates (nobody was active at its start: no ideas yet); weeks 2
        # and 3 add `ideas` each
        assert model.records.ideas[:4].tolist() == pytest.approx([0, 0, ideas, 2 * ideas])


class TestDrawBoundaries:
    """A transition happens iff u < its probability: a draw exactly equal to it never
    triggers it (the probabilities below are computed as the model computes them, so the
    equality is exact in floating point)."""

    def test_enrolment_and_backlash(self, engine):
        # mandate 0.5, trust 1: P = 0.5 and backlash b = 0.5·0.5·0 = 0; u = P: aware
        model = run(generated({"mandate": {"pressure": 0.5, "backlash": 0.5}}, n=1, trust=1.0,
                              engine=engine), {0: 0.5})
        assert state(model, 0) == AWARE

    def test_erosion_and_activation(self, engine):
        # seeds o = 0.6: e = 0.5·(1 − 0.6) = 0.2, a = 0.5·0.6 = 0.3; u = e: not eroded
        # (so it activates); u = e + (1 − e)·a: neither
        erode = 0.5 * (1.0 - 0.6)
        activate = 0.5 * 0.6
        model = generated({"seeding": {"count": 2}, "erosion": {"rate": 0.5},
                           "activation": {"rate": 0.5}}, n=2, managers=0, engine=engine)
        run(model, {0: erode, 1: erode + (1.0 - erode) * activate})
        assert [state(model, 0), state(model, 1)] == [ACTIVE, ENROLLED]


class TestErosionAndFatigue:
    """§7.11, §7.13: e = ε(1 − o)(1 + F) (× 0.5 when active), F' = F(1 − r) + λT;
    recovery D → A with probability `recovery`."""

    TABLES = {"seeding": {"count": 4}, "broadcast": {"intensity": 0.4},
              "fatigue": {"load": 0.5, "recovery": 0.1},
              "erosion": {"rate": 0.5, "active_factor": 0.5, "recovery": 0.3},
              "activation": {"rate": 1.0}}

    def test_erosion_grows_with_fatigue(self, engine):
        model = generated(self.TABLES, n=4, engine=engine)
        # week 1: F = 0: e = 0.5·0.4 = 0.2, a = 0.6: X for 0.2 ≤ u < 0.68
        run(model, {2: 0.5, 3: 0.5})
        assert model.population.fatigue.tolist() == pytest.approx([0.2] * 4)  # 0.5·0.4
        # week 2: e = 0.2·1.2 = 0.24 (enrolled), 0.12 (active)
        run(model, {0: 0.2399, 1: 0.2401, 2: 0.1199, 3: 0.1201})
        assert [state(model, i) for i in range(4)] == [DISENGAGED, ACTIVE, DISENGAGED, ACTIVE]
        run(model, {0: 0.2999, 2: 0.3})  # week 3: recovery iff u < 0.3
        assert [state(model, 0), state(model, 2)] == [AWARE, DISENGAGED]

    def test_fatigue_recursion_and_receptiveness(self, engine):
        tables = {"broadcast": {"intensity": 0.2}, "fatigue": {"load": 0.5, "recovery": 0.1}}
        model = generated(tables, n=2, engine=engine)
        run(model, {})
        # week 2: h = 0.2·0.5·(1 − 0.1) = 0.09
        run(model, {0: 0.0899, 1: 0.0901})
        assert [state(model, 0), state(model, 1)] == [ENROLLED, AWARE]
        run(model, {})
        # by hand: 0.1, 0.1·0.9 + 0.1 = 0.19, 0.19·0.9 + 0.1 = 0.271
        assert model.population.fatigue.tolist() == pytest.approx([0.271, 0.271])


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
        run(model, {"x": 0.5099, "y": 0.3001})
        # by hand: x by two champions: 1 − 0.7² = 0.51; y by one: 0.3
        assert model.approaches.champion_hazard.tolist() == pytest.approx([0, 0, 0.51, 0.3])
        assert [channel(model, "x"), state(model, "y")] == ["champion", AWARE]
        assert value(model, "ownership", "x") == pytest.approx(0.65)
        run(model, {})  # week 2: the aware y is approached again, the enrolled x not
        assert model.approaches.champion_hazard.tolist() == pytest.approx([0, 0, 0, 0.3])

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

    def test_chosen_by_degree(self, tmp_path):
        tables = {"champions": {"rule": "degree"}}
        model = from_graph(tmp_path, tables, [("hub", n) for n in "abc"] + [("a", "b")],
                           {n: {} for n in ["hub", "a", "b", "c"]}, champions=1)
        assert [n for n in model.population.nodes if channel(model, n) == "seed"] == ["hub"]


class TestHybridsLeave:
    """§7.4: round(share × present) hybrids leave in leave_week; a department with
    none left has alignment 1 (ideas only through co-design)."""

    @pytest.mark.parametrize("share, left", [(0.5, 2), (0.3, 3), (1.0, 0)])
    def test_how_many_leave(self, share, left):
        hybrids = {**HYBRID, "leave_week": 2, "leave_share": share, "alignment": 0.4}
        model = run(generated({"hybrids": hybrids}, n=2, hybrids=4, managers=0), {}, {}, {})
        # round(0.3·4) = 1 leaves
        assert model.records.hybrids[:4].tolist() == [4, 4, left, left]
        assert model.department_alignment().tolist() == pytest.approx([0.4 if left else 1.0])


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

    def test_too_many_seeds(self):
        with pytest.raises(ScenarioError, match="asks for 4 seeds but only 3"):
            generated({"seeding": {"count": 4}}, n=3, managers=0)


def test_agents_carry_their_graph_nodes(tmp_path):
    nodes = {"boss": {"role": "manager"}, "lead": {"role": "hybrid"}, "a": {}}
    model = from_graph(tmp_path, {"hybrids": HYBRID, "broadcast": {}}, [("lead", "a")], nodes)
    assert [m.node for m in model.managers] == ["boss"]
    assert [h.node for h in model.hybrids] == ["lead"] and model.managers[0].lead


def test_summary_reads_the_world():
    """outcomes.summarise on a hand-made end state: 2 of 4 enrolled, 1 active."""
    model = run(generated({"seeding": {"count": 2}, "activation": {"rate": 1.0}}, n=4,
                          managers=0), {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0})
    summary = summarise(model)
    # seeds o = 0.6, a = 0.6: both active by u = 0 (X counts as enrolled)
    assert summary["final_enrolled_share"] == 0.5 and summary["active_share"] == 0.5
    assert summary["mean_ownership"] == pytest.approx(0.6)
    assert summary["campaign_enrolments"] == 0 and summary["enrolments"] == 2
