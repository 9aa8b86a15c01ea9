"""Scenario sweeps at scale: a grid or a sampled design × replications, on all local cores
or a Dask cluster, streamed to a resumable Parquet store.

    from campaignsim.sweep import plan_sweep, run_sweep, load_runs, load_timeseries
    plan = plan_sweep("scenarios/sweeps/hybrid_alignment.toml")
    run_sweep(plan, "results/hybrid_alignment-sweep", workers=2)
    runs = load_runs("results/hybrid_alignment-sweep")        # one row per run

**Design.** A scenario's `[sweep]` table names either a grid (dotted field paths →
value lists, every combination run) or a sample (latin, sobol or morris over numeric
ranges, drawn with SALib and the scenario seed). Every path and value is checked against
the scenario schema before anything runs: each value alone, then every design point as a
whole scenario.

**Seeds.** Run (point p, replicate i) uses `replicate_seeds(scenario.seed, R)[i]`: the seed
depends on the scenario seed and the replicate index only, so replicate i of every point
has the same staff graph, clinicians and weekly draws (common random numbers), and results
do not depend on the executor, the number of workers or the order of the runs.

**Worlds.** Building a 10,000-staff hospital costs several times running it for a year.
Replicate i of every point with the same `[staff]` has the same staff graph, so a worker
builds that graph, and the clinician structure derived from it (ids, departments,
professions, the sparse adjacency), once and reuses it across points; the attributes that
depend on the point (trust, thresholds, hybrids, champions, seeds) and the Mesa agents are
made afresh for every run, exactly as `campaignsim.run` makes them
(`CampaignModel(scenario, seed, world=...)`; with the vectorised engine no per-clinician
agent objects are made, as nothing reads them). Every run equals
`campaignsim.run(scenario, seed)` of its point (tests/test_sweep.py checks it).

**Store.** DIR/manifest.json (the resolved scenario and sweep, the design, hashes,
versions), DIR/runs.parquet (one row per run: point, replicate, seed, the parameters and
every scalar outcome of the run's summary), and DIR/timeseries/ (a Parquet dataset
partitioned by replicate, `replicate=<i>/part-….parquet`, long format: point, week,
state, count). Results are streamed to disk in chunks, each file written to a temporary
name and renamed; while a sweep is unfinished its rows are in DIR/runs-parts/, and
runs.parquet is written when the last run is in.

**Resume.** Rerunning the same sweep into the same folder runs only the runs missing from
it; a folder holding another scenario or design is refused.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import math
import os
import shutil
import signal
import sys
import time
import uuid
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from .compare import mean_ci, process_context, replicate_seeds
from .model import CampaignModel
from .outcomes import summarise
from .results_io import MANIFEST, atomic_write, manifest, write_json
from .runner import RunResult, run
from .scenario import (STATES, Scenario, ScenarioError, Sweep, numeric_kind, read_scenario_data,
                       validate_scenario)
from .world import StaffWorld

if TYPE_CHECKING:
    import pandas as pd

KIND = "sweep"
RUNS_FILE = "runs.parquet"
PARTS_DIR = "runs-parts"
TIMESERIES_DIR = "timeseries"
LOCK_FILE = ".lock"
#: Outcomes shown by default in tables, plots and sensitivity analyses.
HEADLINE = ("final_enrolled_share", "active_share", "enrolment_engagement_gap",
            "disengaged_share", "mean_ownership", "weeks_to_50")
#: A design larger than this many runs is refused outright.
MAX_RUNS = 10_000_000
#: Bytes a run takes on disk: the runs row, and each (week, state) row of the time series,
#: measured on compressed Parquet (× 1.5 for safety; see docs/sweeps.md).
BYTES_PER_RUN = 600
BYTES_PER_STATE_WEEK = 4.0
#: Ask for --yes above this estimated size, or above half of the free disk space.
LARGE_BYTES = 2 * 1024 ** 3
#: Flush buffered runs to disk at least this often (seconds).
FLUSH_SECONDS = 30.0


# --- the design ----------------------------------------------------------------------


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
        data = read_scenario_data(path)
        data.setdefault("name", path.stem)
        scenario = validate_scenario(data, path)
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


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle


# --- executors -----------------------------------------------------------------------


class _Window:
    """Keep `window` tasks in flight and yield results as they finish; the first window is
    submitted at once (before any progress-bar thread exists in this process)."""

    def __init__(self, tasks: list[Task], submit, window: int, wait_some):
        self.queue = iter(tasks)
        self.submit, self.wait_some = submit, wait_some
        self.pending = {submit(run_task, task) for task in itertools.islice(self.queue, window)}

    def __iter__(self) -> Iterator[dict]:
        while self.pending:
            for future in self.wait_some(self.pending):
                self.pending.discard(future)
                for task in itertools.islice(self.queue, 1):
                    self.pending.add(self.submit(run_task, task))
                yield future.result()


class _Inline:
    """Runs tasks one after another in this process (--workers 1)."""

    slots = 1

    def start(self, tasks: list[Task]):
        return (run_task(task) for task in tasks)

    def close(self) -> None:
        pass


class _Processes:
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int):
        self.slots = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint,
                                        mp_context=process_context())
        self.pool.submit(int).result()   # start the workers now, while this process is simple

    def start(self, tasks: list[Task]) -> _Window:
        return _Window(tasks, self.pool.submit, 2 * self.slots,
                       lambda pending: wait(pending, return_when=FIRST_COMPLETED)[0])

    def close(self) -> None:
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:   # an interrupted sweep does not wait for running tasks
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        self.pool = None


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with one message, if a tcp:// scheduler address cannot be reached."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme != "tcp" and parts.scheme in ("tls", "ws", "wss", "inproc", "ucx"):
        return  # let Dask connect (and report) for other transports
    if not host or not port:
        raise ScenarioError(None, "--scheduler", f"{address!r} is not a scheduler address; "
                            "write tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        raise ScenarioError(None, "--scheduler", f"cannot reach the Dask scheduler at "
                            f"{address} ({err.strerror or err}); start it with "
                            "`dask scheduler` or leave out --scheduler to use this machine's "
                            "cores") from None


def _require_dask():
    try:
        import distributed
    except ImportError:
        raise ScenarioError(None, "--executor", "dask needs the optional extra: python3 -m pip "
                            "install 'campaignsim[dask]' (or -e '.[dask]' in a clone)") from None
    return distributed


class _Dask:
    """A dask.distributed client: joins `scheduler`, or starts a LocalCluster on 127.0.0.1."""

    def __init__(self, workers: int, scheduler: str | None):
        import logging

        distributed = _require_dask()
        self.cluster = None
        if scheduler:
            check_scheduler(scheduler)
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise ScenarioError(None, "--scheduler", f"cannot connect to the Dask "
                                    f"scheduler at {scheduler}: {err}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        self.distributed = distributed
        self.slots = max(1, sum(self.client.nthreads().values()))

    def start(self, tasks: list[Task]) -> _Window:
        done = self.distributed.as_completed()

        def submit(function, task):
            future = self.client.submit(function, task, pure=False)
            done.add(future)
            return future

        return _Window(tasks, submit, 2 * self.slots, lambda pending: [next(done)])

    def close(self) -> None:
        if self.client is None:
            return
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
        self.client = self.cluster = None


# --- the store -----------------------------------------------------------------------


def _runs_schema(paths_kinds: list[tuple[str, str]], outcomes: list[str]):
    import pyarrow as pa

    types = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string(),
             "json": pa.string()}
    fields = [pa.field("point", pa.int64()), pa.field("replicate", pa.int64()),
              pa.field("seed", pa.int64())]
    fields += [pa.field(path, types[kind]) for path, kind in paths_kinds]
    fields += [pa.field(name, pa.float64()) for name in outcomes]
    return pa.schema(fields)


def _cell(value: Any, kind: str):
    if kind == "json":
        return json.dumps(value, sort_keys=True)
    if kind == "float":
        return float(value)
    return value


def _write_parquet(table, path: Path) -> None:
    """Write a Parquet file atomically and durably: a temporary file, flushed to disk,
    renamed into place, and the folder's entry flushed too."""
    import pyarrow.parquet as pq

    def write(temporary: Path) -> None:
        pq.write_table(table, temporary, compression="zstd")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())

    atomic_write(path, write)
    with contextlib.suppress(OSError):   # not every system can open a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


