"""The design of a sweep: a scenario's `[sweep]` table checked against the schema and
expanded into design points (a grid, or a latin, sobol or morris sample drawn with SALib
and the scenario seed), and the identity that decides which runs a sweep folder holds.

Everything here happens before a run starts, so a bad path or value is reported with its
place in the file and nothing is written.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..compare import replicate_seeds
from ..scenario import (STATES, Scenario, ScenarioError, Sweep, load_scenario, numeric_kind,
                       validate_scenario)

#: A design larger than this many runs is refused outright.
MAX_RUNS = 10_000_000
#: Bytes a run takes on disk: the runs row, and each (week, state) row of the time series,
#: measured on compressed Parquet (× 1.5 for safety; see docs/sweeps.md).
BYTES_PER_RUN = 600
BYTES_PER_STATE_WEEK = 4.0


@dataclass(frozen=True)
class Parameter:
    """A swept field: its dotted path, its column type and its values or range."""

    path: str
    kind: str                          # "float", "int", "bool", "str" or "json"
    values: tuple | None = None        # grid
    range: tuple[float, float] | None = None   # sample

    def to_dict(self) -> dict:
        data = {"path": self.path, "kind": self.kind}
        if self.values is not None:
            data["values"] = list(self.values)
        if self.range is not None:
            data["range"] = list(self.range)
        return data


@dataclass
class Design:
    """The design points of a sweep (each a tuple of values, one per parameter)."""

    kind: str                          # "grid" or "sample"
    parameters: list[Parameter]
    points: list[tuple]
    replications: int
    seeds: list[int]
    method: str | None = None          # latin, sobol, morris (samples)
    matrix: list[list[float]] | None = None   # SALib's sample before integer rounding
    options: dict = field(default_factory=dict)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.parameters)

    @property
    def runs(self) -> int:
        return len(self.points) * self.replications

    def to_dict(self) -> dict:
        data = {"kind": self.kind, "method": self.method, **self.options,
                "parameters": [p.to_dict() for p in self.parameters],
                "replications": self.replications, "replicate_seeds": self.seeds,
                "points": [list(p) for p in self.points], "runs": self.runs}
        if self.matrix is not None:
            data["matrix"] = self.matrix
        return data


@dataclass
class SweepPlan:
    """A validated sweep, before it runs: the scenario, its base data and the design size."""

    scenario: Scenario          # with its [sweep] table
    source: Path | None
    base: dict                  # the resolved scenario as data, without [sweep]
    point_count: int
    weeks: int                  # the most weeks any point simulates (for the size estimate)
    _design: Design | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def sweep(self) -> Sweep:
        return self.scenario.sweep

    @property
    def runs(self) -> int:
        return self.point_count * self.sweep.replications

    def design(self) -> Design:
        """Expand the design and validate every point as a scenario (cached)."""
        if self._design is None:
            self._design = _expand(self)
        return self._design

    def estimated_bytes(self) -> int:
        """A generous estimate of what the sweep writes to disk."""
        return int(self.runs * (BYTES_PER_RUN + BYTES_PER_STATE_WEEK * len(STATES)
                                * (self.weeks + 1)))


def _error(plan_or_source, field_: str | None, message: str) -> ScenarioError:
    source = plan_or_source.source if isinstance(plan_or_source, SweepPlan) else plan_or_source
    return ScenarioError(source, field_, message)


def set_path(data: dict, path: str, value: Any) -> dict:
    """A copy of scenario data with the dotted `path` set to `value` (tables copied on the way).

    A mechanism table that is absent is created, so sweeping one of its fields turns the
    mechanism on (with the defaults for its other fields).

    Examples:
        >>> set_path({"hybrids": {"capacity": 3}}, "hybrids.alignment", 0.2)
        {'hybrids': {'capacity': 3, 'alignment': 0.2}}
    """
    parts = path.split(".")

    def put(node: dict, depth: int) -> dict:
        node = dict(node)
        key = parts[depth]
        if depth == len(parts) - 1:
            node[key] = copy.deepcopy(value)
            return node
        child = node.get(key)
        if child is None:
            child = {}
        elif not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ScenarioError(None, path, f"{where} is {child!r} in this scenario, not a "
                                f"table, so {path} cannot be set; make {where} a table in the "
                                "scenario file first")
        node[key] = put(child, depth + 1)
        return node

    return put(data, 0)


def apply_point(base: dict, paths: tuple[str, ...], values: tuple) -> dict:
    """Scenario data for one design point: `base` with each path set to its value."""
    data = base
    for path, value in zip(paths, values):
        data = set_path(data, path, value)
    return data


def _column_kind(path: str, values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        if all(isinstance(v, int) for v in values) and numeric_kind(path) == "int":
            return "int"
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def plan_sweep(source: str | Path | Scenario) -> SweepPlan:
    """Read a scenario with a `[sweep]` table and check its parameters and values.

    Args:
        source: a scenario file, or a validated Scenario with `sweep` set.

    Returns:
        A SweepPlan; `plan.design()` expands and checks every design point.

    Raises:
        ScenarioError: no `[sweep]` table, an unknown parameter path (naming the allowed
            fields), a value outside its field's range, an empty grid, a design too large.
    """
    if isinstance(source, Scenario):
        scenario, path = source, None
    else:
        path = Path(source)
        scenario = load_scenario(path)
    if scenario.sweep is None:
        raise ScenarioError(path, "sweep", "no [sweep] table: add one with `replications` and "
                            "a [sweep.grid] or [sweep.sample] (see docs/sweeps.md)")
    base = scenario.to_dict()
    base.pop("sweep", None)
    sweep = scenario.sweep
    weeks = [scenario.weeks]
    if sweep.grid is not None:
        count = math.prod(len(values) for values in sweep.grid.values())
        for param, values in sweep.grid.items():
            for value in values:
                _check_value(path, base, param, value, f"sweep.grid.{param}")
            if param == "weeks":
                weeks.extend(v for v in values if isinstance(v, int))
    else:
        sample = sweep.sample
        dims = len(sample.ranges)
        count = {"latin": sample.samples,
                 "sobol": sample.samples * ((2 * dims + 2) if sample.second_order else (dims + 2)),
                 "morris": sample.samples * (dims + 1)}[sample.method]
        for param, (low, high) in sample.ranges.items():
            for value in (low, high):
                value = _round(value, numeric_kind(param))
                _check_value(path, base, param, value, f"sweep.sample.ranges.{param}")
            if param == "weeks":
                weeks.append(int(high))
    if count * sweep.replications > MAX_RUNS:
        raise ScenarioError(path, "sweep", f"the design has {count:,} points × "
                            f"{sweep.replications:,} replications = "
                            f"{count * sweep.replications:,} runs; at most {MAX_RUNS:,} per sweep")
    return SweepPlan(scenario=scenario, source=path, base=base, point_count=count,
                     weeks=max(weeks))


def _round(value: float, kind: str | None):
    return int(round(value)) if kind == "int" else float(value)


def _check_value(source, base: dict, path: str, value: Any, where: str) -> None:
    try:
        validate_scenario(set_path(base, path, value))
    except ScenarioError as err:
        detail = f"{err.field}: {err.message}" if err.field and err.field != path else err.message
        raise ScenarioError(source, where, f"value {value!r} is not allowed: {detail}") from None


def _expand(plan: SweepPlan) -> Design:
    sweep = plan.sweep
    seeds = replicate_seeds(plan.scenario.seed, sweep.replications)
    if sweep.grid is not None:
        parameters = [Parameter(path, _column_kind(path, values), values=tuple(values))
                      for path, values in sweep.grid.items()]
        points = [tuple(p) for p in itertools.product(*(p.values for p in parameters))]
        design = Design("grid", parameters, points, sweep.replications, seeds)
    else:
        sample = sweep.sample
        paths = list(sample.ranges)
        problem = {"num_vars": len(paths), "names": paths,
                   "bounds": [list(map(float, sample.ranges[p])) for p in paths]}
        matrix = _salib_sample(sample, problem, plan.scenario.seed)
        kinds = [numeric_kind(p) for p in paths]
        parameters = [Parameter(p, kind, range=tuple(map(float, sample.ranges[p])))
                      for p, kind in zip(paths, kinds)]
        points = [tuple(_round(x, kind) for x, kind in zip(row, kinds)) for row in matrix]
        options = {"samples": sample.samples}
        if sample.method == "morris":
            options["levels"] = sample.levels
        if sample.method == "sobol":
            options["second_order"] = sample.second_order
        design = Design("sample", parameters, points, sweep.replications, seeds,
                        method=sample.method, matrix=[list(map(float, row)) for row in matrix],
                        options=options)
    for index, values in enumerate(design.points):
        try:
            validate_scenario(apply_point(plan.base, design.paths, values))
        except ScenarioError as err:
            where = ", ".join(f"{p} = {v!r}" for p, v in zip(design.paths, values))
            detail = f"{err.field}: {err.message}" if err.field else err.message
            raise ScenarioError(plan.source, f"sweep.{design.kind}",
                                f"design point {index} ({where}) is not a valid scenario: "
                                f"{detail}") from None
    return design


def _salib_sample(sample, problem: dict, seed: int) -> np.ndarray:
    import warnings

    from SALib.sample import latin, morris, sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # SALib's notes on sample sizes; we check ours
        if sample.method == "latin":
            return latin.sample(problem, sample.samples, seed=seed)
        if sample.method == "sobol":
            return sobol.sample(problem, sample.samples, calc_second_order=sample.second_order,
                                scramble=True, seed=seed)
        return morris.sample(problem, sample.samples, num_levels=sample.levels, seed=seed)


def sweep_identity(plan: SweepPlan) -> str:
    """SHA-256 of what decides the sweep's rows: the resolved scenario (with its seed; not
    its name or description, which change no run), the [sweep] table and the design
    points."""
    design = plan.design()
    scenario = {k: v for k, v in plan.base.items() if k not in ("name", "description")}
    data = {"scenario": scenario, "sweep": plan.sweep.model_dump(mode="json"),
            "points": [list(p) for p in design.points]}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
