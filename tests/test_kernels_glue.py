"""What the compiled weeks keep between weeks is what they packed afresh before, and the
hybrids' order is `random.shuffle`'s.

The compiled week keeps its kernel's inputs per model (compiled_inputs.Inputs): the
scenario's switches and constants written once, the push's entries written each week into
the same buffers, and views of the per-clinician arrays made again only when an array is
replaced. A stale entry would change a number only in the weeks it is stale, so every
week of runs where what is kept must change (a push that changes week by week, hybrids
who leave, a batch, two models stepped in turn) is checked against the packing the
kernel had before (`packed_afresh`, the old code) and against the live arrays. The
hybrids' table is keyed on `model.hybrids` and the AgentSet's size: a hybrid removed by
hand (which the model's list does not see) must not be stepped.
The compiled `enrol` (compiled_records.py) writes and sums what `Population.enrol` does.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

import campaignsim
from campaignsim import compiled_hybrids, compiled_inputs, compiled_week, kernels
from campaignsim.agents import HybridLeader
from campaignsim.batch import Batch, run_together
from campaignsim.bundled import scenario_path
from campaignsim.population import Population
from campaignsim.rules import Terms
from campaignsim.rules import CHANNEL
from campaignsim.runner import lean_model
from campaignsim.scenario import CHANNELS, validate_scenario
from campaignsim.world import StaffWorld
from test_batch import GRID, _point
from test_kernels_hybrids import assert_same_run

pytestmark = pytest.mark.skipif(not kernels.numba_installed(), reason="numba is not installed")

#: a push that changes week by week (events, a mandate from week 8, a shock), hybrids
#: who leave (the ideas' openness is replaced), activation and fatigue on
CHANGING = ("pledge_day_blitz", "mandate_and_targets", "hybrids_leave", "serious_incident_shock")


def packed_afresh(model, week) -> tuple:
    """The kernel's reached, switches, constants and channel ownership of this week, packed
    as compiled_week.decide_all packed them every week before they were kept."""
    from campaignsim import dynamics

    terms, push, approaches = model.terms, model.push, model.approaches
    previous = week.previous
    points = 1 if previous.ndim == 1 else previous.shape[0]
    reached = np.zeros(len(CHANNELS), dtype=bool)
    reached[[CHANNEL[name] for name in ("broadcast", "event", "mandate", "hybrid", "peer",
                                        "champion")]] = (
        dynamics._any(push.broadcast), dynamics._any(push.event), dynamics._any(push.mandate),
        approaches.any_hybrid, terms.peer_on, approaches.any_champion)
    switches = np.array([terms.peer_rule == "threshold", terms.peer_rule == "bass",
                         dynamics._any(terms.peer_cynicism), model.weighted_degrees_positive,
                         terms.unaware_enrol, terms.awareness_on,
                         dynamics._all(week.campaign_exposure), terms.activation_on,
                         dynamics._any(terms.erosion_rate > 0), dynamics._any(terms.recovery > 0),
                         terms.fatigue_on])
    constants = (push.broadcast, push.event, push.mandate, terms.backlash, terms.peer_q,
                 terms.peer_cynicism, week.campaign_exposure, terms.erosion_active_factor,
                 terms.ideas_rate, terms.recovery, 1.0 - terms.fatigue_recovery,
                 terms.fatigue_load * push.tempo, 1.0 - terms.sigma, terms.sigma,
                 terms.codesign_boost, terms.hybrid_base, terms.hybrid_mediation,
                 terms.aware_broadcast, terms.aware_event, terms.aware_mandate,
                 terms.aware_approach)
    constants = np.column_stack([np.broadcast_to(np.ravel(value), (points,))
                                 for value in constants]).astype(float)
    ownership = np.broadcast_to(terms.channel_ownership, (points, len(CHANNELS))).copy()
    return reached, switches, constants, ownership


class Checked:
    """Wraps compiled_week.decide: each week, compares what the kept `Inputs` hand the
    kernel with a fresh `Inputs` of that week; counts the weeks checked."""

    def __init__(self, monkeypatch):
        self.weeks, self.changed = 0, set()
        self._last = None
        kernel = compiled_week.decide

        def checking(previous, new_state, draws, reached, switches, constants, ownership,
                     clinician, *rest):
            model = self.model_of[id(constants)]
            fresh = packed_afresh(model, model.week)
            for kept, made in zip((reached, switches, constants, ownership), fresh):
                assert kept.dtype == made.dtype and np.array_equal(kept, made)
            for kept, made in zip(clinician, self.sources(model)):  # the live arrays' values
                assert np.array_equal(kept, made.reshape(kept.shape))
                assert np.shares_memory(kept, made)
            now = (constants.tobytes(), reached.tobytes())
            if self._last is not None and now != self._last:
                self.changed.add("push")
            self._last = now
            self.weeks += 1
            return kernel(previous, new_state, draws, reached, switches, constants, ownership,
                          clinician, *rest)

        monkeypatch.setattr(compiled_week, "decide", checking)
        self.model_of = {}
        original = compiled_inputs.Inputs.__init__

        def remembering(inputs, model, week):
            original(inputs, model, week)
            self.model_of[id(inputs.constants)] = model
        monkeypatch.setattr(compiled_inputs.Inputs, "__init__", remembering)

    @staticmethod
    def sources(model) -> tuple:
        from campaignsim import dynamics

        pop, approaches = model.population, model.approaches
        openness = (dynamics._of_each_clinician(model, model.week.idea_openness)
                    if model.terms.activation_on else pop.fatigue)
        return (pop.fatigue, pop.resonance, pop.trust, pop.threshold, approaches.hybrid_hazard,
                approaches.hybrid_touched, approaches.champion_hazard, model.peer_weight,
                model.weighted_degree, pop.erosion_base, pop.activation, pop.ownership,
                pop.fidelity, openness, approaches.hybrid_alignment)


@pytest.mark.parametrize("name", CHANGING)
def test_what_a_model_keeps_is_what_it_would_pack_afresh(monkeypatch, name):
    checked = Checked(monkeypatch)
    scenario = campaignsim.load_scenario(scenario_path(name))
    with kernels.use("numba"):
        result = campaignsim.run(scenario, seed=2)
    assert checked.weeks == scenario.weeks == result.model.steps
    assert "push" in checked.changed  # the weekly entries did change, and were rewritten


def test_what_a_batch_keeps_is_what_it_would_pack_afresh(monkeypatch):
    """test_batch's grid (peer rules, hybrids, co-design, mandate, fatigue, shock,
    awareness), stepped as batches of points on one world."""
    checked = Checked(monkeypatch)
    scenarios = [_point(change) for change in GRID]
    world = StaffWorld.build(scenarios[0].staff, 5)
    with kernels.use("numba"):
        run_together([lean_model(s, 5, world) for s in scenarios])
    batches = [model for model in checked.model_of.values() if isinstance(model, Batch)]
    assert batches and checked.weeks > scenarios[0].weeks and "push" in checked.changed


def test_two_models_stepped_in_turn_are_their_runs_alone():
    """Each model keeps its own inputs and hybrids' table: stepping two scenarios of one
    size and other terms in turn under the kernel gives each its own run's numbers (the
    numpy path's, which keeps nothing between models)."""
    names = ("co_designed_movement", "mandate_and_targets")  # other terms, one size
    scenarios = [campaignsim.load_scenario(scenario_path(name)) for name in names]
    with kernels.use("numpy"):
        alone = [campaignsim.run(s, seed=4) for s in scenarios]
    with kernels.use("numba"):
        models = [campaignsim.CampaignModel(s, seed=4, clinician_agents=False)
                  for s in scenarios]
        while any(model.running for model in models):
            for model in models:
                if model.running:
                    model.step()
    for model, result in zip(models, alone):
        assert np.array_equal(model.population.state, result.model.population.state)
        assert model.records.timeseries().equals(result.timeseries)