class Store:
    """A sweep folder: committed chunks of runs, their time series, the manifest."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS_DIR
        self.timeseries = self.folder / TIMESERIES_DIR
        self.session = uuid.uuid4().hex[:8]
        self.counter = 0

    # reading -----------------------------------------------------------------------

    def manifest(self) -> dict | None:
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet")) if self.parts.is_dir() else []

    def committed(self) -> tuple[set[tuple[int, int]], set[str]]:
        """(point, replicate) of every stored run, and the ids of the stored chunks."""
        import pyarrow.parquet as pq

        done: set[tuple[int, int]] = set()
        chunks: set[str] = set()
        runs_file = self.folder / RUNS_FILE
        if runs_file.is_file():
            table = pq.read_table(runs_file, columns=["point", "replicate"])
            done.update(zip(table["point"].to_pylist(), table["replicate"].to_pylist()))
            metadata = pq.read_schema(runs_file).metadata or {}
            chunks.update(json.loads(metadata.get(b"campaignsim.chunks", b"[]")))
        for part in self.part_files():
            try:
                table = pq.read_table(part, columns=["point", "replicate"])
            except Exception:   # damaged (a power cut before the disk had it): not committed
                part.replace(part.with_name(f".{part.name}.damaged"))
                continue
            done.update(zip(table["point"].to_pylist(), table["replicate"].to_pylist()))
            chunks.add(part.stem)
        return done, chunks

    def tidy(self) -> None:
        """Remove what an interrupted writer left: temporary files, and time-series parts
        of chunks whose runs were never committed."""
        _, chunks = self.committed()
        for folder in (self.folder, self.parts, *self._partitions()):
            if folder.is_dir():
                for temporary in folder.glob(".*.tmp"):
                    temporary.unlink(missing_ok=True)
        for partition in self._partitions():
            for part in partition.glob("part-*.parquet"):
                if part.stem not in chunks:
                    part.unlink(missing_ok=True)

    def _partitions(self) -> list[Path]:
        return sorted(self.timeseries.glob("replicate=*")) if self.timeseries.is_dir() else []

    # writing -----------------------------------------------------------------------

    def write_chunk(self, results: list[tuple[int, int, int, dict, np.ndarray]],
                    design: Design) -> None:
        """Write buffered runs (point, replicate, seed, outcomes, counts) as one chunk:
        time series first, the runs rows last (their file commits the chunk)."""
        import pyarrow as pa

        if not results:
            return
        self.counter += 1
        chunk = f"part-{self.session}-{self.counter:05d}"
        results = sorted(results, key=lambda r: (r[1], r[0]))
        for replicate, group in itertools.groupby(results, key=lambda r: r[1]):
            group = list(group)
            points = np.concatenate([np.full(c.size, p, dtype=np.int64) for p, _, _, _, c in group])
            weeks = np.concatenate([np.repeat(np.arange(c.shape[0], dtype=np.int32), c.shape[1])
                                    for *_, c in group])
            states = np.concatenate([np.tile(np.arange(c.shape[1], dtype=np.int8), c.shape[0])
                                     for *_, c in group])
            counts = np.concatenate([c.ravel() for *_, c in group])
            table = pa.table({
                "point": points, "week": weeks,
                "state": pa.DictionaryArray.from_arrays(pa.array(states, pa.int8()),
                                                        pa.array(list(STATES))),
                "count": counts.astype(np.int64)})
            _write_parquet(table, self.timeseries / f"replicate={replicate}" / f"{chunk}.parquet")
        outcomes = list(dict.fromkeys(k for r in results for k in r[3]))
        kinds = [(p.path, p.kind) for p in design.parameters]
        schema = _runs_schema(kinds, outcomes)
        columns: dict[str, list] = {name: [] for name in schema.names}
        for point, replicate, seed, outcome, _ in results:
            columns["point"].append(point)
            columns["replicate"].append(replicate)
            columns["seed"].append(seed)
            for (path, kind), value in zip(kinds, design.points[point]):
                columns[path].append(_cell(value, kind))
            for name in outcomes:
                columns[name].append(outcome.get(name, np.nan))
        _write_parquet(pa.table(columns, schema=schema), self.parts / f"{chunk}.parquet")

    def consolidate(self) -> int:
        """Merge runs.parquet and the committed parts into runs.parquet (sorted by point and
        replicate, one row per run), then remove the parts. Returns the number of rows."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables, chunks = [], []
        runs_file = self.folder / RUNS_FILE
        if runs_file.is_file():
            tables.append(pq.read_table(runs_file))
            metadata = pq.read_schema(runs_file).metadata or {}
            chunks += json.loads(metadata.get(b"campaignsim.chunks", b"[]"))
        parts = self.part_files()
        for part in parts:
            tables.append(pq.read_table(part))
            chunks.append(part.stem)
        if not tables:
            return 0
        table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables],
                                 promote_options="permissive")
        keys = np.asarray(table["point"]) * (1 << 32) + np.asarray(table["replicate"])
        _, first = np.unique(keys, return_index=True)     # sorted by (point, replicate)
        table = table.take(pa.array(first))
        table = table.replace_schema_metadata({"campaignsim.chunks": json.dumps(sorted(set(chunks)))})
        _write_parquet(table, runs_file)
        for part in parts:
            part.unlink(missing_ok=True)
        if self.parts.is_dir():
            for leftover in self.parts.glob(".part-*"):   # damaged or temporary files
                leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.parts.rmdir()
        return table.num_rows


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold an exclusive lock on the folder while a sweep writes to it."""
    try:
        import fcntl
    except ImportError:   # not POSIX: no lock
        yield
        return
    handle = open(folder / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ScenarioError(folder, "--out", "another sweep is writing to this folder "
                                "now; wait for it or choose another --out") from None
        yield
    finally:
        handle.close()


def _claim(folder: Path, identity: str) -> dict | None:
    """The folder's manifest if it holds this sweep; None if the folder is free."""
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise ScenarioError(folder, "--out", "exists and is not a folder")
    contents = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if not contents:
        return None
    existing = Store(folder).manifest()
    if existing is None:
        raise ScenarioError(folder, "--out", "folder holds files that campaignsim did not "
                            "write; choose another --out")
    if existing.get("kind") != KIND or existing.get("identity") != identity:
        what = (f"a {existing.get('kind', 'run')} of {existing.get('scenario', '?')}"
                if existing.get("kind") != KIND
                else f"another sweep ({existing.get('scenario', '?')}: the scenario or its "
                     "design differs from this one)")
        raise ScenarioError(folder, "--out", f"folder holds {what}; results of different "
                            "sweeps are never mixed: choose another --out, or delete the "
                            "folder to start again")
    return existing


