"""The formulas of rules.py called directly, against numbers worked out by hand.

Each test names the equation of docs/model.md (§7) it checks and shows the arithmetic in
a comment, so a wrong formula fails with the expected and the computed number side by
side. The model-level consequences (who enrols, through which channel, with what
ownership) are in test_mechanisms.py; here every input is chosen by hand and nothing is
random. Values are compared with `pytest.approx` (relative 1e-12): the formulas are
exact arithmetic on a handful of numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from campaignsim.rules import (CHANNEL, Terms, awareness_probability, becomes_aware,
                               commitment, enrol_probability,
                               enrolment_fidelity, enrolment_ownership, erosion_hazard,
                               next_fatigue, peer_hazard, pick_channel, resonance)
from campaignsim.scenario import CHANNELS, validate_scenario

NEUTRAL = dict(sigma=0.0, codesign_boost=0.0, channel_ownership=np.zeros(len(CHANNELS)),
               hybrid_base=0.0, hybrid_mediation=0.0, peer_on=False, erosion_rate=0.0,
               erosion_active_factor=1.0, recovery=0.0, activation_rate=0.0, ideas_rate=0.0,
               activation_on=False, fatigue_on=False, fatigue_load=0.0, fatigue_recovery=0.0,
               backlash=0.0, peer_rule=None, peer_q=0.0, peer_cynicism=0.0,
               awareness_on=False, unaware_enrol=True, aware_broadcast=0.0, aware_event=0.0,
               aware_mandate=0.0, aware_approach=0.0, aware_neighbour=0.0)


def terms(**changes) -> Terms:
    """Terms with every mechanism neutral except `changes`."""
    return Terms(**{**NEUTRAL, **changes})


def hazards(**by_channel) -> list[float]:
    """A hazard per channel (in CHANNELS order), 0 unless given."""
    return [by_channel.get(name, 0.0) for name in CHANNELS]


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-15)


class TestResonance:
    """§7.3: ρ = clip(σ + (1 − σ)·τ + S, 0, 1)."""

    def test_codesign_share_and_trust(self):
        # by hand: 0.3 + 0.7·0.5 = 0.65
        assert resonance(0.3, 0.5, 0.0) == approx(0.65)
        # no co-design: resonance is trust itself; full co-design: 1 whatever the trust
        assert resonance(0.0, 0.2, 0.0) == approx(0.2)
        assert resonance(1.0, 0.0, 0.0) == approx(1.0)

    def test_shock_adds_and_is_clipped_at_one(self):
        # by hand: 0.1 + 0.9·0.4 + 0.2 = 0.66; 0.1 + 0.9·0.9 + 0.3 = 1.21 → 1
        assert resonance(0.1, np.array([0.4, 0.9]), 0.2).tolist() == approx([0.66, 1.0])
        assert resonance(0.1, 0.9, 0.3) == 1.0

    def test_never_below_zero(self):
        assert resonance(0.0, 0.0, 0.0) == 0.0


class TestPeerHazard:
    """§7.7: threshold, independent cascade and Bass imitation."""

    def test_threshold_met_exactly_counts(self):
        # f ≥ θ (not >): a share equal to the threshold enrols; below it does not
        share = np.array([0.25, 0.2499, 0.6, 0.0])
        threshold = np.array([0.25, 0.25, 0.5, 0.0])
        neighbours = np.array([True, True, False, True])
        hazard = peer_hazard("threshold", share, share * 4, threshold, 0.9, neighbours)
        # the third meets its threshold but has no neighbours; the fourth has θ = 0
        assert hazard.tolist() == [1.0, 0.0, 0.0, 1.0]

    def test_cascade_each_enrolled_neighbour_persuades_independently(self):
        # by hand: 1 − (1 − 0.2)^3 = 1 − 0.512 = 0.488; one neighbour: q = 0.2
        count = np.array([3.0, 1.0, 0.0, -1.5])
        hazard = peer_hazard("cascade", count / 4, count, 0.0, 0.2, np.ones(4, bool))
        # a net-negative count (cynicism) gives 0, not a negative hazard
        assert hazard.tolist() == approx([0.488, 0.2, 0.0, 0.0])
        assert float(peer_hazard("cascade", 0.5, 2.0, 0.0, 0.5, True)) == approx(0.75)

    def test_cascade_keeps_the_shape_of_a_scalar(self):
        assert np.shape(peer_hazard("cascade", 0.5, 2.0, 0.0, 0.5, True)) == ()

    def test_bass_imitation(self):
        # by hand: q·max(f, 0) = 0.3·0.5 = 0.15; f = −0.25 (cynics) → 0
        hazard = peer_hazard("bass", np.array([0.5, -0.25, 1.0]), np.zeros(3), 0.0, 0.3,
                             np.ones(3, bool))
        assert hazard.tolist() == approx([0.15, 0.0, 0.3])


class TestChannelCombination:
    """§7.8: P(enrol) = 1 − Π_c (1 − h_c), not min(Σh, 1)."""

    def test_independent_hazards(self):
        # by hand: 1 − (1 − 0.5)(1 − 0.2)(1 − 0.1) = 1 − 0.36 = 0.64 (Σh would give 0.8)
        assert enrol_probability([0.5, 0.2, 0.1]) == approx(0.64)
        # two certain-looking halves: 1 − 0.5·0.5 = 0.75 (Σh would give 1)
        assert enrol_probability([0.5, 0.5]) == approx(0.75)

    def test_elementwise_over_clinicians(self):
        # by hand: 1 − 0.9·0.7 = 0.37; 1 − 1·0 = 1
        p = enrol_probability([np.array([0.1, 0.0]), np.array([0.3, 1.0])])
        assert p.tolist() == approx([0.37, 1.0])

    def test_no_channel_no_enrolment(self):
        assert enrol_probability([]) == 0.0
        assert enrol_probability(hazards()) == 0.0


class TestAttribution:
    """§7.8: u/P picks channel c with probability h_c / Σh (first c whose cumulative share
    exceeds u/P, channels in the order of CHANNELS)."""

    # broadcast 0.2, hybrid 0.6, peer 0.2: cumulative shares 0.2 (broadcast, event,
    # mandate), 0.8 (hybrid), 1.0 (peer, champion)
    H = hazards(broadcast=0.1, hybrid=0.3, peer=0.1)

    @pytest.mark.parametrize("pick, channel", [
        (0.0, "broadcast"), (0.1999, "broadcast"),
        (0.2, "hybrid"),       # the boundary belongs to the next channel with a hazard
        (0.7999, "hybrid"), (0.8, "peer"), (0.9999, "peer")])
    def test_boundaries_are_the_cumulative_shares(self, pick, channel):
        assert CHANNELS[int(pick_channel(self.H, pick))] == channel

    def test_vectorised_picks(self):
        columns = [np.full(3, h) for h in self.H]
        picked = pick_channel(columns, np.array([0.05, 0.5, 0.95]))
        assert [CHANNELS[c] for c in picked] == ["broadcast", "hybrid", "peer"]

    def test_uniform_pick_gives_proportional_shares(self):
        # a grid of u/P over [0, 1): the shares are h_c/Σh = 0.2, 0.6, 0.2 up to 1/1000
        picks = (np.arange(1000) + 0.5) / 1000
        picked = pick_channel([np.full(1000, h) for h in self.H], picks)
        shares = np.bincount(picked, minlength=len(CHANNELS)) / 1000
        assert shares[CHANNEL["broadcast"]] == approx(0.2)
        assert shares[CHANNEL["hybrid"]] == approx(0.6)
        assert shares[CHANNEL["peer"]] == approx(0.2)

    def test_pick_of_one_stays_a_channel(self):
        # u/P < 1 always; a rounding to 1 still names the last channel, never past it
        assert pick_channel(hazards(champion=0.5), 1.0) == CHANNEL["champion"]


class TestOwnershipAtEnrolment:
    """§7.9: ownership by channel; a hybrid's 0.3 + 0.6(1 − α); co-design adds (1 − o)σb."""

    OWN = np.array([0.0, 0.3, 0.35, 0.1, 0.0, 0.6, 0.65])  # seed, bc, ev, md, hyb, peer, ch

    def test_by_channel(self):
        t = terms(channel_ownership=self.OWN, hybrid_base=0.3, hybrid_mediation=0.6)
        channels = np.array([CHANNEL[c] for c in ("broadcast", "event", "mandate", "peer",
                                                  "champion")])
        assert enrolment_ownership(t, channels, np.zeros(5)).tolist() == approx(
            [0.3, 0.35, 0.1, 0.6, 0.65])

    def test_hybrid_ownership_falls_with_alignment(self):
        t = terms(channel_ownership=self.OWN, hybrid_base=0.3, hybrid_mediation=0.6)
        hybrid = np.full(3, CHANNEL["hybrid"])
        # by hand: 0.3 + 0.6·(1 − α) for α = 0, 0.8, 1: 0.9, 0.42, 0.3
        assert enrolment_ownership(t, hybrid, np.array([0.0, 0.8, 1.0])).tolist() == approx(
            [0.9, 0.42, 0.3])

    def test_codesign_boost(self):
        t = terms(channel_ownership=self.OWN, hybrid_base=0.3, hybrid_mediation=0.6,
                  sigma=0.4, codesign_boost=0.5)
        channels = np.array([CHANNEL["broadcast"], CHANNEL["hybrid"], CHANNEL["mandate"]])
        # by hand: o + (1 − o)·σ·b with σb = 0.2: 0.3 + 0.7·0.2 = 0.44;
        # hybrid α = 0.5: o = 0.6 → 0.6 + 0.4·0.2 = 0.68; mandate 0.1 + 0.9·0.2 = 0.28
        owned = enrolment_ownership(t, channels, np.array([0.0, 0.5, 0.0]))
        assert owned.tolist() == approx([0.44, 0.68, 0.28])


