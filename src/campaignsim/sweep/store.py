"""The resumable Parquet store of a sweep folder: the manifest, committed chunks of runs
and their time series, consolidation into runs.parquet, the check that a folder holds this
sweep (or nothing), and the disk-space check (the folder lock is `folders.Claim`).

Every file is written to a temporary name and renamed, with its checksum record beside it
(integrity.py); a run is stored when its runs row and its time series both verify, so a
sweep killed at any moment, or a file damaged later, leaves a folder that the next run
resumes and repairs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ..folders import LOCK_FILE  # noqa: F401  (re-exported: the lock is folders' rule)
from ..results_io import MANIFEST, atomic_write
from ..scenario import STATES, ScenarioError
from .design import Design, SweepPlan, _error
from .integrity import (PARTS_DIR, RUNS_FILE, TIMESERIES_DIR, StoreReport, record_path,
                        set_aside, verify, write_record)

KIND = "sweep"
#: Ask for --yes above this estimated size, or above half of the free disk space.
LARGE_BYTES = 2 * 1024 ** 3


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


def _write_parquet(table, path: Path, **record) -> None:
    """Write a Parquet file atomically and durably: a temporary file, flushed to disk, its
    checksum record written, renamed into place, and the folder's entry flushed too."""
    import pyarrow.parquet as pq

    def write(temporary: Path) -> None:
        pq.write_table(table, temporary, compression="zstd")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        write_record(path, temporary, table.num_rows, **record)

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

    def verify(self, design: Design | dict, checksums: bool = True) -> StoreReport:
        """Check every file against its record: which runs are stored, what is damaged
        (`design` is the Design, or its dict from the manifest)."""
        points, replications = ((len(design.points), design.replications)
                                if isinstance(design, Design)
                                else (len(design["points"]), int(design["replications"])))
        return verify(self.folder, points, replications, checksums)

    def tidy(self, report: StoreReport) -> list[str]:
        """Before writing: remove temporary files and the records of files a stopped writer
        never renamed into place; move the damaged files `report` found into DIR/damaged/
        (their runs are then missing, and recomputed). Returns one line per file set aside."""
        for folder in (self.folder, self.parts, *self._partitions()):
            if folder.is_dir():
                for temporary in folder.glob(".*.tmp"):
                    temporary.unlink(missing_ok=True)
        for record in report.stale_records:
            record.unlink(missing_ok=True)
        lines = []
        for damage in report.damaged:
            what = "" if (self.folder / damage.path).exists() else "the record of "
            target = set_aside(self.folder, damage.path)
            runs = {0: "its runs are", 1: "its run is"}.get(damage.runs,
                                                            f"its {damage.runs:,} runs are")
            lines.append(f"set aside {what}{damage.path.as_posix()} as "
                         f"{target.relative_to(self.folder).as_posix()}: {damage.reason}; "
                         f"{runs} recomputed")
        return lines

    def _partitions(self) -> list[Path]:
        return sorted(self.timeseries.glob("replicate=*")) if self.timeseries.is_dir() else []

    # writing -----------------------------------------------------------------------

    def write_chunk(self, results: list[tuple[int, int, int, dict, np.ndarray]],
                    design: Design, have_series: set = frozenset()) -> None:
        """Write buffered runs (point, replicate, seed, outcomes, counts) as one chunk:
        time series first (except of runs in `have_series`, whose verified series are
        kept), the runs rows last."""
        import pyarrow as pa

        if not results:
            return
        self.counter += 1
        chunk = f"part-{self.session}-{self.counter:05d}"
        results = sorted(results, key=lambda r: (r[1], r[0]))
        needed = [r for r in results if (r[0], r[1]) not in have_series]
        for replicate, group in itertools.groupby(needed, key=lambda r: r[1]):
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
            _write_parquet(table, self.timeseries / f"replicate={replicate}" / f"{chunk}.parquet",
                           points=sorted({p for p, *_ in group}))
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
        """Merge runs.parquet and the parts into runs.parquet (sorted by point and
        replicate, one row per run), then remove the parts. Call it after `tidy`, when
        every file in place verifies. Returns the number of rows."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        runs_file = self.folder / RUNS_FILE
        parts = self.part_files()
        tables = [pq.read_table(path).replace_schema_metadata(None)
                  for path in ([runs_file] if runs_file.is_file() else []) + parts]
        if not tables:
            return 0
        table = pa.concat_tables(tables, promote_options="permissive")
        keys = np.asarray(table["point"]) * (1 << 32) + np.asarray(table["replicate"])
        _, first = np.unique(keys, return_index=True)     # sorted by (point, replicate)
        table = table.take(pa.array(first))
        _write_parquet(table, runs_file)
        for part in parts:
            part.unlink(missing_ok=True)
            record_path(part).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.parts.rmdir()
        return table.num_rows


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
