"""Calibration (`campaignsim fit`): the patterns distance and the data CSV by hand, bad
input, a tiny recovery, same-seed determinism, resume after SIGKILL, patterns mode.

Fits are tiny (a 60-clinician hospital, 20 weeks, 20-30 particles, 2-3 generations) so
the file runs in well under a minute; the subprocesses are the real `campaignsim` command.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from campaignsim import cli
from campaignsim.fit.plan import plan_fit
from campaignsim.fit.target import PatternSpec, PatternsTarget, read_data
from campaignsim.scenario import ScenarioError, load_scenario
from conftest import ROOT, write

CLI = [sys.executable, "-m", "campaignsim.cli"]

#: A tiny hospital (60 clinicians, 20 weeks); its own values are the truths of the data.
TINY = """
name = "tiny"
seed = 7
weeks = 20
[staff]
departments = 2
clinicians_per_department = 30
hybrids_per_department = 1
managers = 2
within_department_density = 0.2
between_department_density = 0.01
[broadcast]
intensity = 0.03
[hybrids]
capacity = 2
[peer]
rule = "bass"
q = 0.1
[activation]
rate = 0.15
[erosion]
rate = 0.03
[fit]
population = 30
generations = 3
predictive_runs = 5
"""
DATA = """
[fit.data]
file = "observed.csv"
[fit.priors]
"broadcast.intensity" = { distribution = "uniform", low = 0.0, high = 0.2 }
"activation.rate" = { distribution = "uniform", low = 0.0, high = 0.6 }
"""


def tiny_fit(folder: Path, extra: str = "") -> Path:
    """The tiny scenario, its observed CSV simulated from the truths (recovery's helper)."""
    from campaignsim.fit.recovery import observed_csv

    path = write(folder / "tiny.toml", TINY + (extra or DATA))
    (folder / "observed.csv").write_text(observed_csv(load_scenario(path)), encoding="utf-8")
    return path


def fit(path: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    """`campaignsim fit` in this process (pyABC imports once: seconds saved per fit)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["fit", str(path), "--out", str(out), *flags])
    return subprocess.CompletedProcess([], code, stdout.getvalue(), stderr.getvalue())


# --- by hand ------------------------------------------------------------------------


def test_patterns_distance_is_zero_inside_and_normalised_excess_outside():
    share = PatternSpec("P2", "ever_enrolled_share@52", 0.3, 0.6)
    rank = PatternSpec("P4b", "needed_rank:hybrid", 1.0, 1.0)
    target = PatternsTarget((share, rank))
    assert target.distance({"P2": 0.45, "P4b": 1.0}) == 0.0
    assert target.distance({"P2": 0.3, "P4b": 1.0}) == 0.0          # the ends are inside
    # 0.75 is 0.15 above 0.6: half the range's width 0.3
    assert math.isclose(target.distance({"P2": 0.75, "P4b": 1.0}), 0.5)
    # below, plus a point range missed by 2 (over a width of 1)
    assert math.isclose(target.distance({"P2": 0.24, "P4b": 3.0}), 0.2 + 2.0)
    assert target.distance({"P2": float("nan"), "P4b": 1.0}) == 1.0


def test_data_csv_counts_shares_missing_weeks_and_bom(tmp_path):
    csv = tmp_path / "observed.csv"
    csv.write_bytes("\ufeffweek,enrolled,active_share,channel:hybrid\n"
                    "1,4,0.0,2\n2,,0.1,5\n4,9,,7\n\n".encode("utf-8"))
    target = read_data(csv, weeks=10, clinicians=50)
    weeks, values = target.observed["enrolled"]
    assert weeks.tolist() == [1, 4] and values.tolist() == [4.0, 9.0]   # week 2 empty
    weeks, values = target.observed["active_share"]
    assert weeks.tolist() == [1, 2] and values.tolist() == [0.0, 0.1]
    assert target.observed["channel:hybrid"][0].tolist() == [1, 2, 4]  # week 3 absent
    # a share is compared as a share: simulated counts divided by the clinicians
    frame = pd.DataFrame({"week": range(11), "active": np.arange(11) * 5,
                          "enrolled": np.arange(11), **{f"channel:{c}": 0 for c in
                          ("seed", "broadcast", "event", "mandate", "hybrid", "peer",
                           "champion")}})
    result = type("R", (), {"timeseries": frame, "summary": {"clinicians": 50}})
    stats = target.stats([result])
    assert stats["active_share"].tolist() == [0.1, 0.2]
    assert stats["enrolled"].tolist() == [1.0, 4.0]


# --- bad input ------------------------------------------------------------------------


BAD = {
    "unknown prior path": (DATA + '"hybrids.capacty" = { distribution = "integer", '
                           'low = 0, high = 3 }\n', "", "fit.priors.hybrids.capacty",
                           "allowed"),
    "prior outside the range": (DATA.replace("high = 0.6", "high = 1.5"), "",
                                "fit.priors.activation.rate", "range [0, 1]"),
    "unknown column": ("", "week,enroled\n1,3\n", "enroled", "allowed: week, unaware"),
    "week beyond weeks": ("", "week,enrolled\n21,3\n", "week", "0 … 20"),
    "negative count": ("", "week,enrolled\n1,-3\n", "enrolled", "0 … 60"),
    "count above clinicians": ("", "week,enrolled\n1,61\n", "enrolled", "0 … 60"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_naming_file_field_and_allowed(tmp_path, case, capsys):
    extra, csv, field, allowed = BAD[case]
    path = tiny_fit(tmp_path, extra)
    if csv:
        (tmp_path / "observed.csv").write_text(csv)
    assert cli.main(["fit", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert field in error and allowed in error, error
    assert ("observed.csv" if csv else "tiny.toml") in error
    assert "Traceback" not in error and not (tmp_path / "out").exists()


def test_patterns_with_low_above_high_are_refused(tmp_path, capsys):
    path = write(tmp_path / "p.toml", TINY + """
        [fit.priors]
        "activation.rate" = { distribution = "uniform", low = 0.0, high = 0.6 }
        [fit.patterns]
        final_enrolled_share = [0.6, 0.3]
        """)
    with pytest.raises(ScenarioError, match=r"fit.patterns.final_enrolled_share.*low > high"):
        plan_fit(path)


# --- fits ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted tiny fit, seed 5, one worker."""
    folder = tmp_path_factory.mktemp("reference")
    result = fit(tiny_fit(folder), folder / "out", "--seed", "5")
    assert result.returncode == 0, result.stderr
    return folder / "out"


def test_tiny_recovery_truths_inside_the_intervals(reference):
    table = pd.read_parquet(reference / "posterior.parquet")
    assert math.isclose(table["weight"].sum(), 1.0)
    import json
    found = json.loads((reference / "manifest.json").read_text())["parameters"]
    truths = {"broadcast.intensity": 0.03, "activation.rate": 0.15}
    for path, truth in truths.items():
        assert found[path]["low"] <= truth <= found[path]["high"], (path, found[path])
    # the data inform the fit: an interval narrower than its prior
    assert min(found[p]["width_ratio"] for p in truths) < 0.8
    fitted = load_scenario(reference / "fitted.toml")
    assert math.isclose(fitted.activation.rate, found["activation.rate"]["median"],
                        rel_tol=1e-5)


def test_same_seed_one_worker_gives_identical_posterior(reference, tmp_path):
    result = fit(tiny_fit(tmp_path), tmp_path / "out", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert ((tmp_path / "out" / "posterior.parquet").read_bytes()
            == (reference / "posterior.parquet").read_bytes())
    other = fit(tiny_fit(tmp_path), tmp_path / "out", "--seed", "6")
    assert other.returncode == 2 and "one fit" in other.stderr   # a different fit: refused


def test_resume_after_sigkill_equals_uninterrupted(reference, tmp_path):
    path, out = tiny_fit(tmp_path), tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([*CLI, "fit", str(path), "--out", str(out), "--seed", "5"],
                               stdout=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.startswith("generation 1/3"):
            break
    time.sleep(0.1)   # inside generation 2 (a generation takes about a second)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    resumed = fit(path, out, "--seed", "5")
    assert resumed.returncode == 0, resumed.stderr
    kept = int(resumed.stdout.split("resuming from generation ")[1].split()[0])
    assert 1 <= kept < 3
    # only the generations after the kept ones run again
    assert [line.split()[1] for line in resumed.stdout.splitlines()
            if line.startswith("generation ")] == [f"{t}/3:" for t in range(kept + 1, 4)]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"),
                                  pd.read_parquet(reference / "posterior.parquet"))


def test_patterns_mode_with_a_paired_variant(tmp_path):
    path = write(tmp_path / "patterns.toml", TINY.replace("generations = 3", "generations = 2")
                 + """
        [fit.priors]
        "hybrids.capacity" = { distribution = "integer", low = 0, high = 6 }
        [fit.patterns]
        "ever_enrolled_share@20" = [0.2, 0.9]
        hybrid_effect = { outcome = "ever_enrolled_share@20", range = [0.0, 0.5], minus_variant = { "hybrids.enabled" = false } }
        """)
    result = fit(path, tmp_path / "out", "--seed", "1")
    assert result.returncode == 0, result.stderr
    import json
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert set(manifest["patterns_met"]) == {"ever_enrolled_share@20", "hybrid_effect", "all"}
    # capacity 0 makes the hybrids' paired effect exactly 0 (common random numbers)
    plan = plan_fit(path)
    from campaignsim.fit.simulate import ParticleModel
    model = ParticleModel(plan)
    assert model.stats(model.runs((0,), seed=3))["hybrid_effect"] == 0.0
    assert model.stats(model.runs((6,), seed=3))["hybrid_effect"] > 0.0


def test_report_renders_a_fit_folder(reference):
    from campaignsim.report import build_report

    page = build_report(reference)
    assert "Calibration (ABC-SMC)" in page and "activation.rate" in page
    assert "90% credible interval" in page and page.count("data:image/png") == 3


def test_a_generation_pyabc_cannot_weight_ends_the_fit_with_the_complete_ones(tmp_path,
                                                                              monkeypatch):
    """pyABC raises AssertionError("The population total weight nan is not normalized")
    when a generation's importance weights are nan (seen on a Bass-rule patterns fit in
    its 9th generation): the fit ends with the generations already complete, says so,
    and writes its outputs from them — no traceback, nothing lost."""
    import pyabc

    real_run, calls = pyabc.ABCSMC.run, []

    def run_then_fail(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise AssertionError("The population total weight nan is not normalized.")
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(pyabc.ABCSMC, "run", run_then_fail)
    out = tmp_path / "out"
    result = fit(tiny_fit(tmp_path), out, "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "generation 2 stopped: pyABC could not weight its particles" in result.stdout
    assert "the fit ends with the 1 complete generation(s)" in result.stdout
    import json
    manifest = json.loads((out / "manifest.json").read_text())
    assert [g["t"] for g in manifest["generations"]] == [0]
    assert len(pd.read_parquet(out / "posterior.parquet")) == 30   # generation 1's particles
