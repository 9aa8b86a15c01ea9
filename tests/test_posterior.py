"""Comparisons across a posterior (`compare --posterior`): reading an accepted set, drawing
from it, applying a draw (the strategy's own settings win), the numbers of a comparison
across draws against hand-checkable cases, and the command line.

Posteriors are built here, small and by hand; none of these tests reads the numbers of
the shipped scenarios/calibration/baseline_posterior.parquet.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from campaignsim import cli
from campaignsim.compare import compare, comparison_table
from campaignsim.posterior import (across_draws, apply_draw, draw_scenarios, load_posterior,
                                   own_settings)
from campaignsim.scenario import ScenarioError, load_scenario
from conftest import binomial_se, write

#: A small campaign (2 departments of 30, 16 weeks) as a file, and strategies extending it.
BASE = """
name = "base"
weeks = 16
[staff]
departments = 2
clinicians_per_department = 30
hybrids_per_department = 1
managers = 1
within_department_density = 0.2
between_department_density = 0.02
[broadcast]
intensity = 0.03
[hybrids]
capacity = 2
alignment = 0.5
[peer]
rule = "bass"
q = 0.05
[activation]
rate = 0.1
"""
#: Sets hybrids.alignment itself: the question it asks.
ALIGNED = """
extends = "base.toml"
name = "aligned"
[hybrids]
alignment = 1.0
"""
#: A file between a strategy and the baseline: its keys count as the strategy's own.
MIDDLE = """
extends = "base.toml"
name = "middle"
[broadcast]
intensity = 0.06
"""
ON_MIDDLE = """
extends = "middle.toml"
name = "on_middle"
[hybrids]
capacity = 4
"""


@pytest.fixture
def files(tmp_path):
    return {name: write(tmp_path / f"{name}.toml", text)
            for name, text in (("base", BASE), ("aligned", ALIGNED), ("middle", MIDDLE),
                               ("on_middle", ON_MIDDLE))}


def posterior_file(folder, rows: dict, name: str = "posterior.parquet"):
    """A posterior table written as parquet (or CSV, by the name's suffix)."""
    table = pd.DataFrame(rows)
    path = folder / name
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


#: Three particles: alignment and broadcast intensity, weights summing to 1.
VARIED = {"hybrids.alignment": [0.1, 0.5, 0.9], "broadcast.intensity": [0.01, 0.03, 0.08],
          "hybrids.capacity": [1, 2, 3], "weight": [0.5, 0.3, 0.2]}


# --- loading ---------------------------------------------------------------------------


def test_parquet_and_csv_load_alike_with_values_as_the_scenario_takes_them(tmp_path):
    parquet = load_posterior(posterior_file(tmp_path, VARIED))
    csv = load_posterior(posterior_file(tmp_path, VARIED, "posterior.csv"))
    pd.testing.assert_frame_equal(parquet.table, csv.table)
    assert parquet.paths == ["hybrids.alignment", "broadcast.intensity", "hybrids.capacity"]
    assert parquet.table["weight"].sum() == pytest.approx(1.0)
    written = (tmp_path / "posterior.parquet").read_bytes()
    assert parquet.sha256 == hashlib.sha256(written).hexdigest()
    draw = parquet.draws(1, seed=0)[0]
    assert type(draw["hybrids.capacity"]) is int and type(draw["hybrids.alignment"]) is float


BAD = {
    "unknown path": ({"hybrids.alignmnt": [0.5], "weight": [1.0]}, "hybrids.alignmnt",
                     "allowed: enabled, capacity, alignment"),
    "a seed column": ({"seed": [1], "weight": [1.0]}, "seed", "cannot be swept"),
    "no weight": ({"hybrids.alignment": [0.5]}, "weight", "missing"),
    "weight only": ({"weight": [1.0]}, None, "only `weight`"),
    "negative weight": ({"hybrids.alignment": [0.5, 0.6], "weight": [1.5, -0.5]}, "weight",
                        "non-negative"),
    "weights summing to 2": ({"hybrids.alignment": [0.5, 0.6], "weight": [1.0, 1.0]},
                             "weight", "must sum to 1"),
    "nan weight": ({"hybrids.alignment": [0.5, 0.6], "weight": [float("nan"), 1.0]},
                   "weight", "row 0"),
    "infinite value": ({"hybrids.alignment": [float("inf")], "weight": [1.0]},
                       "hybrids.alignment", "finite"),
    "text in a number": ({"hybrids.alignment": ["high"], "weight": [1.0]},
                         "hybrids.alignment", "'high' is not allowed"),
    "fraction in an integer": ({"hybrids.capacity": [2.5], "weight": [1.0]},
                               "hybrids.capacity", "whole number"),
    "no rows": ({"hybrids.alignment": [], "weight": []}, None, "no particles"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_posteriors_are_refused_naming_file_column_and_what_is_allowed(tmp_path, case):
    rows, column, words = BAD[case]
    for name in ("posterior.parquet", "posterior.csv"):
        path = posterior_file(tmp_path, rows, name)
        with pytest.raises(ScenarioError) as caught:
            load_posterior(path)
        assert caught.value.source == path and caught.value.field == column, (name, caught.value)
        assert words in caught.value.message, (name, caught.value.message)


def test_other_files_are_refused(tmp_path):
    (tmp_path / "posterior.json").write_text("{}")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    for path, words in ((tmp_path / "posterior.json", "allowed: .parquet"),
                        (tmp_path / "broken.parquet", "cannot be read as parquet"),
                        (tmp_path / "missing.csv", "file not found"),
                        (tmp_path, "not a regular file")):
        with pytest.raises(ScenarioError, match=words):
            load_posterior(path)


# --- drawing ---------------------------------------------------------------------------


def test_draws_are_seeded_deterministic_and_follow_the_weights(tmp_path):
    posterior = load_posterior(posterior_file(tmp_path, {
        "hybrids.alignment": [0.25, 0.75, 0.5], "weight": [0.75, 0.25, 0.0]}))
    many = posterior.draws(4000, seed=3)
    assert many == posterior.draws(4000, seed=3)
    assert many[:10] == posterior.draws(10, seed=3)      # the first k do not depend on K
    assert many[:10] != posterior.draws(10, seed=4)
    values = np.array([d["hybrids.alignment"] for d in many])
    assert not (values == 0.5).any()                      # weight 0: never drawn
    share = (values == 0.25).mean()
    assert abs(share - 0.75) < 4 * binomial_se(0.75, 4000)
    with pytest.raises(ScenarioError, match="draws"):
        posterior.draws(0, seed=3)


# --- applying a draw -------------------------------------------------------------------


def test_own_settings_are_the_keys_above_the_baseline(files):
    assert own_settings(files["base"], files["base"]) == frozenset()
    assert own_settings(files["aligned"], files["base"]) == {("name",), ("hybrids", "alignment")}
    assert own_settings(files["on_middle"], files["base"]) == {
        ("name",), ("hybrids", "capacity"), ("broadcast", "intensity")}
    # a file that does not extend the baseline sets every key of its chain itself
    assert ("peer", "rule") in own_settings(files["base"], files["aligned"])


def test_a_draw_replaces_inherited_values_and_the_strategys_own_value_wins(files):
    draw = {"hybrids.alignment": 0.2, "broadcast.intensity": 0.07, "hybrids.capacity": 5}
    base = apply_draw(load_scenario(files["base"]), draw,
                      own_settings(files["base"], files["base"]))
    assert (base.hybrids.alignment, base.broadcast.intensity,
            base.hybrids.capacity) == (0.2, 0.07, 5)
    aligned = apply_draw(load_scenario(files["aligned"]), draw,
                         own_settings(files["aligned"], files["base"]))
    assert (aligned.hybrids.alignment, aligned.broadcast.intensity) == (1.0, 0.07)
    on_middle = apply_draw(load_scenario(files["on_middle"]), draw,
                           own_settings(files["on_middle"], files["base"]))
    assert (on_middle.broadcast.intensity, on_middle.hybrids.capacity,
            on_middle.hybrids.alignment) == (0.06, 4, 0.2)


def test_a_draw_never_switches_a_mechanism_on_nor_splits_a_value_the_strategy_set(files, tmp_path):
    scalar = write(tmp_path / "scalar.toml", """
        extends = "base.toml"
        [clinicians]
        trust_in_management = 0.4
        """)
    draw = {"champions.per_department": 3, "clinicians.trust_in_management.a": 5.0}
    scenario = apply_draw(load_scenario(scalar), draw, own_settings(scalar, files["base"]))
    assert scenario.champions is None
    assert scenario.clinicians.trust_in_management == 0.4


def test_a_drawn_value_the_scenario_refuses_names_the_posterior_and_column(files, tmp_path):
    path = posterior_file(tmp_path, {"hybrids.alignment": [1.5], "weight": [1.0]})
    posterior = load_posterior(path)
    with pytest.raises(ScenarioError) as caught:
        draw_scenarios([load_scenario(files["base"])], posterior, posterior.draws(1, 0))
    assert caught.value.source == path and caught.value.field == "hybrids.alignment"
    assert "1.5" in caught.value.message


# --- the comparison's numbers ----------------------------------------------------------

EFFECT_COLUMNS = [f"diff_{k}{s}" for k in ("final_enrolled_share", "active_share",
                                           "enrolment_engagement_gap",
                                           "mean_ownership_of_enrolled_now")
                  for s in ("", "_ci_low", "_ci_high")]


def test_identical_draws_of_the_baselines_own_values_equal_the_comparison_without(files, tmp_path):
    """K = 2 draws × R = 3 of a posterior whose particles all hold the baseline's own
    values run exactly the runs of a comparison without draws with R = 6: same seeds
    (draw d, replicate i is run d × R + i), same numbers, same effects and CIs."""
    posterior = load_posterior(posterior_file(tmp_path, {
        "hybrids.alignment": [0.5, 0.5], "broadcast.intensity": [0.03, 0.03],
        "weight": [0.5, 0.5]}))
    scenarios = [load_scenario(files[n]) for n in ("base", "aligned", "middle")]
    own = [own_settings(files[n], files["base"]) for n in ("base", "aligned", "middle")]
    draws = draw_scenarios(scenarios, posterior, posterior.draws(2, seed=9), own)
    across = compare(scenarios, replications=3, seed=4, workers=1, draws=draws)
    single = compare(scenarios, replications=6, seed=4, workers=1)
    assert list(across.runs["draw"].unique()) == [0, 1]
    outcomes = [c for c in single.runs.columns if c != "replicate"]
    pd.testing.assert_frame_equal(across.runs[outcomes], single.runs[outcomes])
    with_draws, without = comparison_table(across), comparison_table(single)
    pd.testing.assert_frame_equal(with_draws[EFFECT_COLUMNS], without[EFFECT_COLUMNS])
    assert with_draws["draws"].tolist() == [2, 2, 2]


def test_a_strategy_identical_to_the_baseline_never_benefits(files, tmp_path):
    posterior = load_posterior(posterior_file(tmp_path, VARIED))
    scenarios = [load_scenario(files["base"]),
                 load_scenario(files["base"]).with_overrides(name="copy")]
    draws = draw_scenarios(scenarios, posterior, posterior.draws(4, seed=1))
    table = comparison_table(compare(scenarios, replications=2, seed=1, workers=1, draws=draws))
    copy = table.iloc[1]
    for key in ("final_enrolled_share", "active_share", "enrolment_engagement_gap",
                "mean_ownership_of_enrolled_now"):
        assert copy[f"prob_benefit_{key}"] == 0.0
        assert copy[f"diff_{key}_draws_low"] == copy[f"diff_{key}_draws_high"] == 0.0


def test_across_draws_by_hand():
    """Per-draw means of the paired differences (two replicates each): enrolled +0.10,
    −0.05, 0 (a tie: no benefit), +0.20 → P = 2/4; gap −0.1, +0.1, +0.2, −0.3 → lower is
    better, P = 2/4; numpy's linear quantiles of the enrolled means: 10 % at position
    0.3 → −0.05 + 0.3 × 0.05 = −0.035, 90 % at 2.7 → 0.1 + 0.7 × 0.1 = 0.17."""
    differences = pd.DataFrame({
        "draw": [0, 0, 1, 1, 2, 2, 3, 3],
        "final_enrolled_share": [0.05, 0.15, -0.05, -0.05, 0.1, -0.1, 0.2, 0.2],
        "active_share": [0.0] * 8,
        "enrolment_engagement_gap": [-0.1, -0.1, 0.1, 0.1, 0.3, 0.1, -0.3, -0.3],
        "mean_ownership_of_enrolled_now": [np.nan, np.nan, 0.1, 0.1, 0.2, 0.2, -0.1, -0.1]})
    found = across_draws(differences)
    assert found["draws"] == 4
    assert found["prob_benefit_final_enrolled_share"] == 0.5
    assert found["prob_benefit_enrolment_engagement_gap"] == 0.5
    assert found["prob_benefit_active_share"] == 0.0
    assert found["diff_final_enrolled_share_draws_low"] == pytest.approx(-0.035)
    assert found["diff_final_enrolled_share_draws_high"] == pytest.approx(0.17)
    # a draw without a finite mean (nobody enrolled) is left out: 2 of 3
    assert found["prob_benefit_mean_ownership_of_enrolled_now"] == pytest.approx(2 / 3)


def test_draws_pair_within_and_differ_between_and_workers_do_not_matter(files, tmp_path):
    posterior = load_posterior(posterior_file(tmp_path, VARIED))
    scenarios = [load_scenario(files["base"]), load_scenario(files["aligned"])]
    own = [own_settings(files[n], files["base"]) for n in ("base", "aligned")]
    draws = draw_scenarios(scenarios, posterior, posterior.draws(3, seed=2), own)
    one = compare(scenarios, replications=2, seed=6, workers=1, draws=draws).runs
    two = compare(scenarios, replications=2, seed=6, workers=2, draws=draws).runs
    pd.testing.assert_frame_equal(one, two)
    seeds = one.pivot(index=["draw", "replicate"], columns="scenario_index", values="seed")
    assert (seeds[0] == seeds[1]).all() and seeds[0].nunique() == 6


# --- the command line ------------------------------------------------------------------


def run_cli(argv, capsys):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exit:   # argparse's usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_posterior_writes_the_columns_manifest_and_report(files, tmp_path, capsys):
    path = posterior_file(tmp_path, VARIED)
    out = tmp_path / "out"
    code, printed, err = run_cli(["compare", files["base"], files["aligned"], "--posterior", path,
                                  "--draws", "3", "-r", "2", "--workers", "1", "--quiet",
                                  "--out", out], capsys)
    assert code == 0, err
    assert "3 parameter sets drawn by weight (seed 0) × 2 replications" in printed
    aligned = next(line for line in printed.splitlines() if line.startswith("aligned"))
    assert "] P " in aligned                 # P(better) beside the CI in the main table
    assert "Across the accepted set: 3 parameter sets × 2 replications" in printed
    table = pd.read_csv(out / "comparison.csv")
    for key in ("final_enrolled_share", "enrolment_engagement_gap"):
        assert {f"prob_benefit_{key}", f"diff_{key}_draws_low",
                f"diff_{key}_draws_high"} <= set(table.columns)
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["draw"].unique()) == [0, 1, 2] and len(runs) == 2 * 3 * 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["draws"] == 3 and manifest["posterior"]["draws_seed"] == 0
    assert len(manifest["posterior"]["parameter_sets"]) == 3
    code, _, err = run_cli(["report", out], capsys)
    assert code == 0, err
    page = (out / "report.html").read_text()
    assert "Across the accepted set: probability of benefit (3 parameter sets)" in page


@pytest.mark.parametrize("case", ["bad column", "drawn value refused", "draws without posterior",
                                  "both posterior flags", "draws out of range"])
def test_compare_posterior_bad_input_exits_2(files, tmp_path, capsys, case):
    good = posterior_file(tmp_path, VARIED, "good.parquet")
    argv = ["compare", files["base"], files["aligned"], "-r", "1", "--workers", "1", "--quiet",
            "--out", tmp_path / "out"]
    if case == "bad column":
        bad = posterior_file(tmp_path, {"hybrids.nope": [1.0], "weight": [1.0]})
        argv += ["--posterior", bad]
        words = [str(bad), "hybrids.nope", "allowed"]
    elif case == "drawn value refused":
        bad = posterior_file(tmp_path, {"broadcast.intensity": [7.0], "weight": [1.0]})
        argv += ["--posterior", bad]
        words = [str(bad), "broadcast.intensity", "7.0"]
    elif case == "draws without posterior":
        argv += ["--draws", "3"]
        words = ["--draws", "needs a posterior"]
    elif case == "both posterior flags":
        argv += ["--posterior", good, "--no-posterior"]
        words = ["not allowed with argument"]
    else:
        argv += ["--posterior", good, "--draws", "0"]
        words = ["--draws", "from 1 to 10000"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert all(w in err for w in words) and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_default_compare_uses_the_shipped_posterior_or_says_it_falls_back(tmp_path, capsys,
                                                                          monkeypatch):
    argv = ["compare", "--draws", "1", "-r", "1", "--workers", "1", "--quiet"]
    code, printed, err = run_cli([*argv, "--out", tmp_path / "with"], capsys)
    assert code == 0, err
    assert "baseline_posterior.parquet: 1 parameter sets drawn by weight" in printed
    assert "draw" in pd.read_csv(tmp_path / "with" / "runs.csv").columns
    code, printed, err = run_cli(["compare", "-r", "1", "--workers", "1", "--quiet",
                                  "--no-posterior", "--out", tmp_path / "without"], capsys)
    assert code == 0 and "accepted set" not in printed
    assert "draw" not in pd.read_csv(tmp_path / "without" / "runs.csv").columns
    import campaignsim.posterior as posterior

    monkeypatch.setattr(posterior, "SHIPPED", posterior.SHIPPED.with_name("missing.parquet"))
    code, printed, err = run_cli(["compare", "-r", "1", "--workers", "1", "--quiet",
                                  "--out", tmp_path / "fallback"], capsys)
    assert code == 0, err
    assert "is missing; comparing on the baseline's own parameter set" in printed
    assert "draw" not in pd.read_csv(tmp_path / "fallback" / "runs.csv").columns
