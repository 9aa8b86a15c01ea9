"""What a worker runs: a task (one replicate at a block of design points), the runs it
makes, and the per-process cache of staff worlds they share.

The points of a task share the replicate's world and weekly draws, so those that can
step together do (`campaignsim.batch`), each giving exactly its separate run's numbers.

Kept apart from the executors because tasks are pickled to worker processes and Dask
workers: `run_task` and `Task` must live at a stable module path that a worker can import,
and the world cache `_WORLDS` is state of the worker process that imports this module.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..batch import run_together
from ..runner import RunResult, lean_model, run, run_lean
from ..scenario import Scenario, ScenarioError, validate_scenario
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


def _state_counts(result: RunResult) -> np.ndarray:
    """Clinicians in each state (columns in STATES order) each week: the time series'
    state columns, read from the records without building the whole time series."""
    records = result.model.records
    return records.state_counts[:records.last_week + 1].astype(np.int32)


def run_one(scenario: Scenario, seed: int, reuse: bool = True) -> RunResult:
    """Run one design point: as `campaignsim.run`, on the lean path with the replicate's
    world shared (`reuse`), or as `campaignsim.run` itself."""
    if not reuse:
        return run(scenario, seed=seed)
    return run_lean(scenario, seed, world=_world(scenario.staff, seed))


def run_task(task: Task) -> dict:
    """Run a task; returns its runs (outcomes and state counts per week) or the error.

    With `reuse`, every point's model is built first (in point order, so the first point
    in error is the one reported) and the points run together where they can."""
    models, results = [], []
    for point, values in task.points:
        try:
            scenario = validate_scenario(apply_point(task.base, task.paths, values))
            if task.reuse:
                models.append(lean_model(scenario, task.seed,
                                         world=_world(scenario.staff, task.seed)))
            else:
                results.append(run(scenario, seed=task.seed))
        except ScenarioError as err:
            # ScenarioError does not survive pickling: send its parts.
            return {"replicate": task.replicate, "error": (point, err.field, err.message)}
    if task.reuse:
        results = run_together(models)
    runs = [(point, _outcomes(result.summary), _state_counts(result))
            for (point, _), result in zip(task.points, results)]
    return {"replicate": task.replicate, "seed": task.seed, "runs": runs}
