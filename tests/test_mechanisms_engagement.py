"""After enrolment (docs/model.md §7.4, §7.11–7.14) in worlds of one to four clinicians
with chosen draws (see worlds.py): activation, ideas, erosion with fatigue, the fatigue
recursion, recovery, hybrids leaving, and the summary. Tests that go through clinicians'
decisions run under both engines.
"""

from __future__ import annotations

import numpy as np
import pytest

from campaignsim.agents import ACTIVE, AWARE, DISENGAGED, ENROLLED
from campaignsim.outcomes import summarise, weeks_to_share
from campaignsim.scenario import CHANNELS, STATES
from worlds import HYBRID, from_graph, generated, run, state
from worlds import engine  # noqa: F401 (the fixture: both engines)


class TestActivationAndIdeas:
    """§7.11–7.12: a = min(r·o, 1) given no erosion; ideas ι·o·(σ + (1 − σ)(1 − ᾱ))."""

    def seeds(self, tables, engine, hybrids=0):
        return generated({"seeding": {"count": 4}, **tables}, n=4, hybrids=hybrids, managers=0,
                         engine=engine)

    def test_activation_band_after_erosion(self, engine):
        # seeds: o = 0.6 (no [peer]); e = 0.5·0.4 = 0.2, a = 0.5·0.6 = 0.3:
        # D for u < 0.2, X for 0.2 ≤ u < 0.2 + 0.8·0.3 = 0.44
        model = run(self.seeds({"erosion": {"rate": 0.5}, "activation": {"rate": 0.5}}, engine),
                    {0: 0.1999, 1: 0.2001, 2: 0.4399, 3: 0.4401})
        assert [state(model, i) for i in range(4)] == [DISENGAGED, ACTIVE, ACTIVE, ENROLLED]

    @pytest.mark.parametrize("alignment, share, ideas", [
        (0.25, 0.0, 0.0225),   # 0.05·0.6·(1 − 0.25) per active clinician
        (0.25, 0.2, 0.024),    # 0.05·0.6·(0.2 + 0.8·0.75)
        (None, 0.2, 0.006),    # no hybrids: ᾱ = 1, openness σ: 0.05·0.6·0.2
    ])
    def test_ideas_from_the_active(self, engine, alignment, share, ideas):
        tables = {"activation": {"rate": 0.5, "ideas_rate": 0.05}}
        if alignment is not None:
            tables["hybrids"] = {**HYBRID, "alignment": alignment}
        if share:
            tables["codesign"] = {"share": share}
        model = run(self.seeds(tables, engine, hybrids=1 if alignment is not None else 0),
                    {0: 0.0}, {}, {})
        # week 1: 0 activates (nobody was active at its start: no ideas yet); weeks 2
        # and 3 add `ideas` each
        assert model.records.ideas[:4].tolist() == pytest.approx([0, 0, ideas, 2 * ideas])


