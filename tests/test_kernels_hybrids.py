"""The hybrids' week compiled (compiled_hybrids.py, numba) gives the numbers of the hybrids
stepping one by one (the numpy path: HybridLeader.step under Mesa's `shuffle_do`), exactly.

The numpy path is the code from before the kernel, unchanged, so "equal under both kernels"
is "equal to before". Compared: every bundled scenario at two seeds, and small campaigns made
to reach every branch of the kernel (aware first, capacity 0, 3, 20 and more than anyone
sees, hybrids who leave, one to three hybrids a department, a department nobody is open
in, hybrids who do not campaign or have no department, the reference engine, a batch of
points). Each comparison checks that the kernel ran and that hybrids approached someone,
and a kernel written wrong on purpose (taking the largest keys, or leaving a department's
earlier picks to its next hybrid) fails it.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

import campaignsim
from campaignsim import compiled_hybrids, kernels
from campaignsim.agents import UNAWARE, HybridLeader
from campaignsim.batch import run_together
from campaignsim.bundled import bundled_folder, bundled_names
from campaignsim.runner import lean_model, run_lean
from campaignsim.scenario import validate_scenario
from campaignsim.world import StaffWorld

pytest.importorskip("numba")

ARRAYS = ("state", "channel", "ownership", "fidelity", "enrolled_week", "fatigue")
STAFF = {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 2,
         "managers": 2, "within_department_density": 0.2, "between_department_density": 0.02}
#: A campaign with aware and unaware clinicians open for many weeks, so hybrids choose
#: (the aware first), and a few reopening late (erosion with recovery).
CAMPAIGN = {
    "weeks": 30, "staff": STAFF, "seeding": {"count": 3, "rule": "random"},
    "broadcast": {"intensity": 0.03}, "events": {"weeks": [2], "reach": 0.3},
    "hybrids": {"capacity": 1, "approach": "aware_first", "credibility": 0.4,
                "alignment": {"distribution": "uniform", "low": 0.1, "high": 0.9}},
    "peer": {"rule": "threshold", "threshold": {"distribution": "normal", "mean": 0.4,
                                                "sd": 0.1}},
    "awareness": {"broadcast": 0.1, "neighbour": 0.1, "approach": 0.6},
    "activation": {"rate": 0.1}, "erosion": {"rate": 0.05, "recovery": 0.02},
}
VARIANTS = {
    "aware first, capacity 1": {},
    "at random": {"hybrids": {"approach": "random"}},
    "capacity 0": {"hybrids": {"capacity": 0}},
    "capacity 3": {"hybrids": {"capacity": 3}},
    "capacity 20 (the partition)": {"hybrids": {"capacity": 20}},
    "capacity above anyone open": {"hybrids": {"capacity": 1000}},
    "hybrids leave": {"hybrids": {"leave_week": 6, "leave_share": 0.5}},
    "one hybrid a department": {"staff": {"hybrids_per_department": 1}},
    "three hybrids a department": {"staff": {"hybrids_per_department": 3},
                                   "hybrids": {"capacity": 3}},
    "no [hybrids] table": {"hybrids": None},
}


def _scenario(change: dict):
    tables = dict(CAMPAIGN)
    for name, table in change.items():
        tables[name] = None if table is None else {**tables.get(name, {}), **table}
    return validate_scenario({k: v for k, v in tables.items() if v is not None})


@pytest.fixture
def kernel_weeks(monkeypatch):
    """Counts of the compiled weeks run and of the clinicians their hybrids approached."""
    counts = {"weeks": 0, "closed": 0, "approached": 0}
    step = compiled_hybrids.HybridWeek.step

    def counting(self, model, hybrids, anyone_open):
        step(self, model, hybrids, anyone_open)
        counts["weeks"] += 1
        counts["closed"] += not anyone_open
        counts["approached"] += int(model.approaches.hybrid_touched.sum())
    monkeypatch.setattr(compiled_hybrids.HybridWeek, "step", counting)
    return counts


def _under(kernel: str, run, *args, **kwargs):
    with kernels.use(kernel):
        return run(*args, **kwargs)


def _hybrids(model) -> list:
    return [(h.credibility, h.approached_last_week)
            for h in model.agents_by_type.get(HybridLeader, [])]


def assert_same_run(mine, reference):
    """Every array, the time series, the summary and each hybrid's state: equal."""
    for name in ARRAYS:
        assert np.array_equal(getattr(mine.model.population, name),
                              getattr(reference.model.population, name)), name
    assert mine.timeseries.equals(reference.timeseries)
    assert mine.summary == reference.summary
    assert _hybrids(mine.model) == _hybrids(reference.model)