def _free_bytes(folder: Path) -> int:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def check_disk(plan: SweepPlan, folder: Path, yes: bool) -> int:
    """Refuse a design too large for the disk; ask for `yes` above a large size."""
    runs, estimate = plan.runs, plan.estimated_bytes()
    free = _free_bytes(folder)
    if estimate > free:
        raise _error(plan, "sweep", f"the design's {runs:,} runs need about {_size(estimate)} "
                     f"in {folder}, more than the {_size(free)} free on that disk; make the "
                     "design smaller (fewer points, replications or weeks)")
    if not yes and (estimate > LARGE_BYTES or estimate > free / 2):
        raise _error(plan, "sweep", f"the design's {runs:,} runs will write about "
                     f"{_size(estimate)} to {folder} ({_size(free)} free); pass --yes to go "
                     "ahead")
    return estimate


# --- running a sweep -----------------------------------------------------------------


@dataclass
class SweepOutcome:
    """What `run_sweep` did."""

    folder: Path
    total: int            # runs in the design
    done_before: int      # runs already in the folder
    ran: int              # runs done now
    seconds: float
    complete: bool

    @property
    def runs_per_second(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else float("nan")


def default_folder(plan: SweepPlan) -> Path:
    return Path("results") / f"{plan.name}-sweep"


def _tasks(plan: SweepPlan, design: Design, missing: list[tuple[int, int]], workers: int,
           chunk: int, reuse: bool) -> list[Task]:
    """Tasks of one replicate × a block of points; replicates interleaved in groups of
    `workers` so each worker tends to keep one replicate's world."""
    by_replicate: dict[int, list[int]] = {}
    for point, replicate in missing:
        by_replicate.setdefault(replicate, []).append(point)
    staff_paths = [i for i, p in enumerate(design.paths) if p.split(".")[0] == "staff"]
    total = len(missing)
    block = max(1, min(chunk, math.ceil(total / (8 * workers))))
    blocks: dict[int, list[list[int]]] = {}
    for replicate, points in by_replicate.items():
        # Points sharing a [staff] table are neighbours, so they share a world.
        points = sorted(points, key=lambda p: (tuple(repr(design.points[p][i])
                                                     for i in staff_paths), p))
        blocks[replicate] = [points[i:i + block] for i in range(0, len(points), block)]
    replicates = sorted(blocks)
    tasks = []
    for g in range(0, len(replicates), workers):
        group = replicates[g:g + workers]
        for round_ in range(max(len(blocks[r]) for r in group)):
            for replicate in group:
                if round_ < len(blocks[replicate]):
                    tasks.append(Task(plan.base, design.paths, replicate,
                                      design.seeds[replicate],
                                      tuple((p, design.points[p])
                                            for p in blocks[replicate][round_]), reuse))
    return tasks


def _manifest(plan: SweepPlan, design: Design, identity: str, status: str, done: int,
              created: str | None, **extra) -> dict:
    from importlib import metadata

    libraries = {}
    for package in ("pyarrow", "SALib", "dask", "distributed", "tqdm"):
        try:
            libraries[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            libraries[package] = None
    base = validate_scenario(plan.base)
    return manifest(
        KIND, identity, scenario=plan.name, source=str(plan.source) if plan.source else None,
        status=status, runs_total=design.runs, runs_done=done,
        created=created or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"), seed=plan.scenario.seed,
        scenario_hash=base.content_hash(exclude=()), resolved=plan.base,
        sweep=plan.sweep.model_dump(mode="json"), design=design.to_dict(),
        store={"runs": RUNS_FILE, "runs_while_running": f"{PARTS_DIR}/",
               "timeseries": f"{TIMESERIES_DIR}/ (Parquet dataset, hive partitioning "
                             "replicate=<i>; columns point, week, state, count)"},
        libraries=libraries, **extra)


def run_sweep(plan: SweepPlan, folder: str | Path | None = None, workers: int | None = None,
              executor: str = "processes", scheduler: str | None = None, quiet: bool = False,
              yes: bool = False, chunk: int | None = None, reuse_worlds: bool = True,
              announce: Callable[[str], None] | None = None) -> SweepOutcome:
    """Run the sweep's missing runs into `folder` and write runs.parquet when all are in.

    Args:
        plan: from `plan_sweep`.
        folder: results folder (default results/<name>-sweep/).
        workers: processes (default: all cores; 1 runs in this process). With dask and no
            scheduler, the LocalCluster's workers.
        executor: "processes" or "dask".
        scheduler: a Dask scheduler address to join (implies executor "dask").
        quiet: no progress bar.
        yes: go ahead with a design that will write a lot to disk.
        chunk: runs per chunk written to disk (default: about 1/20 of the design, 50-2000).
        reuse_worlds: share each replicate's staff graph across design points.
        announce: called with one line before the runs start (the CLI prints it).

    Raises:
        ScenarioError: bad design, folder of another sweep, disk too small, scheduler not
            reachable, or a design point the model refuses; nothing is written when the
            problem is found before the first run is stored.
        KeyboardInterrupt: after storing the runs received so far.
    """
    folder = Path(folder) if folder else default_folder(plan)
    if scheduler:
        executor = "dask"
    if executor not in ("processes", "dask"):
        raise _error(plan, "--executor", f"unknown executor {executor!r}; allowed: processes, "
                     "dask")
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise _error(plan, "--workers", "must be at least 1")
    if chunk is not None and chunk < 1:
        raise _error(plan, "--chunk", "must be at least 1")
    check_disk(plan, folder, yes)
    design = plan.design()
    identity = sweep_identity(plan)
    existing = _claim(folder, identity)
    started = time.perf_counter()
    store = Store(folder)
    if existing is not None and existing.get("status") == "complete":
        done, _ = store.committed()
        if len(done) == len(design.points) * design.replications:
            return SweepOutcome(folder, design.runs, len(done), 0, 0.0, True)
    # Workers start before this process reads any Parquet (which starts Arrow's threads).
    if executor == "dask":
        runner = _Dask(workers, scheduler)   # an unreachable scheduler fails here
    elif workers == 1:
        runner = _Inline()
    else:
        runner = _Processes(workers)
    try:
        return _run(plan, design, identity, existing, store, runner, folder, chunk, quiet,
                    reuse_worlds, scheduler, executor, workers, started, announce)
    finally:
        runner.close()


def _run(plan, design, identity, existing, store, runner, folder, chunk, quiet, reuse_worlds,
         scheduler, executor, workers, started, announce) -> SweepOutcome:
    done: set[tuple[int, int]] = set()
    if existing is not None:
        done, _ = store.committed()
    missing = [(p, r) for p in range(len(design.points)) for r in range(design.replications)
               if (p, r) not in done]
    total = design.runs
    chunk = chunk or max(50, min(2000, total // 20))
    if not missing:   # all runs are in: make sure runs.parquet holds them
        runner.close()
        with _locked(folder):
            store.tidy()
            rows = store.consolidate()
            write_json(folder / MANIFEST, _manifest(plan, design, identity, "complete", rows,
                                                    existing.get("created")))
        return SweepOutcome(folder, total, len(done), 0, 0.0, True)
    tasks = _tasks(plan, design, missing, runner.slots, chunk, reuse_worlds)
    created_folder = not folder.exists()
    created = existing.get("created") if existing else None
    stored = len(done)
    wrote = locked = False
    if announce:
        where = (f"the Dask scheduler at {scheduler}" if scheduler else
                 f"a Dask LocalCluster of {runner.slots} workers" if executor == "dask" else
                 "this process" if workers == 1 else f"{workers} processes")
        announce(f"sweep {plan.name}: {len(design.points):,} points × {design.replications} "
                 f"replications = {total:,} runs ({len(done):,} already in {folder}, "
                 f"{len(missing):,} to run) on {where}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            locked = True
            store.tidy()
            write_json(folder / MANIFEST, _manifest(plan, design, identity, "running", stored,
                                                    created))
            results = runner.start(tasks)
            bar = _progress(total, len(done), plan.name, quiet)
            buffer: list = []
            last_flush = time.monotonic()
            status = "interrupted"
            try:
                for result in _guarded(results, folder):
                    if "error" in result:
                        status = "failed"
                        point, field_, message = result["error"]
                        values = ", ".join(f"{p} = {v!r}" for p, v in
                                           zip(design.paths, design.points[point]))
                        raise _error(plan, field_, f"{message} (at design point {point}: "
                                     f"{values}, replicate {result['replicate']})")
                    for point, outcome, counts in result["runs"]:
                        buffer.append((point, result["replicate"], result["seed"], outcome,
                                       counts))
                    bar.update(len(result["runs"]))
                    if len(buffer) >= chunk or time.monotonic() - last_flush > FLUSH_SECONDS:
                        store.write_chunk(buffer, design)
                        stored, wrote = stored + len(buffer), True
                        buffer, last_flush = [], time.monotonic()
                status = "complete"
            finally:
                bar.close()
                runner.close()   # stop the workers before the last writes
                if buffer:
                    store.write_chunk(buffer, design)
                    stored, wrote = stored + len(buffer), True
                if status == "complete":
                    stored = store.consolidate()
                if wrote or existing is not None:
                    write_json(folder / MANIFEST, _manifest(
                        plan, design, identity, status, stored, created,
                        seconds_last_session=round(time.perf_counter() - started, 3)))
    except BaseException:
        if locked and not wrote and existing is None:   # nothing stored: leave no trace
            if created_folder:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                for name in (MANIFEST, LOCK_FILE):
                    (folder / name).unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    return SweepOutcome(folder, total, len(done), len(missing), seconds, True)


class SweepFailed(RuntimeError):
    """The executor lost work (a worker died, the cluster went away); runs finished before
    are stored, and running the sweep again resumes it."""


def _guarded(results, folder: Path) -> Iterator[dict]:
    """Results, with executor failures turned into one SweepFailed message."""
    iterator = iter(results)
    while True:
        try:
            result = next(iterator)
        except StopIteration:
            return
        except (ScenarioError, KeyboardInterrupt):
            raise
        except Exception as err:   # BrokenProcessPool, KilledWorker, a lost connection, ...
            raise SweepFailed(f"the sweep stopped: {type(err).__name__}: {err or 'a worker died'}"
                              f"; the runs finished so far are stored in {folder}/; run the "
                              "same command again to resume") from err
        yield result


class _Quiet:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, done: int, name: str, quiet: bool):
    """A tqdm bar on stderr (runs done, runs/s, time left), or nothing when quiet."""
    if quiet:
        return _Quiet()   # no bar, and no tqdm monitor thread
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="run", desc=name, file=sys.stderr,
                smoothing=0.05, mininterval=0.5, dynamic_ncols=True)


# --- reading a sweep folder ----------------------------------------------------------


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a sweep folder (ScenarioError if it is not one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(folder, None, "no such folder")
    data = Store(folder).manifest()
    if data is None or data.get("kind") != KIND:
        what = "no manifest.json" if data is None else f"a {data.get('kind')} folder"
        raise ScenarioError(folder, None, f"not a sweep folder ({what}); run `campaignsim "
                            "sweep FILE` first")
    return data


def load_runs(folder: str | Path) -> pd.DataFrame:
    """One row per stored run (also of an unfinished sweep), sorted by point and replicate."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    read_manifest(folder)
    store = Store(folder)
    tables = []
    if (folder / RUNS_FILE).is_file():
        tables.append(pq.read_table(folder / RUNS_FILE).replace_schema_metadata(None))
    tables += [pq.read_table(p) for p in store.part_files()]
    if not tables:
        return pd.DataFrame(columns=["point", "replicate", "seed"])
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    frame = frame.drop_duplicates(["point", "replicate"])
    return frame.sort_values(["point", "replicate"], ignore_index=True)


def load_timeseries(folder: str | Path, states: tuple[str, ...] | None = None,
                    points: list[int] | None = None) -> pd.DataFrame:
    """The stored time series (long format: point, replicate, week, state, count).

    Args:
        states: keep only these states (default: all).
        points: keep only these design points (default: all).
    """
    import pyarrow.dataset as ds

    folder = Path(folder)
    read_manifest(folder)
    _, chunks = Store(folder).committed()
    files = [str(p) for p in sorted((folder / TIMESERIES_DIR).glob("replicate=*/part-*.parquet"))
             if p.stem in chunks]
    import pandas as pd

    if not files:
        return pd.DataFrame(columns=["point", "replicate", "week", "state", "count"])
    dataset = ds.dataset(files, format="parquet", partitioning="hive",
                         partition_base_dir=str(folder / TIMESERIES_DIR))
    condition = None
    if states is not None:
        condition = ds.field("state").isin(list(states))
    if points is not None:
        point_condition = ds.field("point").isin(list(points))
        condition = point_condition if condition is None else condition & point_condition
    frame = dataset.to_table(filter=condition).to_pandas()
    frame["replicate"] = frame["replicate"].astype("int64")
    frame["state"] = frame["state"].astype(str)
    return frame[["point", "replicate", "week", "state", "count"]].sort_values(
        ["point", "replicate", "week"], kind="stable", ignore_index=True)


def enrolled_curves(folder: str | Path, runs: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Enrolled (incl. active) share per run and week: point, replicate, week, enrolled."""
    import pandas as pd

    runs = load_runs(folder) if runs is None else runs
    series = load_timeseries(folder, states=("enrolled", "active"))
    if series.empty:
        return pd.DataFrame(columns=["point", "replicate", "week", "enrolled"])
    counts = series.groupby(["point", "replicate", "week"], sort=True)["count"].sum().reset_index()
    sizes = runs[["point", "replicate", "clinicians"]]
    counts = counts.merge(sizes, on=["point", "replicate"])
    counts["enrolled"] = counts["count"] / counts["clinicians"]
    return counts[["point", "replicate", "week", "enrolled"]]


# --- summaries and analysis ----------------------------------------------------------


def point_table(runs: pd.DataFrame, paths: list[str],
                outcomes: tuple[str, ...] = ("final_enrolled_share", "active_share",
                                             "enrolment_engagement_gap")) -> pd.DataFrame:
    """Mean and 95 % CI of outcomes per design point."""
    import pandas as pd

    rows = []
    for point, group in runs.groupby("point", sort=True):
        row = {"point": point, **{p: group[p].iloc[0] for p in paths}, "runs": len(group)}
        for outcome in outcomes:
            if outcome in group:
                row[outcome], row[f"{outcome}_ci_low"], row[f"{outcome}_ci_high"] = mean_ci(
                    group[outcome].to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows)


def format_points(table: pd.DataFrame, paths: list[str], limit: int = 30) -> str:
    """The per-point table as text (the first `limit` points)."""
    def cell(row, key):
        mean, low, high = row.get(key), row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
        if mean is None or not np.isfinite(mean):
            return "—"
        half = (high - low) / 2 if np.isfinite(high) else 0.0
        return f"{mean:6.1%} ±{half:5.1%}"

    widths = [max(len(p), 8) for p in paths]
    header = " ".join(f"{p:>{w}}" for p, w in zip(paths, widths))
    header += f" {'runs':>5} {'enrolled':>15} {'active':>15} {'gap':>15}"
    lines = [header, "-" * len(header)]
    for _, row in table.head(limit).iterrows():
        values = " ".join(f"{_short(row[p]):>{w}}" for p, w in zip(paths, widths))
        lines.append(f"{values} {int(row['runs']):>5} {cell(row, 'final_enrolled_share'):>15} "
                     f"{cell(row, 'active_share'):>15} "
                     f"{cell(row, 'enrolment_engagement_gap'):>15}")
    if len(table) > limit:
        lines.append(f"… {len(table) - limit} more points in runs.parquet")
    lines.append("means ± half-width of the 95 % CI over replications (common random numbers)")
    return "\n".join(lines)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass
class Sensitivity:
    """Sensitivity indices: one row per (outcome, parameter), ranked within each outcome."""

    method: str
    table: pd.DataFrame
    index: str              # the column that ranks the levers
    notes: list[str]


def sensitivity(folder: str | Path, outcomes: tuple[str, ...] | None = None) -> Sensitivity:
    """Sensitivity of outcomes to the swept parameters.

    Sampled designs use SALib on the means over replicates per design point: Sobol'
    first-order and total indices (sobol), Morris μ* and σ (morris), RBD-FAST first-order
    indices (latin). A full-factorial grid gets the exact variance decomposition over its
    levels (first-order and total Sobol' indices of a uniform discrete design).
    """
    import pandas as pd

    data = read_manifest(folder)
    design = data["design"]
    if data.get("status") != "complete":
        raise ScenarioError(folder, None, f"the sweep is not complete ({data.get('runs_done', 0)}"
                            f" of {data.get('runs_total', '?')} runs); rerun `campaignsim sweep` "
                            "with the same file and --out to finish it")
    runs = load_runs(folder)
    paths = [p["path"] for p in design["parameters"]]
    wanted = outcomes or tuple(o for o in HEADLINE if o in runs)
    unknown = [o for o in wanted if o not in runs or o in ("point", "replicate", "seed", *paths)]
    if unknown:
        allowed = [c for c in runs.columns if c not in ("point", "replicate", "seed", *paths)]
        raise ScenarioError(folder, "--outcome", f"unknown outcome {unknown[0]!r}; allowed: "
                            f"{', '.join(allowed)}")
    means = runs.groupby("point", sort=True)[list(wanted)].mean()
    notes: list[str] = []
    rows = []
    method = design.get("method") or "grid"
    for outcome in wanted:
        y = means[outcome].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            notes.append(f"{outcome}: skipped (undefined at some design points, e.g. a share "
                         "never reached)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{outcome}: skipped (the same at every design point)")
            continue
        if method == "grid":
            indices = _grid_indices(runs.groupby("point", sort=True)[paths].first(), y, paths)
        else:
            indices = _salib_indices(design, paths, y)
        for path, values in indices.items():
            rows.append({"outcome": outcome, "parameter": path, **values})
    table = pd.DataFrame(rows)
    index = {"morris": "mu_star", "latin": "S1"}.get(method, "ST")
    if not table.empty:
        table["rank"] = (table.groupby("outcome")[index].rank(ascending=False, method="min")
                         .astype(int))
        table = table.sort_values(["outcome", "rank"], key=lambda c: c.map(
            {o: i for i, o in enumerate(wanted)}) if c.name == "outcome" else c,
            ignore_index=True)
    noise = _replicate_noise(runs, wanted)
    if noise:
        notes.append("replicate noise (variance of a point's mean over replications, as a share"
                     " of the variance across points): " + ", ".join(
                         f"{o} {v:.1%}" for o, v in noise.items()))
    return Sensitivity(method, table, index, notes)


def _replicate_noise(runs, outcomes) -> dict[str, float]:
    found = {}
    for outcome in outcomes:
        grouped = runs.groupby("point")[outcome]
        means, variances, counts = grouped.mean(), grouped.var(ddof=1), grouped.count()
        if counts.min() < 2 or not np.isfinite(means).all() or means.var(ddof=0) == 0:
            continue
        found[outcome] = float((variances / counts).mean() / means.var(ddof=0))
    return found


def _grid_indices(levels, y: np.ndarray, paths: list[str]) -> dict[str, dict]:
    """Exact first-order and total variance shares over a full-factorial grid."""
    frame = levels.astype(str).assign(y=y)
    variance = float(np.var(y))
    out = {}
    for path in paths:
        first = float(frame.groupby(path)["y"].mean().var(ddof=0)) / variance
        others = [p for p in paths if p != path]
        if others:
            total = float(frame.groupby(others)["y"].var(ddof=0).mean()) / variance
        else:
            total = first
        out[path] = {"S1": first, "ST": total}
    return out


def _salib_indices(design: dict, paths: list[str], y: np.ndarray) -> dict[str, dict]:
    import warnings

    from SALib.analyze import morris, rbd_fast, sobol

    problem = {"num_vars": len(paths), "names": paths,
               "bounds": [p["range"] for p in design["parameters"]]}
    matrix = np.asarray(design["matrix"], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design["method"] == "sobol":
            result = sobol.analyze(problem, y, calc_second_order=design.get("second_order", False),
                                   seed=0)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        elif design["method"] == "morris":
            result = morris.analyze(problem, matrix, y, num_levels=design.get("levels", 4), seed=0)
            keys = ("mu_star", "mu_star_conf", "sigma", "mu")
        else:
            result = rbd_fast.analyze(problem, matrix, y, seed=0)
            keys = ("S1", "S1_conf")
    return {path: {key: float(np.asarray(result[key])[i]) for key in keys}
            for i, path in enumerate(paths)}


def format_sensitivity(result: Sensitivity) -> str:
    """The indices as a text table, levers ranked within each outcome."""
    if result.table.empty:
        return "no indices (see the notes below)\n" + "\n".join(result.notes)
    titles = {"grid": "variance decomposition of the full-factorial grid (first-order S1, "
                      "total ST)",
              "sobol": "Sobol' indices (SALib; first-order S1, total ST, ± 95 % CI)",
              "morris": "Morris elementary effects (SALib; μ* mean |effect|, σ spread, ± 95 % CI)",
              "latin": "RBD-FAST first-order indices (SALib; ± 95 % CI)"}
    columns = [c for c in ("S1", "ST", "mu_star", "sigma", "mu") if c in result.table]
    width = max(len(p) for p in result.table["parameter"])
    lines = [titles.get(result.method, result.method)]
    for outcome, group in result.table.groupby("outcome", sort=False):
        lines.append("")
        lines.append(f"{outcome}")
        lines.append(f"  {'rank':>4}  {'parameter':<{width}}  " + "  ".join(f"{c:>16}" for c in columns))
        for _, row in group.iterrows():
            cells = []
            for c in columns:
                conf = row.get(f"{c}_conf")
                text = f"{row[c]:.3f}"
                if conf is not None and np.isfinite(conf):
                    text += f" ±{conf:.3f}"
                cells.append(f"{text:>16}")
            lines.append(f"  {int(row['rank']):>4}  {row['parameter']:<{width}}  " + "  ".join(cells))
    if result.notes:
        lines.append("")
        lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