class TestFidelityAtEnrolment:
    """§7.9: fidelity 1 − σ; a hybrid's (1 − σ)·α; peers and champions inherit."""

    def test_by_channel_and_alignment(self):
        t = terms(sigma=0.25, peer_on=True)
        channels = np.array([CHANNEL[c] for c in ("broadcast", "mandate", "hybrid", "hybrid",
                                                  "peer", "champion")])
        alignment = np.array([0.0, 0.0, 0.8, 0.2, 0.0, 0.0])
        neighbours = np.array([0.1, 0.1, 0.1, 0.1, 0.55, 0.45])
        # by hand: 0.75, 0.75, 0.75·0.8 = 0.6, 0.75·0.2 = 0.15, then inherited 0.55, 0.45
        assert enrolment_fidelity(t, channels, alignment, neighbours).tolist() == approx(
            [0.75, 0.75, 0.6, 0.15, 0.55, 0.45])

    def test_champion_converts_inherit_only_with_peer_influence(self):
        t = terms(sigma=0.25, peer_on=False)
        channels = np.array([CHANNEL["champion"], CHANNEL["peer"]])
        assert enrolment_fidelity(t, channels, np.zeros(2), np.array([0.4, 0.4])).tolist() == \
            approx([0.75, 0.75])


class TestCommitment:
    """§7.11: what ownership fixes: erosion base ε(1 − o) and activation min(a·o, 1)."""

    def test_erosion_base_and_activation(self):
        t = terms(erosion_rate=0.02, activation_rate=0.1)
        base, activation = commitment(t, np.array([0.3, 1.0]))
        # by hand: 0.02·0.7 = 0.014, 0.02·0 = 0; activation 0.1·0.3 = 0.03, 0.1
        assert base.tolist() == approx([0.014, 0.0])
        assert activation.tolist() == approx([0.03, 0.1])

    def test_activation_capped_at_one(self):
        # by hand: 3·0.5 = 1.5 → 1; 3·0.2 = 0.6
        _, activation = commitment(terms(activation_rate=3.0), np.array([0.5, 0.2]))
        assert activation.tolist() == approx([1.0, 0.6])


