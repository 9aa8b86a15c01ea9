"""`campaignsim report`: one self-contained HTML file from a run, compare or sweep folder.

(The browser check, that the report opens offline in Chromium and shows its figures, is
in test_app_browser.py.)
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from campaignsim import cli
from campaignsim.report import build_report, key_settings, write_report
from campaignsim.scenario import load_scenario
from conftest import BASELINE, write

SMALL = (f'extends = "{BASELINE.as_posix()}"\nweeks = 15\n'
         "[staff]\ndepartments = 3\nclinicians_per_department = 60\n")


def assert_self_contained(document: str) -> None:
    assert "<script" not in document.lower()
    assert "http://" not in document and "https://" not in document
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*//""", document)
    assert not re.search(r"@import|url\(", document)


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    base = write(folder / "small_base.toml", "# Question: how far does a small campaign "
                 "get?\n# Grounding: none\n" + SMALL)
    mediating = write(folder / "small_mediating.toml", 'description = "Hybrids mediating"\n'
                      + SMALL + "[hybrids]\nalignment = 0.2\n")
    out = folder / "compare"
    assert cli.main(["compare", str(base), str(mediating), "-r", "3", "--workers", "1",
                     "--out", str(out)]) == 0
    return out


def test_compare_report_is_self_contained_and_complete(compare_folder, capsys):
    assert cli.main(["report", str(compare_folder)]) == 0
    report = compare_folder / "report.html"
    assert f"wrote {report}" in capsys.readouterr().out
    document = report.read_text(encoding="utf-8")
    assert_self_contained(document)
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', document)
    assert len(images) == 2  # effects_compare.png, adoption_compare.png
    assert all(len(i) > 10_000 for i in images)
    for text in ("The question", "Key settings", "Outcomes", "Figures", "Manifest",
                 "small_base", "small_mediating", "Hybrids mediating",
                 "How far does a small campaign get?", "95 % confidence interval",
                 "Paired differences to small_base", "Who enrolled the clinicians",
                 "alignment 0.2", "manifest.json"):
        assert text in document, text
    table = pd.read_csv(compare_folder / "comparison.csv")
    mean, low, high = table.loc[1, ["final_enrolled_share", "final_enrolled_share_ci_low",
                                    "final_enrolled_share_ci_high"]]
    assert f"{mean:.1%}" in document and f"[{low:.1%}, {high:.1%}]" in document
    assert build_report(compare_folder) == document  # same folder, same bytes


def test_run_report(tmp_path):
    scenario = write(tmp_path / "small.toml", SMALL)
    run = tmp_path / "run"
    assert cli.main(["run", str(scenario), "--out", str(run)]) == 0
    out = write_report(run, tmp_path / "elsewhere" / "run.html")
    document = out.read_text(encoding="utf-8")
    assert_self_contained(document)
    assert document.count('src="data:image/png;base64,') == 1  # adoption.png
    summary = json.loads((run / "summary.json").read_text())
    assert f"{summary['final_enrolled_share']:.1%}" in document
    assert "One run" in document and "<td>small</td>" in document


def test_sweep_report_groups_runs_by_the_swept_parameters(tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    resolved = load_scenario(BASELINE).to_dict()
    (folder / "manifest.json").write_text(json.dumps({
        "kind": "sweep", "identity": "x", "scenario": "baseline",
        "parameters": {"hybrids.alignment": [0.2, 0.8], "hybrids.capacity": [3, 5]},
        "replications": 4, "resolved": resolved}))
    rng = np.random.default_rng(0)
    rows = [{"hybrids.alignment": a, "hybrids.capacity": c, "replicate": r, "seed": 100 + r,
             "final_enrolled_share": 0.5 + 0.1 * a + rng.normal(0, 0.01),
             "active_share": 0.4 + rng.normal(0, 0.01), "weeks_to_50": 3.0,
             "mean_ownership_of_enrolled_now": 0.5, "hazard_share:hybrid": 0.1}
            for a in (0.2, 0.8) for c in (3, 5) for r in range(4)]
    pd.DataFrame(rows).to_parquet(folder / "runs.parquet")
    document = write_report(folder).read_text(encoding="utf-8")
    assert_self_contained(document)
    assert "Parameter sweep" in document and "Outcomes by grid point" in document
    assert "hybrids.alignment" in document and "hybrids.capacity" in document
    assert document.count("<tr>") >= 4 + 1  # four grid points in the outcome table
    assert "Could not build" not in document


@pytest.mark.parametrize("files", [
    {},                                                   # no runs table at all
    {"runs.csv": "a,b\n1,2\n"},                           # no outcome columns
    {"runs.parquet": "not parquet"},                      # unreadable
    {"runs.csv": "final_enrolled_share\n0.5\n0.6\n", "plot.png": b"\x89PNG\r\n"},
])
def test_sweep_report_never_crashes_on_odd_folders(tmp_path, files):
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "sweep", "grid": [{"x": 1}]}))
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    document = write_report(tmp_path).read_text(encoding="utf-8")
    assert_self_contained(document)
    assert "<h2>Manifest</h2>" in document


def test_report_of_something_that_is_not_a_results_folder(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text("{not json")
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_key_settings_name_each_mechanism():
    settings = key_settings(load_scenario(BASELINE.parent / "champions_network.toml").to_dict())
    assert settings["champions"] == "24 by degree"
    hybrids = load_scenario(BASELINE).hybrids   # the calibrated baseline's, inherited
    assert settings["hybrids"].startswith(f"alignment {hybrids.alignment:g}, capacity "
                                          f"{hybrids.capacity}")
    assert settings["mandate"] == "off" and settings["weeks"] == "52"
