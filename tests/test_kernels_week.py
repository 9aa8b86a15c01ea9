"""The compiled week (compiled_week.py, numba) gives the numpy path's numbers, bit for bit.

Every bundled scenario at two seeds, a batched sweep over a grid of mechanisms, and
hand-made variants that switch on each mechanism in turn run under `kernels.use("numpy")`
and `kernels.use("numba")`; every array, time series and summary must be equal. Outcomes
alone would hide a last-bit difference in P(enrol) or a hazard (it flips a decision only
when a draw falls within an ulp of it), so the tests also compare, week by week, what the
week hands on: everything `commit_week` receives (the enrolments' entries, channels,
ownership and fidelity, the needed counts, the new states, ideas and fatigue) and each
unaware clinician's draw, P(enrol), backlash, approach and enrolled weight as handed to
`[awareness]`'s rule (`dynamics._aware_of`, the kernel's `_become_aware`), where a
last-bit difference in P shows. Kernels made wrong on purpose (the channel product in
another order, a product associated otherwise, the learnt fidelity not divided by the
neighbours' weight, awareness's event hazard in the broadcast's weeks) fail the
comparison (`test_a_wrong_kernel_is_caught`), so it is not vacuous.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import campaignsim
from campaignsim import batch as batch_module
from campaignsim import compiled_week, dynamics, kernels
from campaignsim import model as model_module
from campaignsim.batch import run_together
from campaignsim.bundled import bundled_names, scenario_path
from campaignsim.compiled_inputs import (OPEN_APPROACHED, OPEN_BACKLASH, OPEN_ENROLLED_WEIGHT,
                                         OPEN_PROBABILITY)
from campaignsim.runner import lean_model, run_lean
from campaignsim.scenario import validate_scenario
from campaignsim.world import StaffWorld
from test_batch import GRID, STAFF, _point, assert_same_result

pytestmark = pytest.mark.skipif(not kernels.numba_installed(), reason="numba is not installed")

BASE = {
    "weeks": 24, "staff": STAFF, "seeding": {"count": 4, "rule": "random"},
    "broadcast": {"intensity": 0.05},
    "hybrids": {"capacity": 3, "leave_week": 10, "leave_share": 0.5,
                "alignment": {"distribution": "uniform", "low": 0, "high": 1}},
    "champions": {"rule": "degree", "weight": 1.5, "capacity": 2, "persuasion": 0.3},
    "peer": {"rule": "threshold", "threshold": {"distribution": "normal", "mean": 0.2,
                                                "sd": 0.1}},
    "activation": {"rate": 0.3}, "erosion": {"rate": 0.1, "recovery": 0.05},
    "fatigue": {"load": 0.8, "recovery": 0.2},
}
#: Each mechanism on (or off: None drops the table) against BASE.
VARIANTS = {
    "threshold": {},
    "bass": {"peer": {"rule": "bass", "q": 0.3}},
    "cynicism": {"peer": {"cynicism": 0.5}},
    "bass with cynicism": {"peer": {"rule": "bass", "q": 0.3, "cynicism": 0.8}},
    "no peers": {"peer": None},
    "mandate and backlash": {"mandate": {"start_week": 3, "pressure": 0.1, "backlash": 0.8}},
    "awareness": {"awareness": {"broadcast": 0.2, "approach": 0.5, "neighbour": 0.2}},
    "awareness, unaware enrol": {"awareness": {"broadcast": 0.2, "neighbour": 0.2,
                                               "unaware_enrol": True}},
    "awareness with mandate": {"awareness": {"broadcast": 0.05, "mandate": 0.3},
                               "mandate": {"start_week": 3, "pressure": 0.1, "backlash": 0.8}},
    "awareness without peers": {"awareness": {"broadcast": 0.1}, "peer": None},
    "no activation": {"activation": None},
    "no erosion": {"erosion": None},
    "recovery": {"erosion": {"rate": 0.2, "recovery": 0.3}},
    "no fatigue": {"fatigue": None},
    "no champions": {"champions": None, "staff": {"champions": 0}},
    "shock and events": {"shock": {"week": 5, "size": 0.4},
                         "events": {"weeks": [2, 6], "reach": 0.3}},
    "co-design": {"codesign": {"share": 0.4}},
    "isolated clinicians": {"staff": {"within_department_density": 0.02,
                                      "between_department_density": 0.0}},
    "no push at all": {"broadcast": None, "hybrids": {"capacity": 0}, "champions": None,
                       "staff": {"champions": 0}},
}


#: What a week hands to `commit_week`, compared week by week (after the enrolments' entries).
WEEK_FIELDS = ("channel", "ownership", "fidelity", "needed", "new_state", "ideas", "fatigue")


def _variant(change: dict):
    tables = dict(BASE)
    for name, table in change.items():
        if table is None:
            tables.pop(name, None)
        else:
            tables[name] = {**tables.get(name, {}), **table}
    return validate_scenario(tables)


def _same(mine, reference) -> bool:
    """Equal numbers: arrays (a number stands for an array of it), or None for both."""
    if mine is None or reference is None:
        return mine is None and reference is None
    mine, reference = np.asarray(mine, dtype=float), np.asarray(reference, dtype=float)
    shape = np.broadcast_shapes(mine.shape, reference.shape)
    return np.array_equal(np.broadcast_to(mine, shape), np.broadcast_to(reference, shape))


class Handed:
    """What a week hands on to numpy, recorded call by call (spying on dynamics)."""

    def __init__(self, monkeypatch, kernel=compiled_week):
        self.calls = []
        self.kernel_weeks = 0  # weeks decided by `kernel`
        commit, aware_of, decide_all = (dynamics.commit_week, dynamics._aware_of,
                                        kernel.decide_all)

        def counting(model, week):
            self.kernel_weeks += 1
            return decide_all(model, week)
        monkeypatch.setattr(kernel, "decide_all", counting)

        def committing(model, week, point=None):
            if not point:  # a batch commits its week once per point
                self.calls.append(("week", [np.array(a) for a in week.enrolled_at]) + tuple(
                    None if value is None else np.array(value) for value in (
                        week.channel, week.ownership, week.fidelity, week.needed,
                        week.new_state, week.ideas, week.fatigue)))
            return commit(model, week, point)

        def aware(terms, push, points, *values):
            self.calls.append(("aware", points, [np.array(v) for v in values]))
            return aware_of(terms, push, points, *values)

        def becoming_aware(unaware, values, neighbour, draws, constants, new_state):
            """The kernel's unaware as `aware` records the numpy path's: each one's
            point (None in a single run), draw, P, backlash, approached, enrolled weight."""
            points, rows = np.divmod(unaware, new_state.shape[1])
            self.calls.append(("aware", points if len(constants) > 1 else None, [
                draws[rows], values[:, OPEN_PROBABILITY], values[:, OPEN_BACKLASH],
                values[:, OPEN_APPROACHED] > 0, values[:, OPEN_ENROLLED_WEIGHT]]))
            return become_aware(unaware, values, neighbour, draws, constants, new_state)
        become_aware = kernel._become_aware
        monkeypatch.setattr(model_module, "commit_week", committing)
        monkeypatch.setattr(batch_module, "commit_week", committing)
        monkeypatch.setattr(dynamics, "_aware_of", aware)
        monkeypatch.setattr(kernel, "_become_aware", becoming_aware)

    def take(self) -> list:
        calls, self.calls = self.calls, []
        return calls


def assert_same_handed(mine: list, reference: list):
    assert len(mine) == len(reference)
    for week, (a, b) in enumerate(zip(mine, reference)):
        assert a[0] == b[0], week
        if a[0] == "week":
            assert all(np.array_equal(x, y) for x, y in zip(a[1], b[1])), (week, "entries")
            assert a[2].dtype == b[2].dtype, week
            for name, x, y in zip(WEEK_FIELDS, a[2:], b[2:]):
                assert _same(x, y), (week, name)
        else:
            assert _same(a[1], b[1]), week
            assert all(_same(x, y) for x, y in zip(a[2], b[2])), (week, "awareness inputs")


def _both(run, handed: Handed) -> tuple:
    """`run()` under the numpy path and under the kernel: the results and what each
    handed on; checks that the kernel ran only under "numba" (and in a single run, every
    week unless the rule must fall back)."""
    with kernels.use("numpy"):
        reference = run()
    reference_handed = handed.take()
    assert handed.kernel_weeks == 0
    with kernels.use("numba"):
        mine = run()
    if isinstance(mine, list):
        assert handed.kernel_weeks > 0
    else:
        fits = compiled_week.fits(mine.model)
        assert handed.kernel_weeks == (mine.model.steps if fits else 0)
    handed.kernel_weeks = 0
    return mine, reference, handed.take(), reference_handed


def _assert_both_equal(run, handed):
    mine, reference, mine_handed, reference_handed = _both(run, handed)
    for a, b in zip(mine if isinstance(mine, list) else [mine],
                    reference if isinstance(reference, list) else [reference]):
        assert_same_result(a, b)
    assert_same_handed(mine_handed, reference_handed)
    return mine_handed


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_scenarios_are_the_same_under_both_kernels(monkeypatch, name):
    scenario = campaignsim.load_scenario(scenario_path(name))
    handed = Handed(monkeypatch)
    for seed in (1, 2):
        _assert_both_equal(lambda: run_lean(scenario, seed), handed)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_mechanism_is_the_same_under_both_kernels(monkeypatch, variant):
    scenario = _variant(VARIANTS[variant])
    handed = Handed(monkeypatch)
    for seed in (3, 4):
        calls = _assert_both_equal(lambda: run_lean(scenario, seed), handed)
    if variant != "no push at all":  # the comparison saw enrolments (and the unaware)
        assert sum(len(call[2]) for call in calls if call[0] == "week") > 20
    if scenario.on("awareness"):
        assert any(call[0] == "aware" for call in calls)


def test_the_cascade_runs_the_numpy_path():
    model = lean_model(_variant({"peer": {"rule": "cascade", "q": 0.1}}), 1)
    with kernels.use("numba"):
        model.step()
    assert model._compiled_week is None
    assert _variant({}).on("peer") and compiled_week.fits(lean_model(_variant({}), 1))


def test_a_batched_sweep_is_the_same_under_both_kernels(monkeypatch):
    """The grid of test_batch (peer rules, hybrids, co-design, mandate, fatigue, shock,
    awareness) stepped as batches of points on one world, each point equal under both
    kernels and to its separate run."""
    scenarios = [_point(change) for change in GRID]
    world = StaffWorld.build(scenarios[0].staff, 5)
    handed = Handed(monkeypatch)
    mine, reference, mine_handed, reference_handed = _both(
        lambda: run_together([lean_model(s, 5, world) for s in scenarios]), handed)
    assert_same_handed(mine_handed, reference_handed)
    assert any(call[0] == "week" and len(call[1]) == 2 and len(call[1][0])
               for call in mine_handed)  # enrolments of a batch
    for scenario, a, b in zip(scenarios, mine, reference):
        assert_same_result(a, b)
        with kernels.use("numba"):
            assert_same_result(a, run_lean(scenario, 5))


def _mutant(tmp_path: Path, name: str, original: str, wrong: str):
    """compiled_week.py with `original` replaced by `wrong`, imported as its own module
    (its imports made absolute; numba compiles and caches it in tmp_path)."""
    source = Path(compiled_week.__file__).read_text(encoding="utf-8")
    assert source.count(original) == 1, original
    source = source.replace(original, wrong).replace("from . import", "from campaignsim import")
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace("from .", "from campaignsim."), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("original, wrong, name", [
    # the channels' product in reverse order
    ("for channel in range(channels):\n" + " " * 20 + "if reached[channel]:",
     "for channel in range(channels - 1, -1, -1):\n" + " " * 20 + "if reached[channel]:",
     "baseline"),
    # the broadcast hazard as b·(r·(1 − f)) instead of (b·r)·(1 − f)
    ("constant[BROADCAST] * resonant * receptive",
     "constant[BROADCAST] * (resonant * receptive)", "baseline"),
    # the fidelity learnt from colleagues as their sum, not their weighted mean (the
    # baseline's peers enrol nobody; champions_network's champions do)
    ("row) / enrolled_weight", "row)", "champions_network"),
    # [awareness]'s event hazard counted in the weeks of a broadcast (_become_aware)
    ("constant[EVENT] > 0.0),", "constant[BROADCAST] > 0.0),", "baseline"),
])
def test_a_wrong_kernel_is_caught(monkeypatch, tmp_path, original, wrong, name):
    mutant = _mutant(tmp_path, "mutant_week", original, wrong)

    def mutant_week(model):
        model._compiled_week = mutant if kernels.compiled() else None
        return model._compiled_week
    monkeypatch.setattr(dynamics, "_compiled_week", mutant_week)
    scenario = campaignsim.load_scenario(scenario_path(name))
    handed = Handed(monkeypatch, mutant)
    mine, reference, mine_handed, reference_handed = _both(lambda: run_lean(scenario, 1),
                                                           handed)
    with pytest.raises(AssertionError):
        assert_same_handed(mine_handed, reference_handed)