class TestErosion:
    """§7.11: e = ε(1 − o)(1 + F), × active_factor for the active."""

    def test_fatigue_raises_erosion(self):
        t = terms(erosion_active_factor=0.5, fatigue_on=True)
        base = np.array([0.014, 0.014, 0.014])
        # by hand: 0.014·(1 + 0.5) = 0.021; active: 0.021·0.5 = 0.0105; no fatigue 0.014
        e = erosion_hazard(t, base, np.array([0.5, 0.5, 0.0]), np.array([False, True, False]))
        assert e.tolist() == approx([0.021, 0.0105, 0.014])

    def test_without_fatigue_mechanism_fatigue_is_ignored(self):
        t = terms(erosion_active_factor=0.5, fatigue_on=False)
        e = erosion_hazard(t, np.array([0.014, 0.014]), np.array([0.9, 0.9]),
                           np.array([False, True]))
        assert e.tolist() == approx([0.014, 0.007])


class TestFatigueRecursion:
    """§7.13: F(t) = clip(F(t − 1)(1 − r) + λT(t), 0, 1)."""

    def test_one_week(self):
        t = terms(fatigue_on=True, fatigue_load=0.5, fatigue_recovery=0.1)
        # by hand: 0.2·0.9 + 0.5·0.1 = 0.23; 0·0.9 + 0.5·0.1 = 0.05
        assert next_fatigue(t, np.array([0.2, 0.0]), 0.1).tolist() == approx([0.23, 0.05])

    def test_baseline_launch_week_and_steady_state(self):
        t = terms(fatigue_on=True, fatigue_load=0.5, fatigue_recovery=0.1)
        # §7.13: the launch week's tempo 0.02 + 0.3 (broadcast + event) gives F = 0.16
        assert next_fatigue(t, 0.0, 0.32) == approx(0.16)
        # a steady broadcast B = 0.02 tends to λB/r = 0.1
        fatigue = 0.0
        for _ in range(400):
            fatigue = next_fatigue(t, fatigue, 0.02)
        assert fatigue == pytest.approx(0.1, abs=1e-12)

    def test_clipped_at_one_and_off_means_unchanged(self):
        t = terms(fatigue_on=True, fatigue_load=2.0, fatigue_recovery=0.0)
        assert next_fatigue(t, np.array([0.9]), 1.0).tolist() == [1.0]
        off = np.array([0.3])
        assert next_fatigue(terms(fatigue_load=2.0), off, 1.0) is off


