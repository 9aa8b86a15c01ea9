"""The week's shortcuts change no number: work skipped or narrowed gives the numbers of the
work done in full.

The shortcuts (docs/performance.md): the enrolment part of a week computed on the gathered
entries of the clinicians still open when few are (`dynamics.GATHER_BELOW_SHARE`) and
skipped when none are; some rows' neighbour sums taken from the whole sparse product on
small graphs (`dynamics.WHOLE_PRODUCT_UP_TO_TIES`); the hybrids' shuffle owed, not drawn,
in weeks when nobody can be approached; the hybrids choosing from one gathering of the
week's candidates; the recorded breakdowns as margins of one joint count. Each test forces a shortcut on everywhere and off everywhere and compares every
outcome and array, and checks that the shortcut was taken, so the comparison is not
vacuous; shortcuts written wrong on purpose fail it (the `wrong` tests).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from campaignsim import dynamics, kernels
from campaignsim.agents import UNAWARE, HybridLeader
from campaignsim.batch import run_together
from campaignsim.model import CampaignModel
from campaignsim.runner import lean_model, run_lean
from campaignsim.scenario import validate_scenario
from campaignsim.world import StaffWorld
from conftest import scenario, staff
from test_batch import assert_same_result

STAFF = {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 2,
         "managers": 2, "within_department_density": 0.25, "between_department_density": 0.02,
         "champions": 5}
#: Everyone is reached within a few weeks, then a few of the disengaged recover now and
#: then: weeks with nobody open, weeks with a few open (gathered), and hybrids of unlike
#: alignment who must choose (capacity 1, the aware first) among those who reopen, so that
#: their order matters.
REOPENING = {
    "weeks": 40, "staff": STAFF, "seeding": {"count": 4, "rule": "random"},
    "broadcast": {"intensity": 0.1}, "events": {"weeks": [1], "reach": 0.4},
    "hybrids": {"capacity": 1, "approach": "aware_first", "leave_week": 20, "leave_share": 0.5,
                "alignment": {"distribution": "uniform", "low": 0, "high": 1}},
    "champions": {"rule": "degree", "weight": 2.0, "capacity": 2, "persuasion": 0.3},
    "peer": {"rule": "threshold", "threshold": {"distribution": "normal", "mean": 0.2,
                                                "sd": 0.1}},
    "activation": {"rate": 0.2}, "erosion": {"rate": 0.08, "recovery": 0.01},
    "fatigue": {"load": 0.5, "recovery": 0.2},
}
VARIANTS = {
    "threshold": {},
    "cascade with cynicism": {"peer": {"rule": "cascade", "q": 0.1, "cynicism": 0.5}},
    "mandate": {"mandate": {"pressure": 0.05, "backlash": 0.5, "start_week": 5}},
}


def _scenario(change: dict):
    tables = dict(REOPENING)
    for name, table in change.items():
        tables[name] = {**tables.get(name, {}), **table}
    return validate_scenario(tables)


def _runs(scenario, seeds=(1, 2, 3)):
    return [run_lean(scenario, seed) for seed in seeds]


@pytest.fixture
def numpy_week():
    """The gathering shortcuts are the numpy path's (the compiled week visits every
    clinician once and has none: tests/test_kernels_week.py)."""
    with kernels.use("numpy"):
        yield


def _open_parts(monkeypatch) -> dict:
    """Count the weeks whose enrolment part was skipped, on whole arrays, or gathered."""
    taken = {"skipped": 0, "whole": 0, "gathered": 0}
    columns_of = dynamics._open_columns

    def counting(open_to_enrol):
        columns = columns_of(open_to_enrol)
        kind = ("skipped" if columns is None
                else "whole" if isinstance(columns, slice) else "gathered")
        taken[kind] += 1
        return columns
    monkeypatch.setattr(dynamics, "_open_columns", counting)
    return taken


@pytest.mark.parametrize("variant", VARIANTS)
def test_gathered_entries_give_the_numbers_of_whole_arrays(numpy_week, monkeypatch, variant):
    scenario = _scenario(VARIANTS[variant])
    taken = _open_parts(monkeypatch)
    monkeypatch.setattr(dynamics, "GATHER_BELOW_SHARE", 0.0)          # never gathered
    monkeypatch.setattr(dynamics, "WHOLE_PRODUCT_UP_TO_TIES", 10**12)
    whole = _runs(scenario)
    assert taken["gathered"] == 0 and taken["whole"] > 0
    monkeypatch.setattr(dynamics, "GATHER_BELOW_SHARE", 1.0)          # gathered whenever open
    monkeypatch.setattr(dynamics, "WHOLE_PRODUCT_UP_TO_TIES", 0)      # rows sliced out
    gathered = _runs(scenario)
    assert taken["gathered"] > 10 and taken["skipped"] > 10  # both shortcuts were taken
    for mine, reference in zip(gathered, whole):
        assert_same_result(mine, reference)


def test_gathered_entries_of_a_batch_give_the_numbers_of_whole_arrays(numpy_week, monkeypatch):
    """In a batch the gathered entries are the clinicians open in any point."""
    world = StaffWorld.build(_scenario({}).staff, 4)

    def batched():
        return run_together([lean_model(_scenario(change), 4, world=world)
                             for change in ({}, {"hybrids": {"capacity": 3}},
                                            {"erosion": {"recovery": 0.03}})])
    taken = _open_parts(monkeypatch)
    monkeypatch.setattr(dynamics, "GATHER_BELOW_SHARE", 0.0)
    whole = batched()
    monkeypatch.setattr(dynamics, "GATHER_BELOW_SHARE", 1.0)
    monkeypatch.setattr(dynamics, "WHOLE_PRODUCT_UP_TO_TIES", 0)
    gathered = batched()
    assert taken["gathered"] > 10
    for mine, reference in zip(gathered, whole):
        assert_same_result(mine, reference)


def test_a_wrong_gather_is_caught(numpy_week, monkeypatch):
    """Gathering the wrong clinicians (each open one's neighbour in index order) must
    change the numbers, so the comparison above can fail."""
    scenario = _scenario({})
    reference = _runs(scenario)
    columns_of = dynamics._open_columns

    def shifted(open_to_enrol):
        columns = columns_of(open_to_enrol)
        if columns is None or isinstance(columns, slice):
            return columns
        return np.unique((columns + 1) % open_to_enrol.shape[-1])
    monkeypatch.setattr(dynamics, "GATHER_BELOW_SHARE", 1.0)
    monkeypatch.setattr(dynamics, "_open_columns", shifted)
    wrong = _runs(scenario)
    assert any(w.summary != r.summary for w, r in zip(wrong, reference))


def _shuffling_every_week(model, hybrids, anyone_open):
    hybrids.shuffle_do("step")  # the order drawn every week, as before the shortcut


def test_owed_shuffles_give_the_order_of_shuffling_every_week(monkeypatch):
    scenario = _scenario({})
    paid = []
    owed_step = CampaignModel._hybrids_step

    def counting(model, hybrids, anyone_open):
        if anyone_open and model._owed_shuffles:
            paid.append(len(model._owed_shuffles))
        owed_step(model, hybrids, anyone_open)
    monkeypatch.setattr(CampaignModel, "_hybrids_step", counting)
    owed = _runs(scenario, seeds=range(1, 7))
    assert len(paid) > 3 and max(paid) > 1  # weeks when owed shuffles were drawn
    monkeypatch.setattr(CampaignModel, "_hybrids_step", _shuffling_every_week)
    for mine, reference in zip(owed, _runs(scenario, seeds=range(1, 7))):
        assert_same_result(mine, reference)


def test_a_forgotten_shuffle_is_caught(monkeypatch):
    """Skipping the closed weeks' shuffles without drawing them later changes the order
    of the hybrids' choices, and so the numbers."""
    scenario = _scenario({})
    reference = _runs(scenario, seeds=range(1, 7))

    def forgetting(model, hybrids, anyone_open):
        if anyone_open:
            hybrids.shuffle_do("step")
        else:
            hybrids.do("step")
    monkeypatch.setattr(CampaignModel, "_hybrids_step", forgetting)
    wrong = _runs(scenario, seeds=range(1, 7))
    assert any(w.summary != r.summary for w, r in zip(wrong, reference))


def test_recorded_breakdowns_are_the_counts_of_each_week():
    """Every week's counts by state, and by state within role, profession and department,
    counted directly from the clinicians' arrays."""
    model = CampaignModel(_scenario({}), seed=2, clinician_agents=False, collect=False)
    population, records = model.population, model.records
    groups = {"role": population.champion.astype(int), "profession": population.profession,
              "department": population.department}
    while True:
        week, state = model.steps, population.state
        assert records.state_counts[week].tolist() == np.bincount(state, minlength=5).tolist()
        for name, codes in groups.items():
            direct = np.zeros((records.group_counts[name].shape[1], 5), dtype=int)
            np.add.at(direct, (codes, state), 1)
            assert np.array_equal(records.group_counts[name][week], direct), (name, week)
        if not model.running:
            break
        model.step()
    assert model.steps == 40 and records.state_counts[40, 0] < 120  # the run moved


def _hybrid_alone(hybrid) -> None:
    """A hybrid's week as each used to do it alone: gather its department's candidates,
    draw its keys, write its approaches, drift (the code before the week's gathering)."""
    model, settings, approaches = hybrid.model, hybrid.settings, hybrid.model.approaches
    if not hybrid.campaigning:
        return
    chosen = np.empty(0, dtype=np.int64)
    if approaches.anyone_open:
        members = model.department_members[hybrid.department]
        chosen = members[approaches.approachable[members]]
        if hybrid.capacity == 0:
            chosen = chosen[:0]
        elif len(chosen) > hybrid.capacity:
            keys = model.rng.random(len(chosen))
            if settings.approach == "aware_first":
                keys += model.population.state[chosen] == UNAWARE
            chosen = chosen[np.argpartition(keys, hybrid.capacity - 1)[:hybrid.capacity]]
    if len(chosen):
        approaches.hybrid_hazard[chosen] = hybrid.credibility * (
            hybrid.alignment * model.population.resonance[chosen]
            + (1 - hybrid.alignment) * settings.adapted_resonance)
        approaches.hybrid_alignment[chosen] = hybrid.alignment
        approaches.hybrid_touched[chosen] = True
        approaches.approachable[chosen] = False
        approaches.any_hybrid = True
    hybrid.approached_last_week = len(chosen)
    target = settings.credibility_max * (1 - settings.legitimacy_cost * hybrid.alignment)
    hybrid.credibility += settings.credibility_rate * (target - hybrid.credibility)


@pytest.mark.parametrize("approach", ["aware_first", "random"])
@pytest.mark.parametrize("capacity", [0, 1, 4])
def test_hybrids_choose_as_each_alone(monkeypatch, approach, capacity):
    """The hybrids choose from one gathering of the week's candidates (each takes its
    department's slice, the next hybrid there what is left), and their approaches are
    written together: exactly what each hybrid choosing and writing alone gave, every
    week's approaches, draws and states (3 hybrids a department, so later hybrids choose
    among what earlier ones left; small departments, so that late hybrids take all that is
    left; aware and unaware candidates together for several weeks)."""
    s = scenario(weeks=12, seed=5,
                 staff=staff(12, departments=4, hybrids_per_department=3, managers=1,
                             within_department_density=0.3),
                 hybrids={"capacity": capacity, "approach": approach, "credibility": 0.2,
                          "alignment": {"distribution": "uniform", "low": 0.2, "high": 0.9}},
                 broadcast={"intensity": 0.02}, peer={"rule": "threshold"},
                 awareness={"broadcast": 0.3, "approach": 0.5})  # aware and unaware for weeks
    gathered = CampaignModel(s, clinician_agents=False)  # compiled, if numba is chosen
    with kernels.use("numpy"):  # each hybrid's own step, which the kernel would bypass
        alone = CampaignModel(s, clinician_agents=False)
    for hybrid in alone.agents_by_type[HybridLeader]:
        monkeypatch.setattr(hybrid, "step", functools.partial(_hybrid_alone, hybrid))
    approached = 0
    while gathered.running:
        gathered.step()
        alone.step()
        for name in ("hybrid_hazard", "hybrid_alignment", "hybrid_touched"):
            assert np.array_equal(getattr(gathered.approaches, name),
                                  getattr(alone.approaches, name)), name
        assert gathered.approaches.any_hybrid == alone.approaches.any_hybrid
        assert np.array_equal(gathered.population.state, alone.population.state)
        assert gathered.rng.random() == alone.rng.random()  # the same draws so far
        approached += int(gathered.approaches.hybrid_touched.sum())
    assert [h.approached_last_week for h in gathered.hybrids] == \
        [h.approached_last_week for h in alone.hybrids]
    assert (approached > 0) == (capacity > 0)
