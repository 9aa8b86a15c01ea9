"""What a worker runs: a task (one replicate at a block of design points), the runs it
makes, and the per-process cache of staff worlds they share.

Kept apart from the executors because tasks are pickled to worker processes and Dask
workers: `run_task` and `Task` must live at a stable module path that a worker can import,
and the world cache `_WORLDS` is state of the worker process that imports this module.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..model import CampaignModel
from ..outcomes import summarise
from ..runner import RunResult, run
from ..scenario import STATES, Scenario, ScenarioError, validate_scenario
from ..world import StaffWorld
from .design import apply_point

# --- worlds shared across design points ---------------------------------------------

_WORLDS: OrderedDict = OrderedDict()
_WORLDS_KEPT = 2   # a worker runs one replicate's points at a time


def _world(staff, seed: int) -> StaffWorld:
    """Replicate `seed`'s staff world for this [staff] table, built once per worker."""
    key = (staff.model_dump_json(), seed)
    world = _WORLDS.get(key)
    if world is None:
        world = _WORLDS[key] = StaffWorld.build(staff, seed)
        while len(_WORLDS) > _WORLDS_KEPT:
            _WORLDS.popitem(last=False)
    _WORLDS.move_to_end(key)
    return world


# --- one task: a replicate × a block of design points --------------------------------


@dataclass(frozen=True)
class Task:
    """Runs of one replicate at a block of design points (a unit of work for a worker)."""

    base: dict
    paths: tuple[str, ...]
    replicate: int
    seed: int
    points: tuple[tuple[int, tuple], ...]    # (point index, values)
    reuse: bool = True


def _outcomes(summary: dict) -> dict[str, float]:
    """Every scalar outcome of a run summary (dicts flattened as key:sub), as floats."""
    out: dict[str, float] = {}
    for key, value in summary.items():
        if key in ("scenario", "seed"):
            continue
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in items:
            if item is None or (isinstance(item, (int, float)) and not isinstance(item, str)):
                out[key if sub is None else f"{key}:{sub}"] = (np.nan if item is None
                                                                else float(item))
    return out


def run_one(scenario: Scenario, seed: int, reuse: bool = True) -> RunResult:
    """Run one design point: as `campaignsim.run`, with the replicate's world shared and,
    for the vectorised engine, no per-clinician agent objects (nothing reads them)."""
    if not reuse:
        return run(scenario, seed=seed)
    model = CampaignModel(scenario, seed, world=_world(scenario.staff, seed),
                          clinician_agents=False)
    while model.running:
        model.step()
    return RunResult(model=model, summary=summarise(model))


def run_task(task: Task) -> dict:
    """Run a task; returns its runs (outcomes and state counts per week) or the error."""
    runs = []
    for point, values in task.points:
        try:
            scenario = validate_scenario(apply_point(task.base, task.paths, values))
            result = run_one(scenario, task.seed, task.reuse)
        except ScenarioError as err:
            # ScenarioError does not survive pickling: send its parts.
            return {"replicate": task.replicate, "error": (point, err.field, err.message)}
        counts = result.timeseries[list(STATES)].to_numpy(dtype=np.int32)
        runs.append((point, _outcomes(result.summary), counts))
    return {"replicate": task.replicate, "seed": task.seed, "runs": runs}