class TestErosionAndFatigue:
    """§7.11, §7.13: e = ε(1 − o)(1 + F) (× 0.5 when active), F' = F(1 − r) + λT;
    recovery D → A with probability `recovery`."""

    TABLES = {"seeding": {"count": 4}, "broadcast": {"intensity": 0.4},
              "fatigue": {"load": 0.5, "recovery": 0.1},
              "erosion": {"rate": 0.5, "active_factor": 0.5, "recovery": 0.3},
              "activation": {"rate": 1.0}}

    def test_erosion_grows_with_fatigue(self, engine):
        model = generated(self.TABLES, n=4, engine=engine)
        # week 1: F = 0: e = 0.5·0.4 = 0.2, a = 0.6: X for 0.2 ≤ u < 0.68
        run(model, {2: 0.5, 3: 0.5})
        assert model.population.fatigue.tolist() == pytest.approx([0.2] * 4)  # 0.5·0.4
        # week 2: e = 0.2·1.2 = 0.24 (enrolled), 0.12 (active)
        run(model, {0: 0.2399, 1: 0.2401, 2: 0.1199, 3: 0.1201})
        assert [state(model, i) for i in range(4)] == [DISENGAGED, ACTIVE, DISENGAGED, ACTIVE]
        run(model, {0: 0.2999, 2: 0.3})  # week 3: recovery iff u < 0.3
        assert [state(model, 0), state(model, 2)] == [AWARE, DISENGAGED]

    def test_fatigue_recursion_and_receptiveness(self, engine):
        tables = {"broadcast": {"intensity": 0.2}, "fatigue": {"load": 0.5, "recovery": 0.1}}
        model = generated(tables, n=2, engine=engine)
        run(model, {})
        # week 2: h = 0.2·0.5·(1 − 0.1) = 0.09
        run(model, {0: 0.0899, 1: 0.0901})
        assert [state(model, 0), state(model, 1)] == [ENROLLED, AWARE]
        run(model, {})
        # by hand: 0.1, 0.1·0.9 + 0.1 = 0.19, 0.19·0.9 + 0.1 = 0.271
        assert model.population.fatigue.tolist() == pytest.approx([0.271, 0.271])


class TestHybridsLeave:
    """§7.4: round(share × present) hybrids leave in leave_week; a department with
    none left has alignment 1 (ideas only through co-design)."""

    @pytest.mark.parametrize("share, left", [(0.5, 2), (0.3, 3), (1.0, 0)])
    def test_how_many_leave(self, share, left):
        hybrids = {**HYBRID, "leave_week": 2, "leave_share": share, "alignment": 0.4}
        model = run(generated({"hybrids": hybrids}, n=2, hybrids=4, managers=0), {}, {}, {})
        # round(0.3·4) = 1 leaves
        assert model.records.hybrids[:4].tolist() == [4, 4, left, left]
        assert model.department_alignment().tolist() == pytest.approx([0.4 if left else 1.0])


def test_agents_carry_their_graph_nodes(tmp_path):
    nodes = {"boss": {"role": "manager"}, "lead": {"role": "hybrid"}, "a": {}}
    model = from_graph(tmp_path, {"hybrids": HYBRID, "broadcast": {}}, [("lead", "a")], nodes)
    assert [m.node for m in model.managers] == ["boss"]
    assert [h.node for h in model.hybrids] == ["lead"] and model.managers[0].lead


def test_hybrid_of_a_department_without_clinicians_does_not_campaign(tmp_path):
    nodes = {"lead": {"role": "hybrid", "department": 5}, "a": {}, "b": {"department": 1}}
    model = run(from_graph(tmp_path, {"hybrids": HYBRID}, [("lead", "a")], nodes), {})
    assert model.hybrids == [] and not model.approaches.hybrid_touched.any()


def test_without_peer_influence_thresholds_are_zero():
    # docs/model.md §5: θ is 0 when there is no [peer] table
    assert generated({}, n=3, managers=0).population.threshold.tolist() == [0.0, 0.0, 0.0]