def _run_removing_a_hybrid_by_hand(kernel: str):
    """The hybrids_leave scenario, with one campaigning hybrid removed by hand at week 3
    (not through the model, so `model.hybrids` still lists it)."""
    scenario = campaignsim.load_scenario(scenario_path("hybrids_leave"))
    with kernels.use(kernel):
        model = campaignsim.CampaignModel(scenario, seed=1, clinician_agents=False)
        while model.running:
            if model.steps == 3:
                next(iter(model.agents_by_type[HybridLeader])).remove()
            model.step()
    return model


def test_a_hybrid_removed_by_hand_is_not_stepped():
    compiled, one_by_one = (_run_removing_a_hybrid_by_hand(kernel)
                            for kernel in ("numba", "numpy"))
    assert compiled._hybrid_week is not None
    for name in ("state", "channel", "ownership", "fidelity", "fatigue"):
        assert np.array_equal(getattr(compiled.population, name),
                              getattr(one_by_one.population, name)), name
    assert compiled.records.timeseries().equals(one_by_one.records.timeseries())


def test_hybrids_leaving_rebuild_the_table():
    scenario = campaignsim.load_scenario(scenario_path("hybrids_leave"))
    with kernels.use("numba"):
        result = campaignsim.run(scenario, seed=2)
    with kernels.use("numpy"):
        reference = campaignsim.run(scenario, seed=2)
    table, staff = result.model._hybrid_week, scenario.staff
    assert len(table._members) == len(result.model.agents_by_type[HybridLeader])
    assert 0 < len(table._members) < staff.hybrids_per_department * staff.departments
    assert_same_run(result, reference)


