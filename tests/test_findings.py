"""Stylised-facts machinery (campaignsim.studies): tables, paired differences, variant
files, fact 8's criterion, the page templates and a small page."""

import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from campaignsim import load_scenario
from campaignsim.compare import compare, comparison_table
from campaignsim.studies import fact_context, findings
from campaignsim.studies.arms import build_arms, mixed_density, toml_snippet
from campaignsim.studies.fact_tipping import critical_mass
from campaignsim.studies.runs import (per_run, subset, weeks_to_half_reached,
                                      weeks_to_peak_fraction)
from campaignsim.studies.tables import Metric, metric_table, wilson

from conftest import ROOT, small_campaign


def small(name: str, **tables):
    return small_campaign(name=name, **tables)


@pytest.fixture(scope="module")
def arms():
    return build_arms(ROOT / "scenarios")


def test_metric_table_one_row_per_arm_and_paired_differences_match_compare():
    scenarios = [small("a"), small("b", broadcast={"intensity": 0.1}), small("c", mandate={})]
    comparison = compare(scenarios, replications=4, seed=5, workers=1)
    order = ["b", "a", "c"]
    sub = subset(comparison, order)
    table = metric_table(order, [Metric("enrolled", per_run(sub, "final_enrolled_share")),
                                 Metric("active", sub.active[:, :, -1])])

    assert list(table["arm"]) == order                      # one row per arm, in order
    for key in ("enrolled diff", "enrolled diff low", "enrolled diff high", "active diff"):
        assert table.loc[0, key] == 0.0                      # the reference against itself
    # Same seeds, same worlds: the subset re-referenced to b gives what compare gives when
    # b is run first.
    direct = comparison_table(compare([scenarios[1], scenarios[0], scenarios[2]],
                                      replications=4, seed=5, workers=1))
    assert np.allclose(table["enrolled"], direct["final_enrolled_share"])
    assert np.allclose(table["enrolled diff"], direct["diff_final_enrolled_share"])
    assert np.allclose(table["active"], direct["active_share"])
    assert table.loc[1, "enrolled diff"] != 0.0             # the arms really differ


def test_every_variant_file_on_the_page_reproduces_its_arm(arms, tmp_path):
    # as the page says: explore/ next to a copy of scenarios/, each file as shown
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    explore = tmp_path / "explore"
    explore.mkdir()
    variants = [arm for arm in arms.values() if arm.overrides is not None]
    assert len(variants) > 40
    assert {arm.bundled for arm in variants} == {"baseline", "context/high_performing",
                                                 "context/poor_performing"}
    for arm in variants:
        path = explore / f"{arm.name}.toml"
        path.write_text(toml_snippet(arm), encoding="utf-8")
        assert load_scenario(path).content_hash() == arm.scenario.content_hash(), arm.name


def test_variants_change_only_what_their_fact_is_about(arms):
    baseline = arms["baseline"].scenario
    fewer = arms["fewer_clinicians"].scenario.staff
    removed = sum(baseline.staff.clinicians_per_department) - sum(fewer.clinicians_per_department)
    assert removed == baseline.staff.departments * baseline.staff.hybrids_per_department
    assert arms["no_hybrids"].scenario.on("hybrids") is None
    assert arms["no_hybrids"].scenario.on("events") == baseline.on("events")
    # the unclustered graph keeps the expected number of clinician ties
    staff = baseline.staff.model_dump()
    sizes = np.array(staff["clinicians_per_department"])
    within = float(np.sum(sizes * (sizes - 1) / 2))
    total = float(sizes.sum() * (sizes.sum() - 1) / 2)
    ties = (staff["within_department_density"] * within
            + staff["between_department_density"] * (total - within))
    assert mixed_density(staff) * total == pytest.approx(ties, rel=1e-4)


def test_critical_mass_and_wilson():
    peaks = np.array([[0.01, 0.02], [0.9, 0.03], [0.95, 0.97]])
    assert critical_mass([0.0, 0.05, 0.1], peaks) == 0.05
    assert critical_mass([0.0, 0.05, 0.1], peaks[:1]) is None
    low, high = wilson(10, 20)
    assert low < 0.5 < high and high - 0.5 == pytest.approx(0.5 - low)


def test_speed_and_cascade_measures_count_the_campaigns_own_enrolments():
    # 100 open at week 0, 40 reached by week 4: half (20) is reached in week 3 — P3's measure,
    # defined whether or not the enrolled share ever reaches 50 % of the clinicians
    assert weeks_to_half_reached(np.array([[[100, 90, 85, 80, 60]]])).tolist() == [[3.0]]
    assert weeks_to_peak_fraction(np.array([[[0.0, 0.1, 0.3, 0.4, 0.2]]]), 0.9).tolist() == [[3.0]]
    # 50 % random seeds that reach 60 % enrolled spread to a fifth of the rest: no cascade;
    # reaching 75 % is half of the rest
    assert critical_mass([0.5], np.array([[0.6, 0.6]])) is None
    assert critical_mass([0.3, 0.5], np.array([[0.3, 0.3], [0.75, 0.8]])) == 0.5


