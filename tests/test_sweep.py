"""Sweeps: design checks, seeds and shared worlds, the resumable Parquet store, executors,
bad input, analysis.

What the issue asks to see: a sweep killed with SIGKILL midway and rerun has every run
once and equals an uninterrupted sweep; `--workers 1`, `--workers 2` and `--executor dask`
give identical runs.parquet contents; bad input ends with exit 2 and nothing written; a
folder holding another design is refused. Hospitals are small (80 clinicians) so the
whole file runs in well under a minute on two cores; the subprocesses (each ~1-2 s of
imports) are the real `campaignsim` command.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from campaignsim import cli, run
from campaignsim.compare import replicate_seeds
from campaignsim.scenario import ScenarioError, load_scenario, validate_scenario
from campaignsim.sweep import (apply_point, load_runs, load_timeseries, plan_sweep, run_sweep,
                               sensitivity)
from conftest import BASELINE, ROOT, write

CLI = [sys.executable, "-m", "campaignsim.cli"]


def small(weeks: int = 26, top: str = "") -> str:
    """A scenario: the baseline with two departments of 40 clinicians."""
    return f"""
extends = "{BASELINE.as_posix()}"
weeks = {weeks}
{top}
[staff]
departments = 2
clinicians_per_department = 40
"""


SMALL = small()


def sweep_file(folder: Path, name: str = "small", replications: int = 4,
               grid: str = '"hybrids.alignment" = [0.2, 0.5, 0.8]\n"hybrids.capacity" = [1, 5]',
               weeks: int = 26, top: str = "") -> Path:
    return write(folder / f"{name}.toml", f"""{small(weeks, top)}
[sweep]
replications = {replications}

[sweep.grid]
{grid}
""")


def _cli(args: list, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, **kwargs)


def _table(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "runs.parquet").sort_values(
        ["point", "replicate"], ignore_index=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted sweep of the small file, in this process (--workers 1)."""
    folder = tmp_path_factory.mktemp("reference")
    file = sweep_file(folder)
    assert cli.main(["sweep", str(file), "--workers", "1", "--out", str(folder / "out"),
                     "--quiet"]) == 0
    return file, folder / "out"


# --- the design ------------------------------------------------------------------------


def test_grid_rows_seeds_and_columns(reference):
    file, out = reference
    runs = _table(out)
    assert len(runs) == 3 * 2 * 4
    assert not runs.duplicated(["point", "replicate"]).any()
    seeds = replicate_seeds(load_scenario(file).seed, 4)
    assert runs["seed"].tolist() == [seeds[r] for r in runs["replicate"]]
    assert runs.groupby("point")[["hybrids.alignment", "hybrids.capacity"]].nunique().eq(1).all().all()
    assert {"final_enrolled_share", "active_share", "weeks_to_50", "mean_ownership_of_enrolled_now",
            "hazard_share_enrolments:hybrid", "hazard_share_of_campaign:peer"} <= set(runs.columns)
    assert runs["hybrids.capacity"].dtype == np.int64
    assert runs["hybrids.alignment"].dtype == np.float64
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert manifest["design"]["replicate_seeds"] == seeds
    assert manifest["design"]["points"][1] == [0.2, 5]
    assert "sweep" not in manifest["resolved"] and manifest["sweep"]["replications"] == 4
    assert not (out / "runs-parts").exists()


def test_each_row_is_the_run_of_its_point_and_seed(reference):
    """Seeds depend on the replicate only, and sharing worlds across points changes nothing:
    every row equals `campaignsim.run` of its own scenario and seed."""
    file, out = reference
    plan = plan_sweep(file)
    design = plan.design()
    runs = _table(out)
    series = load_timeseries(out)
    assert len(series) == len(runs) * 27 * 5
    assert not series.duplicated(["point", "replicate", "week", "state"]).any()
    for row in runs.itertuples():
        scenario = validate_scenario(apply_point(plan.base, design.paths, design.points[row.point]))
        result = run(scenario, seed=row.seed)
        assert row.final_enrolled_share == result.summary["final_enrolled_share"]
        assert row.active_share == result.summary["active_share"]
        assert row.ideas == result.summary["ideas"]
        mine = series[(series.point == row.point) & (series.replicate == row.replicate)]
        counts = mine.pivot(index="week", columns="state", values="count")
        expected = result.timeseries.set_index("week")[counts.columns]
        assert (counts.to_numpy() == expected.to_numpy()).all()


