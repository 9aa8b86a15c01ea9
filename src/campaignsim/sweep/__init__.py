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
runs.parquet is written when the last run is in. Every data file has a checksum record
beside it (`integrity`).

**Resume.** Rerunning the same sweep into the same folder runs only the runs missing from
it, after checking every file against its record: a damaged file is moved to
DIR/damaged/ and its runs are recomputed. A folder holding another scenario or design is
refused; plot, sensitivity and report refuse an incomplete or damaged folder.

The package's modules, one concept each: `design` (the plan, design points, validation,
identity), `tasks` (what a worker runs, and the world cache), `executors` (processes,
Dask), `store` (the Parquet store, manifest, resume, disk check), `integrity` (checksum
records and the check of a folder), `execute` (`run_sweep`, which claims its folder with
`campaignsim.folders.Claim`) and `analysis` (reading a folder, summaries, sensitivity).
The public API is re-exported here, so
`campaignsim.sweep.X` is the name to use.
"""

from .analysis import (HEADLINE, Sensitivity, enrolled_curves, format_points,
                       format_sensitivity, load_runs, load_timeseries, point_table,
                       read_manifest, require_intact, sensitivity)
from .design import (BYTES_PER_RUN, BYTES_PER_STATE_WEEK, MAX_RUNS, Design, Parameter,
                     SweepPlan, apply_point, plan_sweep, set_path, sweep_identity)
from .execute import (FLUSH_SECONDS, SweepFailed, SweepOutcome, default_folder, run_sweep,
                      stored_note)
from .executors import check_scheduler
from .integrity import SET_ASIDE_DIR, StoreReport
from .store import (KIND, LARGE_BYTES, LOCK_FILE, PARTS_DIR, RUNS_FILE, TIMESERIES_DIR, Store,
                    check_disk)
from .tasks import Task, run_one, run_task

__all__ = [
    "BYTES_PER_RUN", "BYTES_PER_STATE_WEEK", "FLUSH_SECONDS", "HEADLINE", "KIND",
    "LARGE_BYTES", "LOCK_FILE", "MAX_RUNS", "PARTS_DIR", "RUNS_FILE", "SET_ASIDE_DIR",
    "TIMESERIES_DIR", "Design", "Parameter", "Sensitivity", "Store", "StoreReport",
    "SweepFailed", "SweepOutcome", "SweepPlan",
    "Task", "apply_point", "check_disk", "check_scheduler", "default_folder",
    "enrolled_curves", "format_points", "format_sensitivity", "load_runs", "load_timeseries",
    "plan_sweep", "point_table", "read_manifest", "require_intact", "run_one", "run_sweep",
    "run_task", "sensitivity", "set_path", "stored_note", "sweep_identity",
]
