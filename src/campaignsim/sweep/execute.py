"""Running a sweep: the tasks of the missing runs, handed to an executor, their results
streamed to the store in chunks with a progress bar, and the manifest kept up to date.

This is where the design, the executors and the store meet; an interrupted or failed
sweep leaves the runs finished so far in the folder, and running it again resumes it; one
that stored none leaves nothing of its own (`folders.Claim`).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..folders import Claim, resolve_target
from ..results_io import MANIFEST, manifest, write_json
from ..scenario import ScenarioError, validate_scenario
from .design import Design, SweepPlan, _error, sweep_identity
from .executors import _Dask, _Inline, _Processes
from .integrity import SET_ASIDE_DIR
from .store import KIND, PARTS_DIR, RUNS_FILE, TIMESERIES_DIR, Store, _claim, check_disk
from .tasks import Task

#: Flush buffered runs to disk at least this often (seconds).
FLUSH_SECONDS = 30.0
#: Tasks per worker a sweep is cut into (at most; a task holds at most a chunk of runs).
#: The workers finish their last tasks at different times, so one idles for up to a
#: task at the end: with 20 a worker's last task is ~5 % of its share.
TASKS_PER_WORKER = 20


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
    block = max(1, min(chunk, math.ceil(total / (TASKS_PER_WORKER * workers))))
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
                             "replicate=<i>; columns point, week, state, count)",
               "records": ".<file>.sha256 beside each Parquet file (rows, bytes, sha256)",
               "set_aside": f"{SET_ASIDE_DIR}/ (damaged files a resume moved aside)"},
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
            reachable, a folder in use, or a design point the model refuses; when the
            problem is found before the first run is stored, the files and folders the
            sweep made are removed again (and nothing else).
        KeyboardInterrupt: after storing the runs received so far.
    """
    folder = folder or default_folder(plan)
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
    folder = resolve_target(folder)
    check_disk(plan, folder, yes)
    design = plan.design()
    identity = sweep_identity(plan)
    started = time.perf_counter()
    # Claimed for the whole sweep: made where missing, locked, checked under the lock; on
    # failure before a chunk is stored, only the files and folders this sweep made go.
    with Claim(folder, lambda claimed: _claim(claimed, identity)) as claim:
        existing = claim.existing
        store = Store(folder)
        if existing is not None and existing.get("status") == "complete":
            report = store.verify(design)
            if report.problem() is None and not store.part_files():
                return SweepOutcome(folder, design.runs, len(report.stored), 0, 0.0, True)
        # Workers start before this process reads any Parquet (which starts Arrow's threads).
        if executor == "dask":
            runner = _Dask(workers, scheduler)   # an unreachable scheduler fails here
        elif workers == 1:
            runner = _Inline()
        else:
            runner = _Processes(workers)
        try:
            return _run(plan, design, identity, existing, store, runner, claim, chunk, quiet,
                        reuse_worlds, scheduler, executor, workers, started, announce)
        finally:
            runner.close()


def _run(plan, design, identity, existing, store, runner, claim, chunk, quiet, reuse_worlds,
         scheduler, executor, workers, started, announce) -> SweepOutcome:
    folder = claim.folder
    report = store.verify(design)   # a fresh folder holds nothing to check
    done = report.stored if existing is not None else set()
    missing = [(p, r) for p in range(len(design.points)) for r in range(design.replications)
               if (p, r) not in done]
    total = design.runs
    chunk = chunk or max(50, min(2000, total // 20))
    if not missing:   # all runs are in: make sure runs.parquet holds them
        runner.close()
        _say(store.tidy(report))
        rows = store.consolidate()
        write_json(folder / MANIFEST, _manifest(plan, design, identity, "complete", rows,
                                                existing.get("created")))
        return SweepOutcome(folder, total, len(done), 0, 0.0, True)
    tasks = _tasks(plan, design, missing, runner.slots, chunk, reuse_worlds)
    created = existing.get("created") if existing else None
    stored = len(done)
    if announce:
        where = (f"the Dask scheduler at {scheduler}" if scheduler else
                 f"a Dask LocalCluster of {runner.slots} workers" if executor == "dask" else
                 "this process" if workers == 1 else f"{workers} processes")
        announce(f"sweep {plan.name}: {len(design.points):,} points × {design.replications} "
                 f"replications = {total:,} runs ({len(done):,} already in {folder}, "
                 f"{len(missing):,} to run) on {where}")
    _say(store.tidy(report))
    write_json(folder / MANIFEST, _manifest(plan, design, identity, "running", stored, created))
    results = runner.start(tasks)
    bar = _progress(total, len(done), plan.name, quiet)
    buffer: list = []
    last_flush = time.monotonic()
    status = "interrupted"
    try:
        for result in _guarded(results):
            if "error" in result:
                status = "failed"
                point, field_, message = result["error"]
                values = ", ".join(f"{p} = {v!r}" for p, v in
                                   zip(design.paths, design.points[point]))
                raise _error(plan, field_, f"{message} (at design point {point}: "
                             f"{values}, replicate {result['replicate']})")
            for point, outcome, counts in result["runs"]:
                buffer.append((point, result["replicate"], result["seed"], outcome, counts))
            bar.update(len(result["runs"]))
            if len(buffer) >= chunk or time.monotonic() - last_flush > FLUSH_SECONDS:
                store.write_chunk(buffer, design, report.series)
                stored, claim.keep = stored + len(buffer), True
                buffer, last_flush = [], time.monotonic()
        status = "complete"
    finally:
        bar.close()
        runner.close()   # stop the workers before the last writes
        if buffer:
            store.write_chunk(buffer, design, report.series)
            stored, claim.keep = stored + len(buffer), True
        if status == "complete":
            stored = store.consolidate()
        if claim.keep or existing is not None:
            write_json(folder / MANIFEST, _manifest(
                plan, design, identity, status, stored, created,
                seconds_last_session=round(time.perf_counter() - started, 3)))
    seconds = time.perf_counter() - started
    return SweepOutcome(folder, total, len(done), len(missing), seconds, True)


def _say(lines: list[str]) -> None:
    """What resume set aside, on stderr: the user should know a file was damaged."""
    for line in lines:
        print(f"campaignsim: {line}", file=sys.stderr, flush=True)


def stored_note(folder: str | Path) -> str:
    """What an interrupted or failed sweep may truthfully say about its folder."""
    folder = Path(folder)
    if (folder / RUNS_FILE).is_file() or any((folder / PARTS_DIR).glob("part-*.parquet")):
        return (f"the runs finished so far are stored in {folder}/; run the same command "
                "again to resume")
    return f"no runs were stored (nothing of this sweep is left in {folder}/)"


class SweepFailed(RuntimeError):
    """The executor lost work (a worker died, the cluster went away); runs finished before
    are stored (see `stored_note`), and running the sweep again resumes it."""


def _guarded(results) -> Iterator[dict]:
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
                              ) from err
        yield result


class _Quiet:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, done: int, name: str, quiet: bool):
    """compare's progress bar, or a stand-in that ignores updates when quiet."""
    from ..compare import progress_bar

    bar = progress_bar(total, name, quiet, done)
    return _Quiet() if bar is None else bar