def test_dotted_keys_and_sweep_outside_run_identity(tmp_path):
    quoted = sweep_file(tmp_path, "quoted")
    nested = sweep_file(tmp_path, "nested", grid="hybrids.alignment = [0.2, 0.5, 0.8]\n"
                                                 "hybrids.capacity = [1, 5]")
    a, b = load_scenario(quoted), load_scenario(nested)
    assert a.sweep == b.sweep
    plain = write(tmp_path / "plain.toml", 'name = "quoted"\n' + SMALL)
    assert a.content_hash() == load_scenario(plain).content_hash()   # a run ignores [sweep]
    assert a.content_hash(exclude=()) != load_scenario(plain).content_hash(exclude=())


def test_bundled_sweeps_are_valid():
    grid = plan_sweep(ROOT / "scenarios" / "sweeps" / "hybrid_alignment.toml")
    assert grid.design().kind == "grid" and grid.point_count == 24 and grid.runs == 240
    morris = plan_sweep(ROOT / "scenarios" / "sweeps" / "campaign_levers_morris.toml")
    design = morris.design()
    assert design.method == "morris" and len(design.points) == 10 * 7
    capacity = design.paths.index("hybrids.capacity")
    assert all(isinstance(p[capacity], int) and 1 <= p[capacity] <= 8 for p in design.points)


# --- the must-shows --------------------------------------------------------------------


def test_workers_and_dask_give_identical_runs(reference, tmp_path):
    pytest.importorskip("distributed")
    file, out = reference
    two = _cli(["sweep", file, "--workers", "2", "--out", tmp_path / "two", "--quiet"], tmp_path)
    assert two.returncode == 0, two.stderr
    dask = _cli(["sweep", file, "--executor", "dask", "--workers", "2", "--out",
                 tmp_path / "dask", "--quiet"], tmp_path)
    assert dask.returncode == 0, dask.stderr
    expected = _table(out)
    for folder in (tmp_path / "two", tmp_path / "dask"):
        pd.testing.assert_frame_equal(_table(folder), expected)
        pd.testing.assert_frame_equal(load_timeseries(folder), load_timeseries(out))


