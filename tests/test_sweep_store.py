"""The sweep store checks what it trusts (issue 10, case 3).

Every runs and time-series file of a sweep carries its row count and SHA-256 in a record
beside it. Resume checks them, moves a damaged file into DIR/damaged/ (never deletes it),
recomputes its runs and ends with the table and time series of an uninterrupted sweep;
plot, sensitivity and report refuse a damaged or incomplete folder with one message and
exit 2. The sweeps are tiny (2 points × 2 replications, 80 clinicians, 8 weeks) and run
in this process with --workers 1, except the must-show's rerun (the real command) and one
rerun on 2 workers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from campaignsim import cli
from campaignsim.sweep import Store, load_timeseries, plan_sweep, run_sweep
from conftest import BASELINE, write

CLI = [sys.executable, "-m", "campaignsim.cli"]
RUNS = 2 * 2


def sweep_file(folder: Path) -> Path:
    return write(folder / "tiny.toml", f"""
extends = "{BASELINE.as_posix()}"
weeks = 8

[staff]
departments = 2
clinicians_per_department = 40

[sweep]
replications = 2

[sweep.grid]
"hybrids.alignment" = [0.2, 0.8]
""")


def sweep(file: Path, out: Path, workers: int = 1) -> None:
    run_sweep(plan_sweep(file), out, workers=workers, quiet=True, chunk=1)


def runs_table(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "runs.parquet").sort_values(["point", "replicate"],
                                                                 ignore_index=True)


def assert_equals_uninterrupted(folder: Path, reference: Path) -> None:
    """runs.parquet and the time series equal the uninterrupted sweep's, exactly."""
    pd.testing.assert_frame_equal(runs_table(folder), runs_table(reference), check_exact=True)
    pd.testing.assert_frame_equal(load_timeseries(folder), load_timeseries(reference),
                                  check_exact=True)
    assert not (folder / "runs-parts").exists()
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"


def series_files(folder: Path) -> list[Path]:
    return sorted((folder / "timeseries").glob("replicate=*/part-*.parquet"))


def record(path: Path) -> dict:
    return json.loads(path.with_name(f".{path.name}.sha256").read_text())


def flip(path: Path) -> bytes:
    """Flip the bits of one byte in the middle of the file; return the damaged bytes."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


def truncate(path: Path) -> bytes:
    data = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(data)
    return data


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny sweep, uninterrupted: its file and folder."""
    folder = tmp_path_factory.mktemp("reference")
    file = sweep_file(folder)
    sweep(file, folder / "out")
    return file, folder / "out"


def complete_copy(reference, tmp_path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference[1], out)
    return out


def stopped_sweep(file: Path, out: Path, monkeypatch, after: int | None = None) -> None:
    """A sweep stopped as by SIGKILL: after `after` stored chunks (one run each), or, when
    `after` is None, after consolidation wrote runs.parquet and before it removed the
    parts (so the folder holds runs.parquet and every chunk)."""
    from campaignsim.sweep import store as store_module

    if after is None:
        consolidate = store_module.Store.consolidate

        def killed(self):
            saved = {p: p.read_bytes() for p in self.parts.iterdir()}
            consolidate(self)
            self.parts.mkdir(exist_ok=True)
            for path, data in saved.items():
                path.write_bytes(data)
            raise KeyboardInterrupt

        monkeypatch.setattr(store_module.Store, "consolidate", killed)
    else:
        write_chunk = store_module.Store.write_chunk

        def counted(self, *args, **kwargs):
            if self.counter == after:
                raise KeyboardInterrupt
            write_chunk(self, *args, **kwargs)

        monkeypatch.setattr(store_module.Store, "write_chunk", counted)
    with pytest.raises(KeyboardInterrupt):
        sweep(file, out)
    monkeypatch.undo()


# --- the must-show -----------------------------------------------------------------------


