"""The batch path gives the numbers of `campaignsim.run`, exactly.

Three claims: the lean path (`run_lean`: no DataCollector, no Clinician objects) equals
`run` byte for byte; design points stepped together as one (clinicians × points) state
(`campaignsim.batch`) each equal their separate run, over a grid that changes the peer
rule, the hybrids' capacity and alignment, co-design, a mandate and fatigue; and a sweep
that batches its points stores the same runs.parquet and time series as one that runs
every point separately. A batch that hands one point another's push fails the comparison
(`test_a_batch_that_mixes_up_points_is_caught`), so the comparison is not vacuous.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import campaignsim
from campaignsim import batch as batching
from campaignsim import approaches
from campaignsim.agents import Clinician
from campaignsim.runner import lean_model, run_batch, run_lean
from campaignsim.scenario import validate_scenario
from campaignsim.sweep import load_runs, load_timeseries, plan_sweep, run_sweep
from campaignsim.world import StaffWorld
from conftest import write

ROOT = Path(__file__).resolve().parents[1]
ARRAYS = ("state", "ownership", "fidelity", "channel", "enrolled_week", "fatigue",
          "erosion_base", "activation", "enrolments", "needed")
STAFF = {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 2,
         "managers": 2, "within_department_density": 0.25, "between_department_density": 0.02,
         "champions": 5}
BASE = {
    "weeks": 20, "staff": STAFF, "seeding": {"count": 4, "rule": "random"},
    "broadcast": {"intensity": 0.05},
    "hybrids": {"capacity": 3, "alignment": 0.5, "leave_week": 8, "leave_share": 0.5},
    "champions": {"rule": "degree", "weight": 2.0, "capacity": 2, "persuasion": 0.3},
    "peer": {"rule": "threshold", "threshold": {"distribution": "normal", "mean": 0.2,
                                                "sd": 0.1}, "cynicism": 0.5, "q": 0.15},
    "activation": {"rate": 0.3}, "erosion": {"rate": 0.1, "recovery": 0.1},
    "fatigue": {"load": 0.8, "recovery": 0.2},
}
#: A grid of points over several mechanisms (as a sweep would set them).
GRID = [
    {},
    {"hybrids": {"capacity": 6}},
    {"hybrids": {"capacity": 0, "alignment": 0.1}},
    {"hybrids": {"alignment": {"distribution": "uniform", "low": 0, "high": 1}}},
    {"codesign": {"share": 0.4}},
    {"mandate": {"start_week": 3, "pressure": 0.1, "backlash": 0.8}},
    {"fatigue": {"load": 0.3, "recovery": 0.5}},
    {"peer": {"cynicism": 0.0, "q": 0.3}},
    {"peer": {"rule": "cascade"}},
    {"peer": {"rule": "cascade", "q": 0.05}, "mandate": {"pressure": 0.2}},
    {"events": {"weeks": [2, 6], "reach": 0.3}, "erosion": {"rate": 0.0}},
    {"shock": {"week": 5, "size": 0.4}, "broadcast": {"intensity": 0.12}},
    {"awareness": {"broadcast": 0.2, "neighbour": 0.1}},
    {"awareness": {"broadcast": 0.05, "approach": 0.5, "neighbour": 0.3},
     "mandate": {"start_week": 3, "pressure": 0.1, "backlash": 0.8}},
]


def _point(change: dict):
    tables = dict(BASE)
    for name, table in change.items():
        tables[name] = {**tables.get(name, {}), **table}
    return validate_scenario(tables)


def assert_same_result(mine, reference):
    assert mine.summary == reference.summary
    assert mine.timeseries.equals(reference.timeseries)
    for name in ARRAYS:
        assert np.array_equal(getattr(mine.model.population, name),
                              getattr(reference.model.population, name)), name
    assert mine.model.ideas == reference.model.ideas


@pytest.mark.parametrize("name, seed", [("baseline", 7), ("champions_network", 3),
                                        ("mandate_and_targets", 11),
                                        ("co_designed_movement", 5)])
def test_lean_run_equals_run_byte_for_byte(name, seed):
    scenario = campaignsim.load_scenario(ROOT / "scenarios" / f"{name}.toml")
    lean, full = run_lean(scenario, seed), campaignsim.run(scenario, seed=seed)
    assert_same_result(lean, full)
    # the lean run really is lean; the full one collects, for users and the teaching page
    assert lean.model.datacollector is None and Clinician not in lean.model.agents_by_type
    assert full.model.datacollector.get_model_vars_dataframe()["enrolled"].tolist() == \
        full.timeseries["enrolled"].tolist()


def test_run_batch_is_a_loop_of_lean_runs():
    scenario = campaignsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    scenario = scenario.with_overrides(weeks=12)
    for seed, result in zip((1, 2, 3), run_batch(scenario, (1, 2, 3))):
        assert result.model.seed == seed
        assert_same_result(result, campaignsim.run(scenario, seed=seed))


@pytest.mark.parametrize("seed", [3, 19])
def test_batched_points_equal_their_separate_runs(monkeypatch, seed):
    batches = []
    monkeypatch.setattr(batching, "Batch", _recording(batching.Batch, batches))
    scenarios = [_point(change) for change in GRID]
    world = StaffWorld.build(scenarios[0].staff, seed)
    results = batching.run_together([lean_model(s, seed, world) for s in scenarios])
    # points that share the peer rule and awareness step together; the cascade points and
    # the [awareness] points form their own batches
    assert sorted(len(b.models) for b in batches) == [2, 2, 10]
    for scenario, result in zip(scenarios, results):
        assert_same_result(result, campaignsim.run(scenario, seed=seed))
    # the grid is not degenerate: nearly all its points end differently
    assert len({(r.summary["final_enrolled_share"], r.summary["mean_ownership_at_enrolment"],
                 r.summary["ideas"]) for r in results}) >= len(GRID) - 2


#: Points that differ in what a model draws while it is set up: its clinicians' trust and
#: thresholds (`_attribute`) and the rankings that choose champions and seeds.
SET_UP = [
    {},
    {"clinicians": {"trust_in_management": {"distribution": "beta", "a": 1.0, "b": 3.0}}},
    {"peer": {"threshold": {"distribution": "normal", "mean": 0.3, "sd": 0.1}}},
    {"champions": {"rule": "random"}},
    {"champions": {"rule": "betweenness"}, "seeding": {"rule": "degree"}},
    {"seeding": {"count": 6, "rule": "betweenness"}},
    {},
]


def test_points_on_one_world_draw_their_own_set_up():
    """The models of one world share the attribute draws and rankings they compute alike
    (`StaffWorld.remembered`); built one after another on one world, each point still
    gets what a model on its own fresh world gets: its population, its generator's state
    after set-up and its run."""
    seed = 5
    scenarios = [_point(change) for change in SET_UP]
    world = StaffWorld.build(scenarios[0].staff, seed)
    models = [lean_model(s, seed, world) for s in scenarios]
    for scenario, model in zip(scenarios, models):
        alone = lean_model(scenario, seed, StaffWorld.build(scenario.staff, seed))
        for name in ("trust", "threshold", "champion", "state", "ownership", "fidelity"):
            assert np.array_equal(getattr(model.population, name),
                                  getattr(alone.population, name)), name
        assert model.rng.bit_generator.state == alone.rng.bit_generator.state
    # the points do differ where they should, and a point repeated draws the same again
    assert not np.array_equal(models[0].population.trust, models[1].population.trust)
    assert not np.array_equal(models[0].population.champion, models[3].population.champion)
    assert models[0].population.trust is not models[6].population.trust
    results = batching.run_together(models)
    for scenario, result in zip(scenarios, results):
        assert_same_result(result, campaignsim.run(scenario, seed=seed))


def test_a_batch_that_mixes_up_points_is_caught(monkeypatch):
    """Hand every point the push of its neighbour: the comparison above must fail."""
    stack = approaches.Push.stack.__func__
    monkeypatch.setattr(approaches.Push, "stack",
                        classmethod(lambda cls, pushes: stack(cls, pushes[1:] + pushes[:1])))
    scenarios = [_point(change) for change in GRID[4:7]]
    world = StaffWorld.build(scenarios[0].staff, 3)
    results = batching.run_together([lean_model(s, 3, world) for s in scenarios])
    with pytest.raises(AssertionError):
        for scenario, result in zip(scenarios, results):
            assert_same_result(result, campaignsim.run(scenario, seed=3))


def _recording(cls, made: list):
    class Recording(cls):
        def __init__(self, models):
            super().__init__(models)
            made.append(self)
    return Recording


def test_a_sweep_with_batching_stores_the_same_runs(tmp_path):
    """runs.parquet and the time series of a batched sweep equal those of a sweep that
    runs every point on its own with `campaignsim.run` (reuse off)."""
    grid = {"hybrids.alignment": [0.2, 0.8], "hybrids.capacity": [1, 5],
            "peer.rule": ["threshold", "cascade"]}
    lines = "\n".join(f'"{path}" = {values!r}'.replace("'", '"') for path, values in grid.items())
    file = write(tmp_path / "s.toml", f"""
        extends = "{(ROOT / 'scenarios' / 'baseline.toml').as_posix()}"
        weeks = 16
        [staff]
        departments = 2
        clinicians_per_department = 40
        [sweep]
        replications = 3
        [sweep.grid]
        {lines}
        """)
    plan = plan_sweep(file)
    assert plan.design().runs == 8 * 3
    folders = {}
    for reuse in (True, False):
        folders[reuse] = tmp_path / f"reuse-{reuse}"
        run_sweep(plan, folders[reuse], workers=1, quiet=True, reuse_worlds=reuse)
    key = ["point", "replicate"]
    batched, separate = (load_runs(folders[r]).sort_values(key, ignore_index=True)
                         for r in (True, False))
    pd.testing.assert_frame_equal(batched, separate, check_exact=True)
    order = ["point", "replicate", "week", "state"]
    batched, separate = (load_timeseries(folders[r]).sort_values(order, ignore_index=True)
                         for r in (True, False))
    pd.testing.assert_frame_equal(batched, separate, check_exact=True)
    assert len(set(itertools.chain(load_runs(folders[True])["final_enrolled_share"]))) > 4


def test_compare_shares_worlds_and_gives_each_runs_numbers():
    """`compare` runs a replicate's scenarios together on one world; every row is still
    `campaignsim.run` of its scenario at the replicate's seed."""
    from campaignsim.compare import compare, replicate_seeds

    scenarios = [_point(GRID[0]).with_overrides(weeks=10, name="a"),
                 _point(GRID[4]).with_overrides(weeks=10, name="b"),
                 _point(GRID[8]).with_overrides(weeks=10, name="c")]
    comparison = compare(scenarios, replications=2, seed=4, workers=1)
    seeds = replicate_seeds(4, 2)
    assert comparison.runs["scenario"].tolist() == ["a", "a", "b", "b", "c", "c"]
    for row in comparison.runs.itertuples():
        summary = campaignsim.run(scenarios[row.scenario_index], seed=seeds[row.replicate]).summary
        assert row.seed == seeds[row.replicate]
        assert row.final_enrolled_share == summary["final_enrolled_share"]
        assert row.ideas == summary["ideas"]
        assert row.mean_ownership_at_enrolment == summary["mean_ownership_at_enrolment"]
