"""Two independent implementations of the clinician's week compute the same trajectories.

The vectorised engine (`dynamics.decide_all` with the formulas of rules.py, arrays over
all clinicians) and the reference engine (reference.py: each clinician's Mesa step,
plain Python written again from the equations of docs/model.md, importing nothing from
rules.py or dynamics.py) share only the random draws, the managers' push, the hybrids'
and champions' approaches and the state arrays. So these tests prove more than correct
vectorisation: a formula written wrong in one implementation (enrolment ownership,
fatigue, erosion, the channel combination, ...) makes the two disagree, unless the same
mistake was made in both. `test_a_wrong_rule_breaks_the_equivalence` shows it.

Floating point: both evaluate every formula in the same order (the peer sums run over
each clinician's ties in CSR order, as scipy's sparse product does; products and
cumulative sums of the channel hazards run in channel order; the week's ideas and the
ownership and fidelity of the week's enrolments are summed by numpy over arrays in
clinician order), so they agree exactly, not approximately. The one place
where numpy rounds differently is `pow` on AVX-512 CPUs (its vectorised loop and its
scalar path differ in the last bit for about 5 % of inputs); the cascade hazard therefore
goes through numpy's array loop for one clinician too. Without that, a flipped draw
would need u to fall within one ulp of the hazard: about 1e-16 per decision, but the tests
would not show it, so we removed it.
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import campaignsim
from campaignsim import dynamics, kernels, population, rules
from campaignsim.agents import Clinician
from campaignsim.model import CampaignModel
from campaignsim.scenario import validate_scenario

SCENARIOS = sorted(Path("scenarios").glob("*.toml"))

STAFF = {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 2,
         "managers": 2, "within_department_density": 0.25, "between_department_density": 0.02}
MECHANISMS = {
    "broadcast": {"intensity": 0.05},
    "events": {"weeks": [1, 4, 9], "reach": 0.3},
    "mandate": {"start_week": 3, "pressure": 0.1, "backlash": 0.8},
    "codesign": {"share": 0.4},
    "hybrids": {"capacity": 3, "alignment": {"distribution": "uniform", "low": 0, "high": 1},
                "leave_week": 6, "leave_share": 0.5},
    "champions": {"rule": "degree", "weight": 2.5, "capacity": 2, "persuasion": 0.3},
    "peer": {"rule": "threshold", "threshold": {"distribution": "normal", "mean": 0.2, "sd": 0.1},
             "cynicism": 0.5},
    "activation": {"rate": 0.3},
    "fatigue": {"load": 0.8, "recovery": 0.2},
    "erosion": {"rate": 0.1, "recovery": 0.1},
    "shock": {"week": 4, "size": 0.4},
}
#: awareness as a process, kept out of MECHANISMS so that the mutants below run on the
#: run they were chosen for; it has its own tests
AWARENESS = {"broadcast": 0.1, "event": 0.4, "mandate": 0.5, "approach": 0.7, "neighbour": 0.2}
ARRAYS = ("state", "ownership", "fidelity", "channel", "enrolled_week", "fatigue",
          "erosion_base", "activation", "enrolments", "needed")


def scenario(tables: dict, engine: str = "vectorised", seeds: int = 4):
    staff = dict(STAFF, champions=6 if "champions" in tables else 0)
    return validate_scenario({"weeks": 15, "engine": engine, "staff": staff,
                              "seeding": {"count": seeds, "rule": "random"}, **tables})


def assert_same_run(tables: dict, seed: int = 3):
    return assert_same_runs(scenario(tables), seed)


def assert_same_runs(spec, seed: int):
    """Run `spec` under both engines and assert identical records, arrays and summary."""
    fast = campaignsim.run(spec.with_overrides(engine="vectorised"), seed=seed)
    reference = campaignsim.run(spec.with_overrides(engine="agents"), seed=seed)
    # the engines really differ in how they compute
    assert fast.model.spec.engine == "vectorised" and reference.model.spec.engine == "agents"
    assert fast.timeseries.equals(reference.timeseries)
    for name in ARRAYS:
        assert np.array_equal(getattr(fast.model.population, name),
                              getattr(reference.model.population, name)), name
    assert fast.model.ideas == reference.model.ideas
    assert fast.summary == {**reference.summary}
    return fast


@pytest.mark.parametrize("mechanism", sorted([*MECHANISMS, "awareness"]))
def test_each_mechanism_alone(mechanism):
    tables = {mechanism: {**MECHANISMS, "awareness": AWARENESS}[mechanism]}
    if mechanism in ("activation", "erosion", "fatigue", "codesign", "shock", "awareness"):
        tables["broadcast"] = MECHANISMS["broadcast"]  # something to act on
    assert_same_run(tables)


@pytest.mark.parametrize("rule", ["threshold", "cascade", "bass"])
def test_every_mechanism_together(rule):
    tables = dict(MECHANISMS, peer={**MECHANISMS["peer"], "rule": rule, "q": 0.15})
    result = assert_same_run(tables, seed=11)
    summary = result.summary
    # the comparison is not vacuous: the run used many channels and transitions
    used = [c for c, v in summary["hazard_share_enrolments"].items() if v]
    assert len(used) >= 5
    assert summary["disengaged_share"] > 0 and summary["active_share"] > 0


@pytest.mark.parametrize("rule", ["threshold", "cascade", "bass"])
@pytest.mark.parametrize("unaware_enrol", [False, True])
def test_awareness_as_a_process_under_every_peer_rule(rule, unaware_enrol):
    """[awareness] with and without enrolment of the unaware, each peer rule: identical,
    and awareness really is gradual (some clinicians still unaware after week 1)."""
    tables = dict(MECHANISMS, peer={**MECHANISMS["peer"], "rule": rule, "q": 0.15},
                  awareness={**AWARENESS, "unaware_enrol": unaware_enrol})
    result = assert_same_run(tables, seed=5)
    assert result.timeseries["unaware"].iloc[1] > 0


def test_reference_engine_steps_every_clinician_agent(monkeypatch):
    calls = []
    original = Clinician.step

    def counting(self):
        calls.append(self.index)
        original(self)

    monkeypatch.setattr(Clinician, "step", counting)
    result = campaignsim.run(scenario({"broadcast": {}}, engine="agents"), weeks=2)
    n = len(result.model.population)
    assert sorted(calls) == sorted(list(range(n)) * 2)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_identical_under_both_engines(path):
    """Every bundled scenario file, full length, its own hospital and seed."""
    spec = campaignsim.load_scenario(path)
    result = assert_same_runs(spec, seed=spec.seed)
    assert result.summary["campaign_enrolments"] > 0


def _ownership_without_codesign(terms, channel, alignment):
    return rules.enrolment_ownership(replace(terms, codesign_boost=0.0), channel, alignment)


def _fidelity_ignoring_alignment(terms, channel, alignment, neighbour_fidelity):
    return rules.enrolment_fidelity(terms, channel, np.ones(np.shape(alignment)),
                                    neighbour_fidelity)


def _fatigue_recovery_inverted(terms, fatigue, tempo):
    return np.clip(fatigue * terms.fatigue_recovery + terms.fatigue_load * tempo, 0.0, 1.0)


def _sum_not_product(hazards):
    return np.minimum(sum(hazards), 1.0)  # min(Σh, 1) instead of 1 − Π(1 − h)


def _activation_from_disownership(terms, ownership):
    return rules.commitment(terms, 1.0 - ownership)


def _needed_when_not(hazards, draw):
    return rules.needed_counts(hazards, 1.0 - draw)


def _idea_openness_inverted(model):
    return 1.0 - CampaignModel._mean_department_alignment(model)


WRONG_RULES = {  # what is wrong: (where the vectorised engine reads it, name, wrong version)
    "co-design boost removed": (dynamics, "enrolment_ownership", _ownership_without_codesign),
    "hybrid fidelity ignores alignment": (dynamics, "enrolment_fidelity",
                                          _fidelity_ignoring_alignment),
    "fatigue recovery inverted": (dynamics, "next_fatigue", _fatigue_recovery_inverted),
    "channels combined as min(sum h, 1)": (dynamics, "enrol_probability", _sum_not_product),
    "erosion and activation from 1 - ownership": (population, "commitment",
                                                  _activation_from_disownership),
    "necessary channels from 1 - u": (dynamics, "needed_counts", _needed_when_not),
    "idea openness inverted": (CampaignModel, "department_alignment", _idea_openness_inverted),
}


@pytest.mark.parametrize("mistake", sorted(WRONG_RULES))
def test_a_wrong_rule_breaks_the_equivalence(monkeypatch, mistake):
    """The equivalence test can fail: a formula written wrong in the vectorised engine
    only makes the two engines disagree. Before the reference engine was written
    independently, both engines called the same functions and agreed on such mutants."""
    target, name, wrong = WRONG_RULES[mistake]
    monkeypatch.setattr(target, name, wrong)
    # the numpy path's functions are mutated here (the compiled week does the same
    # arithmetic in its own loop; tests/test_kernels_week.py mutates that)
    with kernels.use("numpy"), pytest.raises(AssertionError):
        assert_same_run(MECHANISMS, seed=11)


def _awareness_ignores_backlash(draw, probability, backlash, awareness):
    return rules.becomes_aware(draw, probability, 0.0, awareness)


def _awareness_without_neighbours(terms, broadcast, event, mandate, approached, neighbours):
    return rules.awareness_probability(terms, broadcast, event, mandate, approached, 0.0)


@pytest.mark.parametrize("name, wrong", [("becomes_aware", _awareness_ignores_backlash),
                                         ("awareness_probability", _awareness_without_neighbours)])
def test_a_wrong_awareness_rule_breaks_the_equivalence(monkeypatch, name, wrong):
    monkeypatch.setattr(dynamics, name, wrong)
    # the numpy path's rule is mutated (the compiled week's own loop: test_kernels_week.py)
    with kernels.use("numpy"), pytest.raises(AssertionError):
        assert_same_run({**MECHANISMS, "awareness": AWARENESS}, seed=11)