def test_page_at_two_replications(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert findings.main(["--facts", "6", "--replications", "2", "--workers", "1",
                          "--out", str(tmp_path)]) == 0
    page = (tmp_path / "findings.md").read_text(encoding="utf-8")
    assert "**R = 2 replications per arm, comparison seed 0**" in page
    assert "python -m campaignsim.studies.findings --replications 2 --seed 0" in page
    assert "## 6. S-curves" in page
    assert "## 1." not in page and "## 8." not in page
    figure = tmp_path / "figures" / "findings_6_s_curves.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "figures/findings_6_s_curves.png" in page


# --- fact 8: context -------------------------------------------------------------------

HIGH = np.array([0.80, 0.70, 0.60, 0.50])
HYBRIDS_ADD_IN_HIGH = np.array([0.10, 0.12, 0.08, 0.10])


def test_fact_8_verdict_flips_when_the_hybrids_add_less_in_the_poor_organisation():
    poor = HIGH - 0.20   # the same campaign, 20 points lower in every replicate
    # the hybrids add as much in both organisations: the effects' differences
    # [-0.02, +0.04, -0.02, 0] have mean 0 and a CI of ±3.182 × 0.0283 / 2 = ±0.045
    same = fact_context.judge("active", HIGH, HIGH - HYBRIDS_ADD_IN_HIGH, poor,
                              poor - np.array([0.12, 0.08, 0.10, 0.10]))
    assert same.context[0] == pytest.approx(-0.20) and same.context[2] < 0
    assert same.difference[0] == pytest.approx(0.0, abs=1e-12)
    assert same.difference[1] == pytest.approx(-0.045, abs=1e-3)
    assert fact_context.verdict([same]).startswith("partly: the same campaign does worse")
    # the hybrids add only [0.02, 0, 0.01, 0.01] in the poor one: differences
    # [0.08, 0.12, 0.07, 0.09], mean 0.09, CI 0.09 ± 3.182 × 0.0216 / 2 = [0.056, 0.124]
    less = fact_context.judge("active", HIGH, HIGH - HYBRIDS_ADD_IN_HIGH, poor,
                              poor - np.array([0.02, 0.0, 0.01, 0.01]))
    assert less.difference[0] == pytest.approx(0.09)
    assert less.difference[1] == pytest.approx(0.056, abs=1e-3)
    assert fact_context.verdict([same, less]) == (
        "yes: the hybrids' effect is more favourable in the high-performing organisation "
        "(active)")
    # ...and the other way round: they add more in the poor one
    more = fact_context.judge("enrolled", poor, poor - np.array([0.02, 0.0, 0.01, 0.01]),
                              HIGH, HIGH - HYBRIDS_ADD_IN_HIGH)
    assert fact_context.verdict([more]).startswith("partly: the hybrids' effect differs, but "
                                                   "it is more favourable in the poor-performing")
    # no difference between the organisations at all
    alike = fact_context.judge("active", HIGH, HIGH - HYBRIDS_ADD_IN_HIGH,
                               HIGH + np.array([0.01, -0.01, 0.0, 0.0]),
                               HIGH - np.array([0.12, 0.08, 0.10, 0.10]))
    assert fact_context.verdict([alike]).startswith("no:")


def test_the_context_pair_changes_only_the_organisation_and_stays_out_of_compare():
    from campaignsim.bundled import bundled_folder
    from campaignsim.compare import bundled_scenarios

    def flat(data, prefix=""):
        for key, item in data.items():
            if isinstance(item, dict) and "distribution" not in item:
                yield from flat(item, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", item

    baseline = dict(flat(load_scenario(ROOT / "scenarios" / "baseline.toml").model_dump()))
    allowed = {"name", "description", "clinicians.trust_in_management", "hybrids.capacity",
               "fatigue.recovery", "erosion.rate"}
    # the poor-performing hybrids keep the baseline's capacity of 1 (the fitted minimum)
    for name, changes in ((fact_context.HIGH, allowed),
                          (fact_context.POOR, allowed - {"hybrids.capacity"})):
        context = dict(flat(load_scenario(ROOT / "scenarios" / "context" / f"{name}.toml")
                            .model_dump()))
        changed = {key for key in baseline if context[key] != baseline[key]}
        assert changed == changes, name
    default = [path.stem for path in bundled_scenarios(bundled_folder())]
    assert "baseline" in default and not {fact_context.HIGH, fact_context.POOR} & set(default)


def test_page_templates_load_from_an_installed_wheel(tmp_path):
    tree = tmp_path / "tree"
    for folder in ("src", "scenarios"):
        # not the egg-info of an editable install: its file list would carry the templates
        # into the wheel even without pyproject's package-data
        shutil.copytree(ROOT / folder, tree / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            tmp_path / "dist", tree], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = ("import campaignsim.studies.tables as t; print(t.__file__); "
              "print(t.template('findings.md') + t.template('validation.md'), end='')")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(site)), timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    where, text = loaded.stdout.split("\n", 1)
    assert where.startswith(str(site))     # the installed copy, not the source tree
    templates = ROOT / "src" / "campaignsim" / "studies" / "templates"
    assert text == ((templates / "findings.md").read_text(encoding="utf-8")
                    + (templates / "validation.md").read_text(encoding="utf-8"))