class TestTermsOfScenario:
    """Terms.of reads each mechanism's constants, with neutral values when it is off."""

    def test_everything_on(self):
        s = validate_scenario({
            "broadcast": {"ownership": 0.31}, "events": {"ownership": 0.32},
            "mandate": {"ownership": 0.11, "backlash": 0.4},
            "peer": {"ownership": 0.61}, "champions": {"convert_ownership": 0.62},
            "codesign": {"share": 0.35, "ownership_boost": 0.45},
            "hybrids": {"ownership_base": 0.25, "ownership_mediation": 0.55},
            "erosion": {"rate": 0.03, "active_factor": 0.4, "recovery": 0.05},
            "activation": {"rate": 0.12, "ideas_rate": 0.06},
            "fatigue": {"load": 0.45, "recovery": 0.15},
            "staff": {"champions": 2}})
        t = Terms.of(s)
        assert t.channel_ownership.tolist() == [0.0, 0.31, 0.32, 0.11, 0.0, 0.61, 0.62]
        assert (t.sigma, t.codesign_boost) == (0.35, 0.45)
        assert (t.hybrid_base, t.hybrid_mediation, t.peer_on) == (0.25, 0.55, True)
        assert (t.erosion_rate, t.erosion_active_factor, t.recovery) == (0.03, 0.4, 0.05)
        assert (t.activation_rate, t.ideas_rate, t.activation_on) == (0.12, 0.06, True)
        assert (t.fatigue_on, t.fatigue_load, t.fatigue_recovery) == (True, 0.45, 0.15)
        assert t.backlash == 0.4

    def test_everything_off_is_neutral(self):
        t = Terms.of(validate_scenario({}))
        for name, neutral in NEUTRAL.items():
            assert np.array_equal(getattr(t, name), neutral), name


class TestAwareness:
    """§7.10 with `[awareness]`: A = 1 − Π_c (1 − a_c) over the channels reaching the
    clinician, and aware iff u − P − (1 − P)·b < (1 − P)(1 − b)·A."""

    AWARE = dict(awareness_on=True, unaware_enrol=False, aware_broadcast=0.2, aware_event=0.5,
                 aware_mandate=0.4, aware_approach=0.9, aware_neighbour=0.1)

    def test_only_the_channels_that_reach(self):
        t = terms(**self.AWARE)
        # by hand: broadcast and event: 1 − 0.8·0.5 = 0.6; mandate alone: 0.4;
        # approached, no push: 0.9; nothing reaches: 0
        assert float(awareness_probability(t, True, True, False, False, 0.0)) == approx(0.6)
        assert float(awareness_probability(t, False, False, True, False, 0.0)) == approx(0.4)
        assert float(awareness_probability(t, False, False, False, True, 0.0)) == approx(0.9)
        assert float(awareness_probability(t, False, False, False, False, 0.0)) == 0.0

    def test_neighbours_each_a_chance(self):
        t = terms(**self.AWARE)
        # by hand: K = 3 enrolled neighbours: 1 − 0.9³ = 0.271; with the broadcast too:
        # 1 − 0.8·0.729 = 0.4168; a champion of weight 2.5 counts 2.5 times
        got = awareness_probability(t, False, False, False, np.array([False, False, False]),
                                    np.array([3.0, 0.0, 2.5]))
        assert got.tolist() == approx([0.271, 0.0, 1 - 0.9 ** 2.5])
        assert float(awareness_probability(t, True, False, False, False, 3.0)) == approx(0.4168)

    def test_the_draw_left_after_enrolment_and_backlash(self):
        # P = 0.2, b = 0.5, A = 0.5: enrol [0, 0.2), backlash [0.2, 0.6), aware [0.6, 0.8)
        u = np.array([0.6, 0.7999, 0.8001, 0.95])
        assert becomes_aware(u, 0.2, 0.5, 0.5).tolist() == [True, True, False, False]
        # no backlash (b = 0), P = 0 (the unaware who cannot enrol): aware iff u < A
        assert becomes_aware(np.array([0.4999, 0.5001]), 0.0, 0.0, 0.5).tolist() == [True, False]
