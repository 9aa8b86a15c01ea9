"""The enrolment channels of docs/model.md (§7.2–7.10, §7.5, §7.9) in worlds of one to
ten clinicians with chosen draws (see worlds.py): channel combination and attribution,
resonance and shock, the push and its windows, mandate backlash, the hybrid hazard and
whom hybrids approach, credibility drift, alignment → ownership and fidelity, the
co-design boost, and the rule "a transition happens iff u < p". Tests that go through
clinicians' decisions run under both engines (`engine` fixture).
"""

from __future__ import annotations

import numpy as np
import pytest

from campaignsim.agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from campaignsim.scenario import CHANNELS
from worlds import HYBRID, channel, generated, run, state, value
from worlds import engine  # noqa: F401 (the fixture: both engines)


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

    def test_recorded_credibility_is_the_mean_over_hybrids(self):
        # two hybrids of α = 0.8 start at 0.7 and both move to 0.684: the mean, not the sum
        hybrids = {**HYBRID, "alignment": 0.8, "credibility": 0.7}
        model = run(generated({"hybrids": hybrids}, n=2, hybrids=2, managers=0), {})
        assert model.records.credibility[:2].tolist() == pytest.approx([0.7, 0.684])

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