def _compare(scenario, seed, kernel_weeks, run=campaignsim.run, **kwargs):
    compiled = _under("numba", run, scenario, seed, **kwargs)
    one_by_one = _under("numpy", run, scenario, seed, **kwargs)
    assert compiled.model._hybrid_week is not None and one_by_one.model._hybrid_week is None
    assert_same_run(compiled, one_by_one)
    return compiled


def test_consecutive_draws_are_one_draw_cut():
    """Generator.random(a), random(b) give random(a + b)'s numbers, and leave the
    generator where it leaves it: the kernel's one draw a week is the hybrids' draws."""
    one, parts = np.random.default_rng(7), np.random.default_rng(7)
    sizes = [71, 0, 3, 700, 1, 52]
    drawn = np.concatenate([parts.random(size) for size in sizes])
    assert np.array_equal(drawn, one.random(sum(sizes)))
    assert parts.random() == one.random()


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_scenarios_equal_under_both_kernels(name, kernel_weeks):
    scenario = campaignsim.load_scenario(bundled_folder() / f"{name}.toml")
    for seed in (1, 2):
        _compare(scenario, seed, kernel_weeks)
    if scenario.on("hybrids") is not None and scenario.on("hybrids").capacity > 0:
        assert kernel_weeks["approached"] > 0  # the kernel chose, not just shuffled


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_equal_under_both_kernels(variant, kernel_weeks):
    scenario = _scenario(VARIANTS[variant])
    for seed in (1, 2, 3):
        _compare(scenario, seed, kernel_weeks)
    assert 0 < kernel_weeks["closed"] < kernel_weeks["weeks"]  # weeks open and closed
    campaigning = scenario.on("hybrids") is not None and scenario.hybrids.capacity > 0
    assert (kernel_weeks["approached"] > 0) == campaigning


def test_a_department_nobody_is_open_in(kernel_weeks):
    """Every clinician of department 0 enrolled at week 0 and none disengaging: its
    hybrids find nobody, every week, while the others choose."""
    scenario = _scenario({"erosion": {"rate": 0.0}})
    world = StaffWorld.build(scenario.staff, 4)
    closed = world.department_members[0].tolist()
    scenario = validate_scenario({**CAMPAIGN, "erosion": {"rate": 0.0},
                                  "seeding": {"nodes": closed}})
    compiled = _compare(scenario, 4, kernel_weeks)
    in_closed = [h for h in compiled.model.hybrids if h.department == 0]
    assert in_closed and all(h.approached_last_week == 0 for h in in_closed)
    assert kernel_weeks["approached"] > 0


def test_hybrids_without_a_department(kernel_weeks):
    """A hybrid whose department has no clinicians (−1, as in a loaded graph) does not
    campaign, but counts in the shuffle's length."""
    scenario = _scenario({})
    world = StaffWorld.build(scenario.staff, 2)
    departments = world.hybrid_department.copy()
    departments[[0, 3]] = -1
    world = dataclasses.replace(world, hybrid_department=departments)
    _compare(scenario, 2, kernel_weeks, run=run_lean, world=world)
    assert kernel_weeks["approached"] > 0


def test_the_reference_engine(kernel_weeks):
    scenario = _scenario({"hybrids": {"capacity": 2}}).with_overrides(engine="agents",
                                                                      weeks=15)
    _compare(scenario, 5, kernel_weeks)
    assert kernel_weeks["approached"] > 0


def test_a_batch_of_points(kernel_weeks):
    """Points stepped together (batch.py): each point's hybrids in its own row, under both
    kernels, equal to the point's separate run on the numpy path."""
    changes = ({}, {"hybrids": {"capacity": 3}}, {"hybrids": {"approach": "random"}},
               {"hybrids": {"leave_week": 5, "leave_share": 0.5}})
    world = StaffWorld.build(_scenario({}).staff, 3)

    def batch():
        return run_together([lean_model(_scenario(change), 3, world=world)
                             for change in changes])
    compiled, one_by_one = _under("numba", batch), _under("numpy", batch)
    for mine, theirs, change in zip(compiled, one_by_one, changes):
        assert_same_run(mine, theirs)
        assert_same_run(mine, _under("numpy", run_lean, _scenario(change), 3, world=world))
    assert kernel_weeks["approached"] > 0