def test_sigkill_midway_then_resume_equals_uninterrupted(tmp_path):
    file = sweep_file(tmp_path, "long", replications=30)   # 180 runs
    reference_out = tmp_path / "reference"
    run_sweep(plan_sweep(file), reference_out, workers=1, quiet=True)

    out = tmp_path / "out"
    command = CLI + ["sweep", str(file), "--workers", "1", "--chunk", "5", "--out", str(out),
                     "--quiet"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    parts = out / "runs-parts"
    while time.monotonic() < deadline and process.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 2:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the sweep finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "runs.parquet").exists()
    killed_rows = sum(pq.read_metadata(p).num_rows for p in parts.glob("part-*.parquet"))
    assert 0 < killed_rows < 180
    # As if the kill had come between a chunk's time series and its runs: an orphan; and
    # as if a power cut had left a damaged runs file.
    partition = next((out / "timeseries").glob("replicate=*"))
    shutil.copy(next(partition.glob("part-*.parquet")), partition / "part-orphan-00001.parquet")
    (parts / "part-damaged-00001.parquet").write_bytes(b"PAR1 not really")

    resumed = _cli(["sweep", file, "--workers", "1", "--out", out], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{killed_rows} already in" in resumed.stdout
    table = _table(out)
    assert len(table) == 6 * 30
    assert not table.duplicated(["point", "replicate"]).any()
    pd.testing.assert_frame_equal(table, _table(reference_out))
    series = load_timeseries(out)
    assert not series.duplicated(["point", "replicate", "week", "state"]).any()
    pd.testing.assert_frame_equal(series, load_timeseries(reference_out))
    assert not (partition / "part-orphan-00001.parquet").exists()
    assert not (out / "runs-parts").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"

    again = _cli(["sweep", file, "--workers", "1", "--out", out, "--quiet"], tmp_path)
    assert again.returncode == 0 and "nothing to run" in again.stdout
    pd.testing.assert_frame_equal(_table(out), table)


def test_resume_refuses_a_different_design(reference, tmp_path, capsys):
    file, out = reference
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    for changed in (sweep_file(tmp_path, "small", replications=5),
                    sweep_file(tmp_path, "small", grid='"hybrids.alignment" = [0.2, 0.5]\n'
                                                       '"hybrids.capacity" = [1, 5]'),
                    sweep_file(tmp_path, "small", top="seed = 9")):
        assert cli.main(["sweep", str(changed), "--workers", "1", "--out", str(copy),
                         "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "another sweep" in err and "never mixed" in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


# --- bad input -------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BAD = {
    "unknown-path": ('"hybrids.alignmnt" = [0.2]', [], ["sweep.grid", "hybrids.alignmnt",
                                                       "[hybrids] has no field 'alignmnt'",
                                                       "allowed:", "alignment"]),
    "unknown-table": ('"hybrid.alignment" = [0.2]', [], ["unknown parameter 'hybrid.alignment'",
                                                        "the top level", "hybrids"]),
    "out-of-range": ('"hybrids.alignment" = [0.5, 1.5]', [], ["sweep.grid.hybrids.alignment",
                                                             "1.5", "less than or equal to 1"]),
    "wrong-type": ('"hybrids.capacity" = [2, "many"]', [], ["sweep.grid.hybrids.capacity",
                                                           "'many'"]),
    "seed": ('"seed" = [1, 2]', [], ["'seed' cannot be swept", "replicate"]),
    "empty-grid": ("", [], ["sweep.grid", "the grid is empty"]),
    "empty-values": ('"hybrids.alignment" = []', [], ["empty list of values"]),
    "cross-field": ('"hybrids.ownership_base" = [0.3, 0.4]\n'
                    '"hybrids.ownership_mediation" = [0.6, 0.65]',   # each value alone is fine
                    [], ["design point 3", "ownership_base + ownership_mediation must be <= 1"]),
    "too-large-for-disk": ('"hybrids.alignment" = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]',
                           [], ["more than the", "free"]),
    "large-needs-yes": ('"hybrids.alignment" = [0.1, 0.2]', [], ["--yes"]),
    "unreachable-scheduler": ('"hybrids.alignment" = [0.2]', ["--scheduler", "tcp://127.0.0.1:PORT"],
                              ["--scheduler", "cannot reach the Dask scheduler", "127.0.0.1"]),
    "bad-scheduler-address": ('"hybrids.alignment" = [0.2]', ["--scheduler", "tcp://nowhere"],
                              ["--scheduler", "not a scheduler address"]),
    "scheduler-with-processes": ('"hybrids.alignment" = [0.2]',
                                 ["--executor", "processes", "--scheduler", "tcp://1.2.3.4:8786"],
                                 ["--scheduler", "--executor dask"]),
}  # --workers 0 is a usage error of the parser: tests/test_bad_inputs.py (flag:sweep:*)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exit_2_one_message_nothing_written(case, tmp_path, capsys, monkeypatch):
    grid, options, fragments = BAD[case]
    replications = {"too-large-for-disk": 100_000}.get(case, 4)
    weeks = 26
    if case == "too-large-for-disk":
        weeks = 1040
        monkeypatch.setattr("campaignsim.sweep.store._free_bytes", lambda folder: 10 * 1024 ** 3)
    if case == "large-needs-yes":
        replications = 100_000      # 200,000 runs × 52 weeks ≈ 0.3 GB: over half the "disk"
        monkeypatch.setattr("campaignsim.sweep.store._free_bytes", lambda folder: 400 * 1024 ** 2)
    file = sweep_file(tmp_path, "bad", replications=replications, grid=grid, weeks=weeks)
    options = [o.replace("PORT", str(_closed_port())) for o in options]
    out = tmp_path / "out"
    assert cli.main(["sweep", str(file), "--out", str(out), "--quiet", *options]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("campaignsim: error: ")
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in captured.err, (case, captured.err)
    assert not out.exists()


def test_no_sweep_table_and_not_a_sweep_folder(tmp_path, capsys):
    plain = write(tmp_path / "plain.toml", SMALL)
    assert cli.main(["sweep", str(plain), "--out", str(tmp_path / "out")]) == 2
    assert "no [sweep] table" in capsys.readouterr().err
    for command in ("plot", "sensitivity"):
        assert cli.main([command, str(tmp_path)]) == 2
        assert "not a sweep folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_point_the_model_refuses_stops_with_exit_2(tmp_path, capsys):
    """Model-level checks (here: managers for a broadcast) end the sweep with one message;
    found on the first task, nothing is written."""
    file = sweep_file(tmp_path, "managers", grid='"staff.managers" = [0, 2]')
    out = tmp_path / "out"
    assert cli.main(["sweep", str(file), "--workers", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "staff.managers" in err and "design point 0" in err
    assert not out.exists()


# --- analysis --------------------------------------------------------------------------


def test_sobol_sample_sensitivity_and_plots(tmp_path, capsys):
    file = write(tmp_path / "sobol.toml", f"""{SMALL}
[sweep]
replications = 2

[sweep.sample]
method = "sobol"
samples = 8

[sweep.sample.ranges]
"events.reach" = [0.0, 0.6]
"hybrids.capacity" = [1, 8]
""")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(file), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    runs = load_runs(out)
    assert len(runs) == 8 * (2 + 2) * 2
    assert runs["hybrids.capacity"].between(1, 8).all()
    capsys.readouterr()
    assert cli.main(["sensitivity", str(out), "--outcome", "final_enrolled_share"]) == 0
    printed = capsys.readouterr().out
    assert "Sobol' indices" in printed and "events.reach" in printed and "rank" in printed
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"S1", "ST", "S1_conf", "ST_conf", "rank"} <= set(table.columns)
    assert sorted(table["rank"]) == [1, 2]
    assert (out / "sensitivity.png").stat().st_size > 0
    assert cli.main(["plot", str(out)]) == 0
    names = {p.name for p in (out / "plots").iterdir()}
    assert {"outcomes_vs_events.reach.png", "outcomes_vs_hybrids.capacity.png",
            "adoption_fans.png"} == names


def test_grid_plots_and_variance_decomposition(reference, tmp_path, capsys):
    _, out = reference
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert cli.main(["plot", str(copy)]) == 0
    assert {p.name for p in (copy / "plots").iterdir()} == {
        "outcomes_vs_hybrids.alignment.png", "outcomes_vs_hybrids.capacity.png",
        "heatmap.png", "adoption_fans.png"}
    result = sensitivity(copy, ("active_share",))
    assert result.method == "grid"
    first = result.table.set_index("parameter")["S1"]
    total = result.table.set_index("parameter")["ST"]
    assert ((first >= -1e-12) & (first <= total + 1e-12) & (total <= 1 + 1e-12)).all()
    assert sorted(result.table["rank"]) == [1, 2]


def test_sensitivity_needs_a_finished_sweep(tmp_path, capsys):
    file = sweep_file(tmp_path, "unfinished")
    out = tmp_path / "out"
    run_sweep(plan_sweep(file), out, workers=1, quiet=True)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ScenarioError, match="not complete"):
        sensitivity(out)


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_the_fork_server_loads_the_kernels_for_its_workers(kernel):
    """The sweep's fork server imports campaignsim.sweep.warm: with numba that leaves the
    week's kernel loaded (workers forked from it start with it), with numpy it imports
    no numba at all."""
    if kernel == "numba":
        pytest.importorskip("numba")
    code = ("import sys, campaignsim.sweep.warm; from campaignsim import kernels; "
            "print(kernels.compiled() and "
            "len(sys.modules['campaignsim.compiled_week'].decide.signatures), "
            "'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, CAMPAIGNSIM_KERNEL=kernel), check=True)
    assert done.stdout.split() == (["1", "True"] if kernel == "numba" else ["False", "False"])
    from campaignsim.sweep import executors

    assert "campaignsim.sweep.warm" in executors._Processes.__init__.__code__.co_consts