def test_rerun_repairs_a_flipped_chunk_a_deleted_series_and_a_truncated_runs_file(
        reference, tmp_path, monkeypatch):
    file, reference_out = reference
    out = tmp_path / "out"
    stopped_sweep(file, out, monkeypatch)
    parts = sorted((out / "runs-parts").glob("part-*.parquet"))
    assert len(parts) == RUNS and (out / "runs.parquet").is_file()
    flipped = flip(parts[1])
    deleted = series_files(out)[2]
    deleted.unlink()
    truncated = truncate(out / "runs.parquet")

    rerun = subprocess.run(CLI + ["sweep", str(file), "--workers", "1", "--out", str(out)],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    set_aside = [line for line in rerun.stderr.splitlines() if "set aside" in line]
    assert len(set_aside) == 3, rerun.stderr
    assert any(f"runs-parts/{parts[1].name}" in line and "SHA-256" in line for line in set_aside)
    assert any("runs.parquet" in line and "bytes" in line for line in set_aside)
    assert any(deleted.name in line and "missing" in line for line in set_aside)
    assert_equals_uninterrupted(out, reference_out)
    damaged = out / "damaged"
    assert (damaged / "runs-parts" / parts[1].name).read_bytes() == flipped
    assert (damaged / "runs.parquet").read_bytes() == truncated
    relative = deleted.relative_to(out)
    assert (damaged / relative.parent / f".{relative.name}.sha256").is_file()
    assert cli.main(["plot", str(out)]) == 0   # the repaired folder is whole


# --- each damage alone ---------------------------------------------------------------------


def test_a_flipped_chunk_of_an_unfinished_sweep_is_set_aside_and_recomputed(
        reference, tmp_path, monkeypatch, capsys):
    """Before: the flipped chunk counted as stored, and every rerun crashed in consolidate."""
    file, reference_out = reference
    out = tmp_path / "out"
    stopped_sweep(file, out, monkeypatch, after=2)
    part = sorted((out / "runs-parts").glob("part-*.parquet"))[0]
    flipped = flip(part)
    capsys.readouterr()
    sweep(file, out)
    err = capsys.readouterr().err
    assert f"set aside runs-parts/{part.name} as damaged/runs-parts/{part.name}" in err
    assert "its run is recomputed" in err
    assert (out / "damaged" / "runs-parts" / part.name).read_bytes() == flipped
    assert_equals_uninterrupted(out, reference_out)


def test_a_truncated_runs_file_is_set_aside_and_its_runs_recomputed(reference, tmp_path,
                                                                      capsys):
    """Before: an ArrowInvalid traceback on every rerun. The time series verify, so they are
    kept: only the runs rows are recomputed, and no series file is written twice. A second
    damaged runs.parquet is set aside beside the first."""
    file, reference_out = reference
    out = complete_copy(reference, tmp_path)
    truncated = truncate(out / "runs.parquet")
    before = {p: p.read_bytes() for p in series_files(out)}
    capsys.readouterr()
    sweep(file, out)
    err = capsys.readouterr().err
    assert "set aside runs.parquet as damaged/runs.parquet" in err and f"its {RUNS} runs" in err
    assert (out / "damaged" / "runs.parquet").read_bytes() == truncated
    assert {p: p.read_bytes() for p in series_files(out)} == before
    assert_equals_uninterrupted(out, reference_out)
    again = truncate(out / "runs.parquet")   # set aside next to, never over, the first
    sweep(file, out)
    assert (out / "damaged" / "runs.parquet").read_bytes() == truncated
    assert (out / "damaged" / "runs.parquet.1").read_bytes() == again
    assert_equals_uninterrupted(out, reference_out)


@pytest.mark.parametrize("damage", ["deleted", "truncated", "flipped", "partition-removed"])
def test_a_damaged_or_missing_series_file_has_its_runs_recomputed(damage, reference, tmp_path,
                                                                  capsys):
    """Before: series files were never checked; runs.parquet keeps one row per run."""
    file, reference_out = reference
    out = complete_copy(reference, tmp_path)
    victim = series_files(out)[1]
    if damage == "deleted":
        victim.unlink()
    elif damage == "truncated":
        truncate(victim)
    elif damage == "flipped":
        flip(victim)
    else:   # the whole replicate=<i> folder, records and all: no record says it existed
        shutil.rmtree(victim.parent)
    capsys.readouterr()
    sweep(file, out)
    err = capsys.readouterr().err
    if damage == "partition-removed":
        assert "set aside" not in err
    else:
        what = "the record of " if damage == "deleted" else ""
        assert f"set aside {what}{victim.relative_to(out).as_posix()}" in err
        assert "its run is recomputed" in err   # one run per chunk
    assert_equals_uninterrupted(out, reference_out)
    assert len(runs_table(out)) == RUNS


def test_two_workers_repair_the_same_way(reference, tmp_path):
    file, reference_out = reference
    out = complete_copy(reference, tmp_path)
    flip(series_files(out)[0])
    truncate(out / "runs.parquet")
    sweep(file, out, workers=2)
    assert_equals_uninterrupted(out, reference_out)


def test_a_writer_stopped_between_record_and_rename_leaves_a_folder_that_verifies(
        reference, tmp_path, monkeypatch, capsys):
    """Each record is written before its file is renamed into place. Stopped between the
    two, the old runs.parquet still verifies (its record keeps the previous checksum), and a
    series record without its file, of runs not yet stored, is removed without a word."""
    import pyarrow.parquet as pq

    from campaignsim.sweep.store import _write_parquet

    file, reference_out = reference
    out = complete_copy(reference, tmp_path)
    # A runs.parquet without its last row (as a lost chunk would leave): the rerun
    # recomputes that run and writes a runs.parquet that differs from this one.
    _write_parquet(pq.read_table(out / "runs.parquet").slice(0, RUNS - 1), out / "runs.parquet")
    real_replace = os.replace

    def stop_at_runs_file(source, target):
        if Path(target).name == "runs.parquet":
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr("campaignsim.results_io.os.replace", stop_at_runs_file)
    with pytest.raises(KeyboardInterrupt):
        sweep(file, out)
    monkeypatch.undo()
    assert len(pq.read_table(out / "runs.parquet")) == RUNS - 1     # the old file
    assert record(out / "runs.parquet")["rows"] == RUNS              # the new record
    report = Store(out).verify(plan_sweep(file).design())
    assert report.damaged == [] and len(report.stored) == RUNS      # old file + the new part
    orphan = out / "timeseries" / "replicate=0" / ".part-stopped-00001.parquet.sha256"
    orphan.write_text(json.dumps({"rows": 1, "bytes": 1, "sha256": "0", "points": [9]}))
    capsys.readouterr()
    sweep(file, out)
    err = capsys.readouterr().err
    assert "set aside" not in err and not orphan.exists()
    assert_equals_uninterrupted(out, reference_out)


# --- readers refuse -----------------------------------------------------------------------


DAMAGES = {
    "flipped-series": (lambda out: flip(series_files(out)[0]), ["damaged", "SHA-256"]),
    "deleted-series": (lambda out: series_files(out)[3].unlink(), ["damaged", "missing"]),
    "truncated-series": (lambda out: truncate(series_files(out)[2]), ["damaged", "bytes"]),
    "truncated-runs": (lambda out: truncate(out / "runs.parquet"), ["damaged", "runs.parquet"]),
    "no-record": (lambda out: next(out.glob(".runs.parquet.sha256")).unlink(),
                  ["damaged", "runs.parquet", "no readable checksum record"]),
    "altered-record": (lambda out: next(out.glob("timeseries/replicate=1/.*.sha256")).write_text(
        '{"rows": 45, "bytes": "many", "sha256": "0", "points": [0]}'),
        ["damaged", "replicate=1", "no readable checksum record"]),
}


@pytest.mark.parametrize("command", ["plot", "sensitivity", "report"])
@pytest.mark.parametrize("damage", sorted(DAMAGES) + ["incomplete"])
def test_readers_refuse_a_damaged_or_incomplete_folder(command, damage, reference, tmp_path,
                                                      monkeypatch, capsys):
    """Exit 2 and one message, never a traceback nor a figure of part of the sweep; the
    folder is left as it was. Before: a deleted series file made `plot` draw the rest, a
    truncated one a traceback."""
    file, _ = reference
    if damage == "incomplete":
        out = tmp_path / "out"
        stopped_sweep(file, out, monkeypatch, after=3)
        fragments = ["incomplete: 3 of 4 runs", "run the sweep again"]
    else:
        out = complete_copy(reference, tmp_path)
        make, fragments = DAMAGES[damage]
        make(out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert cli.main([command, str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("campaignsim: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not (out / "plots").exists()


def test_every_data_file_records_its_rows_and_checksum(reference):
    import hashlib

    import pyarrow.parquet as pq

    _, out = reference
    files = [out / "runs.parquet", *series_files(out)]
    assert len(files) == 1 + RUNS    # one series file per chunk of one run
    for path in files:
        data = record(path)
        assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert data["rows"] == pq.read_metadata(path).num_rows
        assert data["bytes"] == path.stat().st_size
    assert record(files[0])["rows"] == RUNS
    assert all(record(p)["rows"] == len(record(p)["points"]) * 9 * 5 for p in files[1:])