def test_the_order_within_a_hybrids_choice_is_never_read(monkeypatch):
    """The kernel takes the SET of the `capacity` smallest keys, in ascending clinician
    order, where argpartition gives them in its own order: reversing the order of each
    hybrid's choice on the numpy path changes no number."""
    scenario = _scenario({"hybrids": {"capacity": 3}})
    reference = _under("numpy", campaignsim.run, scenario, 1)
    choose = HybridLeader.choose_clinicians
    reversed_ = []

    def reversing(self):
        candidates, taken = choose(self)
        if isinstance(taken, np.ndarray) and len(taken) > 1:
            reversed_.append(len(taken))
            return candidates, taken[::-1]
        return candidates, taken
    monkeypatch.setattr(HybridLeader, "choose_clinicians", reversing)
    assert_same_run(_under("numpy", campaignsim.run, scenario, 1), reference)
    assert len(reversed_) > 20


@pytest.mark.parametrize("capacity", [1, 2, 16, 17, 40, 59])
@pytest.mark.parametrize("aware_first", [False, True])
def test_the_kernel_takes_the_set_argpartition_takes(capacity, aware_first):
    """One hybrid, 60 candidates, a third unaware: the clinicians `choose` approaches are
    those `argpartition` picks (insertion up to capacity 16, quickselect above)."""
    rng = np.random.default_rng(capacity)
    state = np.where(rng.random(60) < 1 / 3, UNAWARE, 1).astype(np.int8)
    keys = rng.random(60)
    hazard, alignment, touched = np.zeros(60), np.zeros(60), np.zeros(60, dtype=bool)
    compiled_hybrids.choose(
        np.arange(60), np.array([0, 60]), keys, np.array([0]), np.array([0]),
        np.array([True]), np.array([0.5]), np.array([0.7]), capacity, aware_first, 0.6,
        0.9, 0.3, 0.1, state, np.full(60, 0.8), hazard, alignment, touched,
        np.zeros(1, dtype=np.int64))
    ranked = keys + (state == UNAWARE) if aware_first else keys
    expected = np.zeros(60, dtype=bool)
    expected[np.argpartition(ranked, capacity - 1)[:capacity]] = True
    assert np.array_equal(touched, expected)
    assert np.all(hazard[touched] == 0.7 * (0.5 * 0.8 + (1 - 0.5) * 0.6))


def test_the_smallest_are_a_stable_sorts_first():
    """`smallest`, both ways (insertion up to 16, quickselect above), on keys with many
    ties: the positions of the count smallest, ascending, the first ones of keys equal at
    the cut — the first `count` of a stable sort."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        keys = rng.integers(0, rng.integers(2, 30), size=rng.integers(2, 80)).astype(float)
        count = int(rng.integers(1, len(keys)))
        taken_at = np.full(count, -1)
        compiled_hybrids.smallest(keys, count, np.empty(count), taken_at)
        assert taken_at.tolist() == sorted(np.argsort(keys, kind="stable")[:count].tolist())


def _wrong(function, *changes):
    """`function` of compiled_hybrids as plain Python with lines changed."""
    source = inspect.getsource(function.py_func).replace("@njit\n", "")
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    namespace = dict(vars(compiled_hybrids))
    exec(source, namespace)  # noqa: S102 (a test's own text)
    return namespace[function.__name__]


WRONG = {
    "takes the largest keys": [
        (compiled_hybrids.choose,
         ("mine[k] = keys[used + k] +", "mine[k] = 1.0 - keys[used + k] +"))],
    "leaves earlier picks in": [
        (compiled_hybrids.gather, ("left[hybrid_department[h]] = max(seen - capacity, 0)",
                                   "left[hybrid_department[h]] = seen")),
        (compiled_hybrids.choose, ("left[d] = kept", "left[d] = seen"),
         ("rows[start + kept] = rows[start + k]", "pass"))],
}


@pytest.mark.parametrize("mistake", WRONG)
def test_a_wrong_kernel_is_caught(monkeypatch, mistake):
    for function, *changes in WRONG[mistake]:
        monkeypatch.setattr(compiled_hybrids, function.__name__, _wrong(function, *changes))
    scenario = _scenario({"hybrids": {"capacity": 3}}).with_overrides(weeks=12)
    with pytest.raises(AssertionError):
        for seed in (1, 2, 3):
            assert_same_run(_under("numba", campaignsim.run, scenario, seed),
                            _under("numpy", campaignsim.run, scenario, seed))
