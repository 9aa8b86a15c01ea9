"""Channel attribution and ownership at enrolment, checked against hand calculation.

Two kinds of channel credit (docs/model.md §7.8): the hazard-share pick (each enrolment to
one channel, with probability h_c / Σh) and the counterfactual count: channel c was
necessary when the same draw would not have enrolled without it,
u ≥ 1 − Π_{c' ≠ c}(1 − h_c'). The worlds below make the hazards exact numbers, so the
counts follow by hand from the week's draws; every case runs under both engines.
"""

import numpy as np
import pytest

import campaignsim
from campaignsim.rules import needed_counts
from campaignsim.scenario import validate_scenario

STAFF = {"departments": 2, "clinicians_per_department": 40, "hybrids_per_department": 2,
         "managers": 1, "within_department_density": 0.25, "between_department_density": 0.02}
# alignment 0 with adapted resonance 1: every approached clinician's hybrid hazard is the
# hybrid's credibility, 0.5 in week 1; capacity 10 approaches half the hospital
HYBRIDS = {"capacity": 10, "alignment": 0.0, "credibility": 0.5, "adapted_resonance": 1.0,
           "ownership_base": 0.3, "ownership_mediation": 0.6}
ENGINES = ("vectorised", "agents")


def first_week(engine: str, **tables):
    spec = validate_scenario({"weeks": 1, "engine": engine, "staff": STAFF,
                              "clinicians": {"trust_in_management": 1.0}, **tables})
    return campaignsim.run(spec, seed=5)


def test_needed_counts_by_hand():
    # h = (0.5, 1): with the peer's certainty the hybrid is never necessary; the peer is
    # necessary when u ≥ 1 − (1 − 0.5) = 0.5
    u = np.array([0.1, 0.49, 0.5, 0.9])
    assert needed_counts([np.full(4, 0.5), np.ones(4)], u).tolist() == [0, 2]
    # h = (0.5, 0.5), P = 0.75: for 0.5 ≤ u < 0.75 each channel alone falls short, so both
    # are necessary (jointly); below 0.5 either suffices, so neither is
    assert needed_counts([np.full(2, 0.5), np.full(2, 0.5)],
                         np.array([0.2, 0.6])).tolist() == [1, 1]
    # a channel that reaches nobody (None) is needed by none
    assert needed_counts([None, np.array([0.3])], np.array([0.1])).tolist() == [0, 1]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_met_threshold_makes_the_hybrid_unnecessary(engine):
    """h_hybrid = 0.5, h_peer = 1 (threshold 0): everyone enrols in week 1. The hybrid is
    never necessary; the peer is necessary for the unapproached, and for the approached
    when u ≥ 0.5; the hazard share credits the hybrid when u / 1 < 0.5 / 1.5."""
    result = first_week(engine, hybrids=HYBRIDS, peer={"rule": "threshold", "threshold": 0.0})
    model = result.model
    assert model.has_neighbours.all()
    u, approached = model.week.draws, model.approaches.hybrid_touched
    assert 20 < approached.sum() < len(u)  # both groups are there
    summary = result.summary
    assert summary["campaign_enrolments"] == len(u)
    assert summary["enrolments_needing_channel"]["hybrid"] == 0
    assert summary["enrolments_needing_channel"]["peer"] == int(
        (~approached).sum() + (approached & (u >= 0.5)).sum())
    assert summary["hazard_share_enrolments"]["hybrid"] == int((approached & (u < 1 / 3)).sum())
    assert summary["hazard_share_enrolments"]["hybrid"] > 0  # credited, never needed
    ts = result.timeseries
    assert ts["needed:hybrid"].tolist() == [0, 0]
    assert ts["needed:peer"].iloc[-1] == summary["enrolments_needing_channel"]["peer"]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_half_hazards_can_both_be_necessary(engine):
    """h_broadcast = 0.5 (intensity 0.5, trust 1, no fatigue), h_hybrid = 0.5 for the
    approached, so P = 0.75 for them and 0.5 for the rest. Both channels are necessary
    when 0.5 ≤ u < 0.75; the broadcast alone for the unapproached who enrol."""
    result = first_week(engine, hybrids=HYBRIDS, broadcast={"intensity": 0.5})
    u, approached = result.model.week.draws, result.model.approaches.hybrid_touched
    jointly = approached & (u >= 0.5) & (u < 0.75)
    assert jointly.sum() > 0
    summary = result.summary
    assert summary["campaign_enrolments"] == int((approached & (u < 0.75)).sum()
                                                 + (~approached & (u < 0.5)).sum())
    assert summary["enrolments_needing_channel"]["hybrid"] == int(jointly.sum())
    assert summary["enrolments_needing_channel"]["broadcast"] == int(
        jointly.sum() + (~approached & (u < 0.5)).sum())


@pytest.mark.parametrize("engine", ENGINES)
def test_ownership_and_fidelity_at_enrolment_against_the_survivors(engine):
    """Broadcast enrolments own 0.3 with fidelity 1; hybrid ones (alignment 0) own
    0.3 + 0.6·(1 − 0) = 0.9 with fidelity (1 − σ)·0 = 0. The mean at enrolment is the
    count-weighted mean of these over campaign enrolments; the 5 seeds (ownership 0.6)
    are excluded. Erosion 0.5·(1 − o) removes low owners first, so the survivors' mean
    is higher."""
    spec = validate_scenario({
        "weeks": 12, "engine": engine, "staff": STAFF, "seeding": {"count": 5},
        "clinicians": {"trust_in_management": 1.0}, "hybrids": HYBRIDS,
        "broadcast": {"intensity": 0.05}, "erosion": {"rate": 0.5}})
    summary = campaignsim.run(spec, seed=5).summary
    by_channel = summary["hazard_share_enrolments"]
    broadcast, hybrid = by_channel["broadcast"], by_channel["hybrid"]
    assert broadcast > 10 and hybrid > 10 and by_channel["seed"] == 5
    assert broadcast + hybrid == summary["campaign_enrolments"]
    assert summary["mean_ownership_at_enrolment"] == pytest.approx(
        (0.3 * broadcast + 0.9 * hybrid) / (broadcast + hybrid), abs=1e-12)
    assert summary["mean_fidelity_at_enrolment"] == pytest.approx(
        broadcast / (broadcast + hybrid), abs=1e-12)
    assert summary["mean_ownership_of_enrolled_now"] > summary["mean_ownership_at_enrolment"]
