"""Bundled scenarios: installed with the package, named by name from any folder, copied
to edit. The repository's scenarios/ is their one source (pyproject maps it to the
package campaignsim.scenarios)."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from campaignsim import ScenarioError
from campaignsim.bundled import bundled_folder, bundled_names, question_of, scenario_path

from conftest import ROOT

SCENARIO_FILES = sorted(p.relative_to(ROOT / "scenarios").with_suffix("").as_posix()
                        for p in (ROOT / "scenarios").rglob("*.toml"))


def cli(*args, cwd, pythonpath=ROOT / "src"):
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([sys.executable, "-m", "campaignsim.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def test_every_file_of_scenarios_is_bundled_baseline_first():
    assert bundled_folder() == ROOT / "scenarios"
    names = bundled_names()
    assert sorted(names) == SCENARIO_FILES and names[0] == "baseline"
    assert "sweeps/hybrid_alignment" in names
    assert question_of(ROOT / "scenarios" / "hybrids_leave.toml") == (
        "How much of the campaign rests on its hybrids?")


def test_a_path_wins_over_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert scenario_path("baseline") == ROOT / "scenarios" / "baseline.toml"
    assert scenario_path("sweeps/hybrid_alignment.toml") == (
        ROOT / "scenarios" / "sweeps" / "hybrid_alignment.toml")
    (tmp_path / "baseline").write_text("")
    assert scenario_path("baseline").resolve() == tmp_path / "baseline"
    for text in ("nope.toml", "../scenarios/baseline.toml", "/baseline"):
        assert str(scenario_path(text)) == text   # left for the loader to report
    with pytest.raises(ScenarioError, match="nor a bundled scenario.*bundled: baseline, "):
        scenario_path("basline")


def test_main_job_works_from_another_folder(tmp_path):
    listing = cli("scenarios", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("baseline ")
    assert len(listing.stdout.splitlines()) == len(SCENARIO_FILES) + 1
    done = cli("run", "baseline", "--steps", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "baseline" / "summary.json").is_file()
    compared = cli("compare", "baseline", "hybrids_leave", "-r", "2", "--workers", "1",
                   "--quiet", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert compared.stderr == ""   # --quiet: no progress bar
    assert (tmp_path / "results" / "compare" / "effects_compare.png").is_file()
    missing = cli("run", "basline", cwd=tmp_path)
    assert missing.returncode == 2 and "basline" in missing.stderr


def test_installed_layout_finds_its_package_data(tmp_path):
    """As a wheel installs it: campaignsim/ with scenarios/ inside, no clone around."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "src" / "campaignsim", site / "campaignsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", site / "campaignsim" / "scenarios")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listing = cli("scenarios", cwd=elsewhere, pythonpath=site)
    assert listing.returncode == 0, listing.stderr
    assert str(site / "campaignsim" / "scenarios") in listing.stdout
    done = cli("validate", "hybrids_leave", cwd=elsewhere, pythonpath=site)
    assert done.returncode == 0, done.stderr


def test_copy_gives_an_editable_copy_and_never_overwrites(tmp_path):
    target = tmp_path / "mine"
    done = cli("scenarios", "copy", "hybrids_leave", target, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["baseline.toml", "hybrids_leave.toml"]
    for name in ("baseline.toml", "hybrids_leave.toml"):   # extends still resolves
        assert (target / name).read_bytes() == (ROOT / "scenarios" / name).read_bytes()
    edited = (target / "hybrids_leave.toml").read_text().replace("leave_share = 0.5",
                                                                "leave_share = 0.9")
    (target / "hybrids_leave.toml").write_text(edited)
    assert '"leave_share": 0.9' in cli("validate", target / "hybrids_leave.toml",
                                       cwd=tmp_path).stdout
    again = cli("scenarios", "copy", "hybrids_leave", target, cwd=tmp_path)
    assert again.returncode == 2 and "pass --force" in again.stderr
    assert "leave_share = 0.9" in (target / "hybrids_leave.toml").read_text()
    unknown = cli("scenarios", "copy", "nope", target, cwd=tmp_path)
    assert unknown.returncode == 2 and "allowed: baseline" in unknown.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the tracked files")
def test_wheel_carries_every_scenario_file(tmp_path):
    tree = tmp_path / "tree"
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tree / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            tmp_path / "dist", tree], capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    inside = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".toml")}
    assert inside == {f"campaignsim/scenarios/{name}.toml" for name in SCENARIO_FILES}


def test_baseline_takes_the_medians_of_the_shipped_posterior():
    """scenarios/baseline.toml is the shipped accepted set's weighted medians (3
    significant figures; whole numbers rounded; a choice its most probable value), so
    the baseline and baseline_posterior.parquet cannot drift apart unnoticed."""
    import pandas as pd

    from campaignsim.fit.outputs import weighted_quantile
    from campaignsim.scenario import load_scenario, read_scenario_data

    posterior = pd.read_parquet(ROOT / "scenarios" / "calibration" / "baseline_posterior.parquet")
    weights = posterior.pop("weight").to_numpy()
    assert weights.sum() == pytest.approx(1.0) and len(posterior) == 100
    baseline = read_scenario_data(ROOT / "scenarios" / "baseline.toml")
    load_scenario(ROOT / "scenarios" / "baseline.toml")  # and it is a valid scenario
    for path, column in posterior.items():
        value = baseline
        for key in path.split("."):
            value = value[key]
        if column.dtype == bool:
            expected = bool(weights[column.to_numpy()].sum() > 0.5)
        else:
            expected = weighted_quantile(column.to_numpy(dtype=float), weights, 0.5)
            expected = (int(round(expected)) if column.dtype.kind == "i"
                        else float(f"{expected:.3g}"))
        assert value == expected, path