def test_timeseries_and_weeks_to_share():
    """§7.14 on a hand-made run: 4 clinicians, one hybrid (α = 0.5, γ = 0.8) who enrols 1
    in week 1 and 2 more in week 2 (draws 0); nobody else enrols."""
    model = run(generated({"hybrids": HYBRID}, n=4, hybrids=1, managers=0, weeks=2),
                {0: 0.0}, {1: 0.0, 2: 0.0})
    series = model.records.timeseries()
    assert series["enrolled_share"].tolist() == [0.0, 0.25, 0.75]
    assert series["channel:hybrid"].tolist() == [0, 1, 3]
    # by hand: target 0.9·(1 − 0.5·0.5) = 0.675; 0.8 → 0.7875 → 0.77625
    assert series["hybrid_credibility"].tolist() == pytest.approx([0.8, 0.7875, 0.77625])
    assert series["ideas"].tolist() == [0.0, 0.0, 0.0] and series["hybrids"].tolist() == [1] * 3
    counts = [c for c in series.columns if c.split(":")[-1] in STATES or c.startswith("channel:")]
    assert {series[c].dtype.kind for c in counts + ["hybrids"]} == {"i"}  # counts, not floats
    summary = summarise(model)
    # 0.25 is reached exactly in week 1 (≥, not >); 0.5 and 0.75 in week 2
    assert [summary[f"weeks_to_{p}"] for p in (25, 50, 75)] == [1, 2, 2]
    by_hand = {
        "scenario": model.spec.name, "weeks": 2, "clinicians": 4,
        "final_enrolled_share": 0.75, "active_share": 0.0, "enrolment_engagement_gap": 0.75,
        "disengaged_share": 0.0, "aware_share": 1.0,  # the fourth was approached: aware
        "peak_enrolled_share": 0.75, "enrolments": 3, "campaign_enrolments": 3,
        "mean_ownership_of_enrolled_now": 0.6, "mean_fidelity_of_enrolled_now": 0.5,
        "mean_ownership_at_enrolment": 0.6,  # 0.3 + 0.6·(1 − 0.5); α = 0.5
        "mean_fidelity_at_enrolment": 0.5,
        "ideas": 0.0, "hybrids_present": 1, "mean_hybrid_credibility": 0.77625}
    assert {key: summary[key] for key in by_hand} == pytest.approx(by_hand)
    assert summary["hazard_share_enrolments"]["hybrid"] == 3
    assert summary["enrolments_needing_channel"]["hybrid"] == 3  # the only channel
    assert summary["hazard_share_of_campaign"] == {c: float(c == "hybrid") for c in CHANNELS[1:]}


def test_summary_of_a_campaign_that_enrols_nobody():
    model = run(generated({"broadcast": {}}, n=2, trust=0.0, weeks=1), {})
    summary = summarise(model)
    assert summary["mean_ownership_of_enrolled_now"] is None
    assert summary["mean_fidelity_of_enrolled_now"] is None
    assert summary["mean_ownership_at_enrolment"] is None
    assert set(summary["hazard_share_of_campaign"].values()) == {0.0}
    assert summary["aware_share"] == 1.0 and summary["weeks_to_25"] is None


def test_timeseries_before_the_first_week():
    model = generated({"seeding": {"count": 1}}, n=2, managers=0)
    assert model.records.timeseries()["enrolled_share"].tolist() == [0.5]


def test_weeks_to_share_forgives_rounding_only():
    assert weeks_to_share(np.array([0.0, 0.75 - 1e-15]), 0.75) == 1
    assert weeks_to_share(np.array([0.0, 0.75 - 1e-9]), 0.75) is None


def test_summary_reads_the_world():
    """outcomes.summarise on a hand-made end state of 5: three seeds (o = 0.6, so
    e = 0.5·0.4 = 0.2 and a = 0.6) draw 0.1 (disengage), 0.5 (activate: 0.2 ≤ u <
    0.2 + 0.8·0.6 = 0.68) and 0.9 (stay enrolled); the other two stay unaware."""
    model = generated({"seeding": {"count": 3}, "activation": {"rate": 1.0},
                       "erosion": {"rate": 0.5}}, n=5, managers=0, weeks=1)
    seeds = [int(i) for i in np.flatnonzero(model.population.state == ENROLLED)]
    summary = summarise(run(model, dict(zip(seeds, (0.1, 0.5, 0.9)))))
    by_hand = {"final_enrolled_share": 0.4, "active_share": 0.2,
               "enrolment_engagement_gap": 0.2, "disengaged_share": 0.2,
               "aware_share": 0.6, "peak_enrolled_share": 0.6,
               "mean_ownership_of_enrolled_now": 0.6,
               "campaign_enrolments": 0, "enrolments": 3}
    assert {key: summary[key] for key in by_hand} == pytest.approx(by_hand)