class _OwnRandom(random.Random):
    """A generator with its own `random()`: Python then shuffles with
    `_randbelow_without_getrandbits` (Mesa's model may carry any Random)."""

    def random(self):
        return super().random()


@pytest.mark.parametrize("count", [0, 1, 2, 3, 47, 48, 49, 100, 240, 1000])
def test_shuffled_positions_are_random_shuffles_order(count):
    for seed in range(60):
        for kind in (random.Random, _OwnRandom):
            theirs, mine = kind(seed), kind(seed)
            positions = list(range(count))
            theirs.shuffle(positions)
            order = compiled_hybrids.shuffled_positions(mine, count)
            assert order.dtype == np.int64 and order.tolist() == positions
            assert mine.getstate() == theirs.getstate()  # the same numbers drawn


def test_the_compiled_enrol_records_what_numpy_records():
    """A week's enrolments recorded by `Population.enrol` in numpy and compiled, on 6
    clinicians: three enrol (one of them a seed, which the campaign's sums leave out),
    with erosion rate 0.5 and activation rate 2 (beyond the schema's 1, so that min(2·o, 1)
    clips). Every array and both sums are equal, and are the numbers computed by hand."""
    terms = dataclasses.replace(Terms.of(validate_scenario({"erosion": {"rate": 0.5}})),
                                activation_rate=2.0)
    index, week = np.array([4, 0, 2]), 7
    channel = np.array([CHANNEL["peer"], CHANNEL["seed"], CHANNEL["hybrid"]])
    ownership, fidelity = np.array([0.25, 0.5, 0.75]), np.array([0.125, 1.0, 0.375])
    recorded = []
    for compiled in (False, True):
        population = Population(
            nodes=list(range(6)), department=np.zeros(6, dtype=int), department_names=["d"],
            profession=np.zeros(6, dtype=int), profession_names=["p"],
            champion=np.zeros(6, dtype=bool), trust=np.zeros(6), threshold=np.zeros(6),
            adjacency=None, terms=terms)
        population.enrol(index, week, channel, ownership, fidelity, compiled=compiled)
        recorded.append(population)
    numpy_path, kernel = recorded
    for name in ("state", "enrolled_week", "channel", "ownership", "fidelity",
                 "erosion_base", "activation", "enrolments"):
        mine, reference = getattr(kernel, name), getattr(numpy_path, name)
        assert mine.dtype == reference.dtype and np.array_equal(mine, reference), name
    assert kernel.enrolled_week.tolist() == [7, -1, 7, -1, 7, -1]
    assert kernel.channel[[4, 0, 2]].tolist() == channel.tolist()
    assert kernel.erosion_base[[4, 0, 2]].tolist() == [0.375, 0.25, 0.125]
    assert kernel.activation[[4, 0, 2]].tolist() == [0.5, 1.0, 1.0]
    assert kernel.enrolments[[CHANNEL["peer"], CHANNEL["seed"], CHANNEL["hybrid"]]].tolist() \
        == [1, 1, 1] and kernel.enrolments.sum() == 3
    for population in recorded:  # the seed (o = 0.5, f = 1) left out
        assert population.ownership_at_enrolment == 1.0
        assert population.fidelity_at_enrolment == 0.5
