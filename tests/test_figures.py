"""The small readability fixes of the figures and tables (issue 15): department columns
in numeric order, the role panel only with several roles, labels with enough digits,
sensitivity indices named readably with a sentence on S1 vs ST, fans as small
multiples."""

import numpy as np
import pandas as pd

from campaignsim import run
from campaignsim.plots import (adoption_figure, distinct_labels, sensitivity_figure,
                               sweep_fans_figure, sweep_heatmap_figure)
from campaignsim.sweep.analysis import Sensitivity, format_sensitivity, reading_note

from conftest import small_campaign as small


def test_department_columns_in_numeric_order():
    result = run(small(staff={"departments": 12, "clinicians_per_department": 5,
                              "hybrids_per_department": 0, "managers": 1}), weeks=1)
    departments = [c.split(":")[1] for c in result.timeseries.columns
                   if c.startswith("department:") and c.endswith(":aware")]
    assert departments == [str(d) for d in range(12)]


def test_role_panel_only_when_there_are_several_roles():
    only_clinicians = run(small(), weeks=3).timeseries
    assert len(adoption_figure(only_clinicians, "t").axes) == 1
    staff = {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 1,
             "managers": 2, "champions": 4}
    with_champions = run(small(staff=staff, champions={}), weeks=3).timeseries
    figure = adoption_figure(with_champions, "t")
    assert [a.get_title() for a in figure.axes] == ["By state", "By role"]


def test_labels_get_the_digits_that_tell_values_apart():
    assert distinct_labels([0.035, 0.04, 0.045], "f", start=2) == ["0.035", "0.040", "0.045"]
    assert distinct_labels([0.0325, 0.0375, 0.05], "g") == ["0.0325", "0.0375", "0.05"]
    assert distinct_labels([0.1, 0.25], "g") == ["0.1", "0.25"]
    runs = pd.DataFrame({"a": np.repeat([0.0325, 0.035, 0.0375], 2),
                         "b": np.tile([1.0, 2.0], 3),
                         "final_enrolled_share": [0.035, 0.04, 0.045, 0.05, 0.055, 0.06]})
    panel = sweep_heatmap_figure(runs, "a", "b", {"final_enrolled_share": "enrolled"}).axes[0]
    assert [t.get_text() for t in panel.get_yticklabels()] == ["0.0325", "0.035", "0.0375"]
    cells = sorted(t.get_text() for t in panel.texts)
    assert cells == ["0.035", "0.040", "0.045", "0.050", "0.055", "0.060"]


def test_sensitivity_names_and_the_interaction_sentence():
    table = pd.DataFrame({"outcome": ["active_share"] * 2,
                          "parameter": ["hybrids.capacity", "hybrids.alignment"],
                          "S1": [0.004, 0.6], "ST": [0.213, 0.62], "rank": [2, 1]})
    result = Sensitivity(method="grid", table=table, index="ST", notes=[])
    note = reading_note(result)
    assert note.endswith("(here hybrids: capacity on active, end: S1 0.004 vs ST 0.213).")
    assert note in format_sensitivity(result)
    figure = sensitivity_figure(result)
    assert figure.axes[0].get_title() == "active, end"
    assert "hybrids: capacity" in [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert any("S1 0.004 vs ST 0.213" in t.get_text() for t in figure.texts)


def test_fans_are_small_multiples_one_panel_per_value():
    weeks = np.arange(5)
    runs = pd.DataFrame({"point": [0, 1, 2], "replicate": [0, 0, 0],
                         "hybrids.alignment": [0.0, 0.5, 1.0]})
    curves = pd.DataFrame([{"point": p, "replicate": 0, "week": w, "enrolled": (p + 1) * w / 20}
                           for p in range(3) for w in weeks])
    figure = sweep_fans_figure(curves, runs, ["hybrids.alignment"])
    titles = [a.get_title() for a in figure.axes if a.get_visible()]
    assert titles == [f"hybrids.alignment = {v}" for v in ("0", "0.5", "1")]
    # each panel: the other values' medians in grey, then its own median
    assert len(figure.axes[1].lines) == 3 + 1
