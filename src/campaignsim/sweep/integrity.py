"""What a sweep store trusts: a checksum record beside every data file, and the check of a
whole folder against them.

Every Parquet file of a sweep (a chunk's runs, a chunk's time series of one replicate,
the consolidated runs.parquet) has a record `.<name>.sha256` beside it: JSON with the
file's row count, size and SHA-256, and for a time-series file the design points it
holds. The record is written (and flushed) before the data file is renamed into place,
so a data file in place always has its record; a record without its file is a writer
stopped between the two renames (or a deleted file). runs.parquet is replaced in place,
so its record also keeps the previous version's checksum: a writer stopped between the
record and the rename leaves the old file, which still verifies.

`verify` reads the records and the files and says which runs are stored (a verified runs
row AND a verified time series), which files are damaged, and what a reader must refuse.
Resume sets the damaged files aside in DIR/damaged/ (never deletes them) and recomputes
their runs; plot, sensitivity and report refuse a folder that is damaged or incomplete.
Record names start with a dot, so Parquet readers of timeseries/ skip them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..results_io import atomic_write

RUNS_FILE = "runs.parquet"
PARTS_DIR = "runs-parts"
TIMESERIES_DIR = "timeseries"
#: Where damaged files are moved, keeping their path inside the sweep folder.
SET_ASIDE_DIR = "damaged"
_PARTITION = re.compile(r"replicate=(\d+)$")


def record_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def read_record(path: Path) -> dict | None:
    """The checksum record of data file `path`, or None if it is missing or unreadable."""
    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    points = record.get("points", []) if isinstance(record, dict) else None
    if not _is_version(record) or not (isinstance(points, list)
                                       and all(isinstance(p, int) for p in points)):
        return None
    return record


def _is_version(record) -> bool:
    """A row count, size and checksum, of the right types (a record is data, not trusted)."""
    return (isinstance(record, dict) and isinstance(record.get("rows"), int)
            and isinstance(record.get("bytes"), int) and isinstance(record.get("sha256"), str))


def write_record(data_file: Path, temporary: Path, rows: int, **extra) -> None:
    """Record the row count and checksum of `temporary` (about to be renamed to
    `data_file`), durably, before the rename; keep the checksum of the file it replaces."""
    record = {"rows": rows, "bytes": temporary.stat().st_size, "sha256": digest(temporary),
              **extra}
    previous = read_record(data_file)
    if previous is not None and data_file.exists():
        record["previous"] = {key: previous[key] for key in ("rows", "bytes", "sha256")}
    text = json.dumps(record, separators=(",", ":"))

    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_write(record_path(data_file), write)


def _check(path: Path, record: dict | None, checksums: bool) -> str | None:
    """Why `path` cannot be trusted, or None."""
    import pyarrow.parquet as pq

    if record is None:
        return ("it has no readable checksum record (written by an older campaignsim, or "
                "its record was deleted or altered)")
    versions = [record, *([record["previous"]] if _is_version(record.get("previous")) else [])]
    size = path.stat().st_size
    matching = [v for v in versions if v["bytes"] == size]
    if not matching:
        return (f"it has {size:,} bytes, not the {record['bytes']:,} recorded when it was "
                "written (truncated or altered)")
    if checksums:
        actual = digest(path)
        matching = [v for v in matching if v["sha256"] == actual]
        if not matching:
            return ("its SHA-256 differs from the one recorded when it was written (its bytes "
                    "were altered)")
    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as err:   # ArrowInvalid, OSError: an unreadable footer
        return f"it is not a readable Parquet file ({type(err).__name__})"
    if all(v["rows"] != rows for v in matching):
        return f"it holds {rows:,} rows, not the {matching[0]['rows']:,} recorded"
    return None


@dataclass
class Damage:
    path: Path          # inside the sweep folder
    reason: str
    runs: int           # runs it held, as far as its record says (0 if unknown)


@dataclass
class StoreReport:
    """What `verify` found in a sweep folder."""

    expected: int                                   # runs in the design
    rows: set = field(default_factory=set)          # (point, replicate) with a verified row
    series: set = field(default_factory=set)        # (point, replicate) with a verified series
    runs_files: list = field(default_factory=list)      # verified runs files, to read
    series_files: list = field(default_factory=list)    # verified time-series files, to read
    damaged: list = field(default_factory=list)     # Damage: to set aside, runs recomputed
    stale_records: list = field(default_factory=list)   # records whose file is not there

    @property
    def stored(self) -> set:
        """Runs whose row and time series are both verified: the runs resume skips."""
        return self.rows & self.series

    def problem(self) -> str | None:
        """Why a reader must not trust this folder, or None when it is whole."""
        if self.damaged:
            first = self.damaged[0]
            others = len(self.damaged) - 1
            more = f" (and {others} more)" if others else ""
            return (f"the folder is damaged: {first.path.as_posix()}: {first.reason}{more}; run "
                    "the sweep again with the same file and --out: it sets damaged files aside "
                    f"in {SET_ASIDE_DIR}/ and recomputes their runs")
        stored = len(self.stored)
        if stored < self.expected:
            without = len(self.rows - self.series)
            why = f" ({without:,} runs have no time series)" if without else ""
            return (f"the folder is incomplete: {stored:,} of {self.expected:,} runs{why}; run "
                    "the sweep again with the same file and --out to finish it")
        return None


def verify(folder: Path, points: int, replications: int, checksums: bool = True) -> StoreReport:
    """Check every runs and time-series file of a sweep folder against its record.

    Args:
        points, replications: the design's size (runs outside it are not counted).
        checksums: also compare SHA-256 digests (reads every byte); without, sizes, row
            counts and Parquet footers only.
    """
    import pyarrow.parquet as pq

    report = StoreReport(expected=points * replications)
    design_runs = {(p, r) for p in range(points) for r in range(replications)}
    parts = folder / PARTS_DIR
    runs_files = [folder / RUNS_FILE] + (sorted(parts.glob("part-*.parquet"))
                                         if parts.is_dir() else [])
    for path in runs_files:
        if not path.is_file():
            continue
        record = read_record(path)
        reason = _check(path, record, checksums)
        if reason:
            report.damaged.append(Damage(path.relative_to(folder), reason,
                                         record["rows"] if record else 0))
            continue
        try:
            table = pq.read_table(path, columns=["point", "replicate"])
        except Exception as err:   # possible only without checksums: same size, bad bytes
            report.damaged.append(Damage(path.relative_to(folder), "it is not a readable "
                                         f"Parquet file ({type(err).__name__})", record["rows"]))
            continue
        report.rows.update(zip(table["point"].to_pylist(), table["replicate"].to_pylist()))
        report.runs_files.append(path)
    report.rows &= design_runs
    timeseries = folder / TIMESERIES_DIR
    partitions = sorted(timeseries.glob("replicate=*")) if timeseries.is_dir() else []
    for partition in partitions:
        match = _PARTITION.search(partition.name)
        if match is None:
            continue
        replicate = int(match.group(1))
        for path in sorted(partition.glob("part-*.parquet")):
            record = read_record(path)
            reason = _check(path, record, checksums)
            held = {(int(p), replicate) for p in (record or {}).get("points", [])}
            if not reason and not held:
                reason = "its record does not say which design points it holds"
            if not reason and held & report.series:
                reason = "it repeats runs another time-series file already holds"
            if reason:
                report.damaged.append(Damage(path.relative_to(folder), reason, len(held)))
                continue
            report.series |= held & design_runs
            report.series_files.append(path)
    for directory in (folder, parts, *partitions):
        if directory.is_dir():
            for record in directory.glob(".*.parquet.sha256"):
                data_file = record.with_name(record.name[1:-len(".sha256")])
                if not data_file.exists():
                    _stale(report, folder, data_file, record)
    return report


def _stale(report: StoreReport, folder: Path, data_file: Path, record: Path) -> None:
    """A record without its file: a time-series file lost after its runs were stored is
    damage; anything else is a writer stopped between the record and the rename."""
    match = _PARTITION.search(data_file.parent.name)
    held = {(int(p), int(match.group(1))) for p in (read_record(data_file) or {}).get(
        "points", [])} if match else set()
    if held & report.rows:
        report.damaged.append(Damage(data_file.relative_to(folder), "the file is missing "
                                     "(its checksum record remains)", len(held)))
    else:
        report.stale_records.append(record)


def set_aside(folder: Path, relative: Path) -> Path:
    """Move a file (and its record) into DIR/damaged/ under the same relative path, never
    over an earlier one; return where it went."""
    target = folder / SET_ASIDE_DIR / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    stem, number = target, 1
    while target.exists() or record_path(target).exists():
        target = stem.with_name(f"{stem.name}.{number}")
        number += 1
    source = folder / relative
    if source.exists():
        os.replace(source, target)
    if record_path(source).exists():
        os.replace(record_path(source), record_path(target))
    return target
