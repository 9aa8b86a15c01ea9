"""Strategy comparison: common random numbers, paired differences, CIs, the CLI."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from campaignsim.compare import (by_effect, compare, comparison_table, format_table, mean_ci,
                                 replicate_seeds)

from conftest import ROOT, small_campaign as small


def test_identical_scenarios_have_exactly_zero_paired_differences():
    comparison = compare([small(name="a"), small(name="b")], replications=6, seed=3, workers=1)
    table = comparison_table(comparison)
    second = table.iloc[1]
    for key in ("final_enrolled_share", "active_share", "disengaged_share", "mean_ownership_of_enrolled_now"):
        assert second[f"diff_{key}"] == 0.0
    runs = comparison.runs
    a, b = runs[runs.scenario == "a"], runs[runs.scenario == "b"]
    assert np.array_equal(a["final_enrolled_share"].to_numpy(), b["final_enrolled_share"].to_numpy())
    # replications differ from each other (different seeds), so the zero is not trivial
    assert a["final_enrolled_share"].nunique() > 1


def test_common_random_numbers_same_world_per_replicate():
    """Replicate i of two strategies sees the same staff graph and clinician attributes."""
    from campaignsim.model import CampaignModel

    seed = replicate_seeds(0, 2)[1]
    one = CampaignModel(small(), seed=seed)
    two = CampaignModel(small(hybrids={"alignment": 0.2}, mandate={}), seed=seed)
    assert sorted(one.graph.edges) == sorted(two.graph.edges)
    assert np.array_equal(one.population.trust, two.population.trust)


def test_confidence_intervals_narrow_as_replications_grow():
    """The half-width is t(R − 1)·s/√R of the runs' own sample sd s, so its factor
    t/√R falls from 2.78/2.24 to 2.02/6.32, about 3.9× narrower. (Comparing the two
    widths directly would also compare two noisy estimates of s: with 5 replications s
    can be half its value at 40, and a new graph stream made it so.)"""
    from scipy import stats

    factors = {}
    for replications in (5, 40):
        comparison = compare([small()], replications=replications, seed=2, workers=1)
        row = comparison_table(comparison).iloc[0]
        shares = comparison.runs["final_enrolled_share"].to_numpy()
        factors[replications] = stats.t.ppf(0.975, replications - 1) / np.sqrt(replications)
        width = row.final_enrolled_share_ci_high - row.final_enrolled_share_ci_low
        assert width == pytest.approx(2 * factors[replications] * shares.std(ddof=1))
        assert row.final_enrolled_share_ci_low < shares.mean() < row.final_enrolled_share_ci_high
    assert factors[5] / factors[40] == pytest.approx(3.9, abs=0.05)


def test_results_do_not_depend_on_worker_count():
    scenarios = [small(name="a"), small(name="b", hybrids={"alignment": 0.1})]
    one = compare(scenarios, replications=3, seed=5, workers=1).runs
    two = compare(scenarios, replications=3, seed=5, workers=2).runs
    pd.testing.assert_frame_equal(one, two)


def test_mean_ci_matches_hand_computed_t_interval():
    mean, low, high = mean_ci(np.array([0.2, 0.4, 0.6, 0.8]))
    # sd = 0.2582, se = 0.1291, t(0.975, 3) = 3.1824 -> half-width 0.4108
    assert mean == pytest.approx(0.5)
    assert high - mean == pytest.approx(0.41085, abs=1e-4)


def test_compare_cli_identical_files_and_outputs(tmp_path):
    for name in ("a", "b"):
        shutil.copy(ROOT / "scenarios" / "baseline.toml", tmp_path / f"{name}.toml")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "campaignsim.cli", "compare", str(tmp_path / "a.toml"),
         str(tmp_path / "b.toml"), "--replications", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Δ enrolled vs a" in done.stdout
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.scenario) == ["a", "b"]
    assert table.loc[1, "diff_final_enrolled_share"] == 0.0
    assert table.loc[1, "diff_final_enrolled_share_ci_low"] == 0.0
    for name in ("runs.csv", "effects_compare.png", "adoption_compare.png", "manifest.json"):
        assert (out / name).stat().st_size > 0


def test_compare_cli_bad_file_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[hybrids]\ncapasity = 3\n")
    done = subprocess.run([sys.executable, "-m", "campaignsim.cli", "compare", str(bad),
                           "--out", str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "hybrids.capasity" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_strategy_acting_when_nobody_is_left_is_flagged_with_the_reason():
    """Broadcast intensity 1 to clinicians who all trust management fully enrols everyone
    in week 1: by week 10 nobody is still to enrol, so a shock in week 10 can change
    nothing, and the table says why."""
    everyone = {"intensity": 1.0}
    trusting = {"trust_in_management": 1.0}
    late = small(name="late_shock", broadcast=everyone, clinicians=trusting, shock={"week": 10})
    acting = small(name="mediating", broadcast={"intensity": 0.03},
                   hybrids={"alignment": 0.1, "capacity": 5})
    comparison = compare([small(name="base", broadcast=everyone, clinicians=trusting), late,
                          acting], replications=3,
                         seed=1, workers=1)
    assert comparison.open[0, :, 9].max() == 0   # the premise, from the runs themselves
    table = comparison_table(comparison)
    assert table.loc[0, "no_effect"] == "" and table.loc[2, "no_effect"] == ""
    assert table.loc[1, "no_effect"] == ("nothing left to act on: 0 clinicians still to enrol "
                                         "(unaware or aware) when shock acts in week 10")
    text = format_table(table)
    assert "no effect †" in text and "† late_shock: the same enrolment" in text


def test_strategy_starting_after_the_last_week_is_flagged():
    table = comparison_table(compare([small(name="base"), small(name="never", shock={"week": 30})],
                                     replications=2, seed=1, workers=1))
    assert table.loc[1, "no_effect"] == "it acts from week 30, after the last week simulated (20)"


def test_table_is_sorted_by_effect_reference_first():
    table = pd.DataFrame({"scenario": ["ref", "small", "big", "harm", "zero"],
                          "diff_final_enrolled_share": [0.0, 0.01, 0.05, -0.02, 0.0]})
    assert list(by_effect(table)["scenario"]) == ["ref", "big", "small", "zero", "harm"]


def test_effects_figure_puts_no_effect_on_zero_and_sorts_by_effect():
    from campaignsim.compare_plots import effects_figure

    comparison = compare([small(name="base", broadcast={"intensity": 1.0}),
                          small(name="late", broadcast={"intensity": 1.0}, shock={"week": 10}),
                          small(name="weaker", broadcast={"intensity": 0.3})],
                         replications=3, seed=1, workers=1)
    figure = effects_figure(comparison_table(comparison))
    enrolled = figure.axes[0]
    labels = [t.get_text() for t in enrolled.get_yticklabels()][::-1]   # ticks run upwards
    assert labels == ["late  (no effect)", "weaker"]   # top to bottom: by effect
    assert enrolled.get_xlim()[0] < 0 < enrolled.get_xlim()[1]
    assert len(figure.axes) == 4


def test_effects_figure_shows_the_probability_of_benefit_when_the_table_has_it():
    from campaignsim.compare_plots import BENEFIT_COLUMN, effects_figure

    table = comparison_table(compare([small(name="base"), small(name="weaker",
                                                                broadcast={"intensity": 0.01})],
                                     replications=3, seed=1, workers=1))
    assert not any("P(better)" in t.get_text() for t in effects_figure(table).axes[0].texts)
    column = BENEFIT_COLUMN.format(key="final_enrolled_share")
    table[column] = [np.nan, 0.07]   # as a posterior analysis would add it (issue 14)
    texts = [t.get_text() for t in effects_figure(table).axes[0].texts]
    assert texts == ["P(better) 7%"]
