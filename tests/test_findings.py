"""Stylised-facts machinery: tables, paired differences, variant files and a small page."""

import shutil

import numpy as np
import pytest

from campaignsim import findings, load_scenario
from campaignsim.compare import compare, comparison_table
from campaignsim.findings import Metric, metric_table

from conftest import ROOT, small_campaign


def small(name: str, **tables):
    return small_campaign(name=name, **tables)


@pytest.fixture(scope="module")
def arms():
    return findings.build_arms(ROOT / "scenarios")


def test_metric_table_one_row_per_arm_and_paired_differences_match_compare():
    scenarios = [small("a"), small("b", broadcast={"intensity": 0.1}), small("c", mandate={})]
    comparison = compare(scenarios, replications=4, seed=5, workers=1)
    order = ["b", "a", "c"]
    sub = findings.subset(comparison, order)
    table = metric_table(order, [Metric("enrolled", findings.per_run(sub, "final_enrolled_share")),
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
    shutil.copy(ROOT / "scenarios" / "baseline.toml", tmp_path / "baseline.toml")
    explore = tmp_path / "explore"
    explore.mkdir()
    variants = [arm for arm in arms.values() if arm.overrides is not None]
    assert len(variants) > 40
    for arm in variants:
        path = explore / f"{arm.name}.toml"
        path.write_text(findings.toml_snippet(arm, extends="../baseline.toml"), encoding="utf-8")
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
    assert findings.mixed_density(staff) * total == pytest.approx(ties, rel=1e-4)


def test_critical_mass_and_wilson():
    peaks = np.array([[0.01, 0.02], [0.9, 0.03], [0.95, 0.97]])
    assert findings.critical_mass([0.0, 0.05, 0.1], peaks) == 0.05
    assert findings.critical_mass([0.0, 0.05, 0.1], peaks[:1]) is None
    low, high = findings.wilson(10, 20)
    assert low < 0.5 < high and high - 0.5 == pytest.approx(0.5 - low)


def test_page_at_two_replications(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert findings.main(["--facts", "6", "--replications", "2", "--workers", "1",
                          "--out", str(tmp_path)]) == 0
    page = (tmp_path / "findings.md").read_text(encoding="utf-8")
    assert "**R = 2 replications per arm, comparison seed 0**" in page
    assert "python -m campaignsim.findings --replications 2 --seed 0" in page
    assert "## 6. S-curves" in page and "## 8. Context" in page and "not modelled yet" in page
    assert "## 1." not in page
    figure = tmp_path / "figures" / "findings_6_s_curves.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "figures/findings_6_s_curves.png" in page
