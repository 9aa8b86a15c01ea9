"""The Mesa model: agents, synchronous peer spread, channel hazards against theory,
mechanisms (hybrids, erosion, mandate, champions, leaving), bookkeeping and determinism."""

from __future__ import annotations

from collections import Counter

import mesa
import numpy as np
import pandas as pd
import pytest

from campaignsim import CampaignModel, load_scenario, run
from campaignsim.agents import AWARE, ENROLLED, UNAWARE, Clinician, HybridLeader, Manager
from campaignsim.scenario import CHANNELS, STATES, ScenarioError
from conftest import BASELINE, binomial_se, scenario, staff, write

CODE = {name: code for code, name in enumerate(CHANNELS)}


def _replicate(s, seeds) -> np.ndarray:
    """Enrolled share (enrolled + active) by week, one row per seed."""
    return np.array([run(s, seed=seed).timeseries["enrolled_share"].to_numpy() for seed in seeds])


def _assert_follows(curve: np.ndarray, expected: np.ndarray, trials: int) -> None:
    """Each week's mean share within 4 binomial standard errors of the theory.

    Clinicians draw independently, so the enrolled count pooled over all replications
    is Binomial(trials, F(t)) and the mean share has standard error sqrt(F(1 − F)/trials).
    With ~20 weeks at 4 SE the chance of a false alarm is about 20 × 6e-5 ≈ 1e-3 (and
    the seeds are fixed, so the outcome is reproducible). The 1e-9 keeps exact 0/1 cases.
    """
    se = np.sqrt(expected * (1 - expected) / trials)
    assert np.all(np.abs(curve - expected) <= 4 * se + 1e-9), np.c_[curve, expected, se]


# --- the Mesa model and its agents ----------------------------------------------------


def test_baseline_agents_in_the_numbers_asked_for():
    s = load_scenario(BASELINE)
    model = CampaignModel(s, seed=7)
    assert isinstance(model, mesa.Model)
    counts = Counter(type(agent) for agent in model.agents)
    assert counts == {Clinician: 1040, HybridLeader: 24, Manager: 6}
    assert len(model.agents_by_type[Clinician]) == 1040
    assert sum(a.lead for a in model.agents_by_type[Manager]) == 1
    # each hybrid belongs to one of the 12 departments, two each
    assert Counter(h.department for h in model.agents_by_type[HybridLeader]) == \
        {d: 2 for d in range(12)}
    # clinicians are views on the model's arrays
    assert len(model.population) == 1040
    assert {a.state for a in model.agents_by_type[Clinician]} == {"unaware"}


def test_run_returns_a_mesa_model_and_timeseries():
    s = scenario(weeks=6, staff=staff(20, managers=2, hybrids_per_department=1),
                 broadcast={"intensity": 0.2})
    result = run(s, seed=1)
    assert isinstance(result.model, mesa.Model)
    assert result.model.steps == 6 and result.model.running is False
    assert list(result.timeseries["week"]) == list(range(7))
    for state in STATES:
        assert state in result.timeseries.columns
    # the DataCollector sees the same counts as the time series
    collected = result.model.datacollector.get_model_vars_dataframe()
    assert collected[list(STATES)].to_numpy().tolist() == \
        result.timeseries[list(STATES)].to_numpy().tolist()


def test_datacollector_made_late_holds_what_one_collecting_from_the_start_holds():
    """The DataCollector is made on first access (a run that never reads it pays nothing)
    and given the weeks recorded so far: read before week 0's step, after week 3 or at the
    end, it holds the same columns, values and (Mesa 3.5) collection times."""
    s = scenario(weeks=8, staff=staff(40, managers=1, hybrids_per_department=1),
                 broadcast={"intensity": 0.3})
    collectors = []
    for read_at in (0, 3, 8):
        model = CampaignModel(s, seed=4, clinician_agents=False)
        while model.running:
            if model.steps == read_at:
                collector = model.datacollector
            model.step()
        if read_at == model.steps:
            collector = model.datacollector
        collectors.append(model.datacollector)
        assert model.datacollector is collector  # one collector, collecting from then on
    frames = [c.get_model_vars_dataframe() for c in collectors]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert frames[0]["unaware"].tolist() == collectors[0].model_vars["unaware"]
    assert frames[0]["unaware"].iloc[-1] < 40 and len(frames[0]) == 9  # weeks 0 … 8
    times = [getattr(c, "_collection_steps", None) for c in collectors]
    assert times[1] == times[0] and times[2] == times[0]
    assert CampaignModel(s, seed=4, collect=False).datacollector is None


def test_clinician_agents_read_the_arrays():
    s = scenario(weeks=4, staff=staff(30, managers=1), broadcast={"intensity": 0.4},
                 clinicians={"trust_in_management": 1.0})
    model = CampaignModel(s, seed=2)  # `run` builds no clinician agents: a user's model has
    while model.running:
        model.step()
    population = model.population
    assert len(model.agents_by_type[Clinician]) == 30
    for agent in model.agents_by_type[Clinician]:
        i = agent.index
        assert agent.node == population.nodes[i]
        assert agent.state == STATES[population.state[i]]
        assert agent.trust_in_management == 1.0
        if population.state[i] == ENROLLED:
            assert agent.channel == "broadcast" and agent.enrolled_week in range(1, 5)
            assert agent.ownership == 0.3
        else:
            assert agent.channel is None and agent.enrolled_week is None


# --- peer spread on a path: synchronous update -------------------------------------------


def _path_scenario(tmp_path, rule: dict, weeks: int = 10, seeds="[0]"):
    write(tmp_path / "edges.csv", "source,target\n0,1\n1,2\n2,3\n3,4\n")
    write(tmp_path / "nodes.csv", "id,role\n0,\n1,\n2,\n3,\n4,\n5,\n")
    rule_lines = "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                           for k, v in rule.items()).replace("'", '"')
    path = write(tmp_path / "path.toml", f"""
        weeks = {weeks}
        [staff]
        graph = "edges.csv"
        nodes = "nodes.csv"
        [seeding]
        nodes = {seeds}
        [peer]
        {rule_lines}
    """.replace("\n        ", "\n"))
    return load_scenario(path)


@pytest.mark.parametrize("rule", [
    {"rule": "threshold", "threshold": 0.5},
    {"rule": "cascade", "q": 1.0},
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_path_graph_node_k_enrols_at_step_k(tmp_path, rule, seed):
    """0-1-2-3-4 plus isolated 5, seed 0. Node k has enrolled share ≥ 0.5 among its
    neighbours only once node k − 1 enrolled the week before: enrolment at week k
    exactly (a sequential update would let it run ahead within one week)."""
    s = _path_scenario(tmp_path, rule)
    result = run(s, seed=seed)
    population = result.model.population
    week = dict(zip(population.nodes, population.enrolled_week.tolist()))
    assert week == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: -1}
    ts = result.timeseries
    assert ts["enrolled"].tolist() == [1, 2, 3, 4, 5] + [5] * 6
    assert ts["channel:peer"].tolist() == [0, 1, 2, 3, 4] + [4] * 6
    assert ts["channel:seed"].tolist() == [1] * 11
    # the isolated node never hears of it
    assert population.state[population.nodes.index(5)] == UNAWARE
    assert result.enrolled_nodes() == {0, 1, 2, 3, 4}


def test_path_graph_threshold_above_half_stalls(tmp_path):
    """Threshold 0.6: node 1 sees 1/2 < 0.6 and never enrols, so nothing spreads
    (node 4, with one neighbour, would need node 3)."""
    result = run(_path_scenario(tmp_path, {"rule": "threshold", "threshold": 0.6}), seed=0)
    assert result.enrolled_nodes() == {0}
    assert result.timeseries["enrolled"].tolist() == [1] * 11


def test_seed_node_not_in_the_graph(tmp_path):
    s = _path_scenario(tmp_path, {"rule": "threshold", "threshold": 0.5}, seeds="[0, 42]")
    with pytest.raises(ScenarioError) as caught:
        CampaignModel(s, seed=0)
    assert caught.value.field == "seeding.nodes" and "42" in str(caught.value)


# --- nothing on ------------------------------------------------------------------------


def test_nothing_on_nobody_enrols_and_all_stay_unaware():
    s = scenario(weeks=12, staff=staff(40, departments=3, managers=2, hybrids_per_department=1,
                                       within_department_density=0.3,
                                       between_department_density=0.05))
    result = run(s, seed=3)
    ts = result.timeseries
    assert (ts["unaware"] == 120).all()
    assert (ts[["aware", "enrolled", "active", "disengaged"]] == 0).all().all()
    assert (ts[[f"channel:{c}" for c in CHANNELS]] == 0).all().all()
    assert result.enrolled_nodes() == set()
    assert result.summary["final_enrolled_share"] == 0 and result.summary["weeks_to_25"] is None


# --- broadcast alone against 1 − (1 − p)^t ----------------------------------------------


@pytest.mark.parametrize("trust", [1.0, 0.5])
def test_broadcast_alone_follows_geometric_curve(trust):
    """Hazard = intensity × resonance × (1 − fatigue); without co-design or shock the
    resonance is the trust in management, without fatigue the last factor is 1. So each
    clinician enrols in week t ≥ 1 with probability h = p·trust, and the enrolled share
    at week t has expectation 1 − (1 − h)^t."""
    p, n, weeks, seeds = 0.05, 200, 20, range(40)
    s = scenario(weeks=weeks, staff=staff(n, managers=1), broadcast={"intensity": p},
                 clinicians={"trust_in_management": trust})
    curve = _replicate(s, seeds).mean(axis=0)
    t = np.arange(weeks + 1)
    _assert_follows(curve, 1 - (1 - p * trust) ** t, n * len(seeds))
    if trust == 1.0:
        # a curve for another p would be caught: at week 20, 1 − 0.95^20 = 0.64 vs
        # 1 − 0.94^20 = 0.71, many standard errors (≈ 0.005) apart
        assert abs(curve[-1] - (1 - 0.94 ** 20)) > 8 * binomial_se(0.64, n * len(seeds))


def test_broadcast_channel_attribution_and_awareness():
    n = 150
    s = scenario(weeks=10, staff=staff(n, managers=1), broadcast={"intensity": 0.1},
                 clinicians={"trust_in_management": 1.0})
    result = run(s, seed=5)
    ts, population = result.timeseries, result.model.population
    enrolled = population.state == ENROLLED
    assert enrolled.sum() > 0
    assert np.all(population.channel[enrolled] == CODE["broadcast"])
    assert np.all(population.channel[~enrolled] == -1)
    assert np.all(population.ownership[enrolled] == 0.3)  # [broadcast] ownership default
    assert ts["channel:broadcast"].tolist() == ts["enrolled"].tolist()
    others = [f"channel:{c}" for c in CHANNELS if c != "broadcast"]
    assert (ts[others] == 0).all().all()
    # everybody hears the broadcast in week 1: nobody is unaware any more
    assert ts["unaware"].tolist() == [n] + [0] * 10
    assert result.summary["hazard_share_enrolments"]["broadcast"] == int(enrolled.sum())
    assert result.summary["hazard_share_of_campaign"]["broadcast"] == 1.0


def test_broadcast_window():
    s = scenario(weeks=10, staff=staff(100, managers=1),
                 broadcast={"intensity": 0.3, "start_week": 3, "end_week": 5},
                 clinicians={"trust_in_management": 1.0})
    result = run(s, seed=0)
    weeks = result.model.population.enrolled_week
    assert set(weeks[weeks >= 0].tolist()) == {3, 4, 5}
    assert result.timeseries["unaware"].tolist()[:3] == [100, 100, 100]


def test_broadcast_needs_a_manager():
    s = scenario(weeks=3, staff=staff(10, managers=0), broadcast={})
    with pytest.raises(ScenarioError) as caught:
        CampaignModel(s, seed=0)
    assert caught.value.field == "staff.managers"


# --- hybrids ------------------------------------------------------------------------------


def test_hybrids_fully_credible_enrol_capacity_per_week():
    """Alignment 1, trust 1 (resonance 1), credibility 1 that never moves: every
    approach enrols. Two hybrids of capacity 3 per department of 30 enrol exactly
    min(6t, 30) clinicians of their department by week t, all through channel hybrid."""
    s = scenario(weeks=7, staff=staff(30, departments=2, hybrids_per_department=2),
                 clinicians={"trust_in_management": 1.0},
                 hybrids={"capacity": 3, "alignment": 1.0, "credibility": 1.0,
                          "credibility_rate": 0.0})
    result = run(s, seed=4)
    ts = result.timeseries
    for d in (0, 1):
        assert ts[f"department:{d}:enrolled"].tolist() == [min(6 * t, 30) for t in range(8)]
    assert ts["channel:hybrid"].tolist() == [min(12 * t, 60) for t in range(8)]
    assert ts["enrolled"].tolist() == ts["channel:hybrid"].tolist()
    assert np.all(result.model.population.channel == CODE["hybrid"])
    # ownership at full alignment is ownership_base (0.3)
    assert np.allclose(result.model.population.ownership, 0.3)


def test_hybrid_approaches_respect_capacity_and_aware_first():
    """Step by step: each hybrid approaches at most `capacity` clinicians; together the
    hybrids of a department approach exactly min(h·c, eligible) of its not-yet-enrolled
    clinicians, the aware before the unaware, and only approached clinicians enrol —
    all through channel hybrid."""
    c, per_department = 4, 3
    s = scenario(weeks=15, staff=staff(40, departments=2, hybrids_per_department=per_department),
                 hybrids={"capacity": c, "credibility": 0.3})
    model = CampaignModel(s, seed=8)
    population = model.population
    hybrids = model.agents_by_type[HybridLeader]
    assert len(hybrids) == 2 * per_department
    approached_total = 0
    while model.running:
        before = population.state.copy()
        model.step()
        touched = model.approaches.hybrid_touched
        for hybrid in hybrids:
            assert 0 <= hybrid.approached_last_week <= c
        for d, members in enumerate(model.department_members):
            eligible = before[members] <= AWARE
            approached = sum(h.approached_last_week for h in hybrids if h.department == d)
            assert approached == min(per_department * c, int(eligible.sum()))
            assert int(touched[members].sum()) == approached
            assert not np.any(touched[members] & ~eligible)
            aware = before[members] == AWARE
            assert int((touched[members] & aware).sum()) == min(approached, int(aware.sum()))
            approached_total += approached
        new = (before <= AWARE) & (population.state == ENROLLED)
        assert not np.any(new & ~touched)
        # touched but not enrolled: now aware
        assert np.all(population.state[touched & ~new] == AWARE)
    assert approached_total > 0
    enrolled = population.state == ENROLLED
    assert enrolled.sum() > 0 and np.all(population.channel[enrolled] == CODE["hybrid"])
    counts = model.records.channel_counts[-1]
    assert counts[CODE["hybrid"]] == counts.sum() == enrolled.sum()


@pytest.mark.parametrize("share, leaving", [(0.25, 2), (0.3, 2), (0.5, 4), (1.0, 8)])
def test_hybrids_leave_in_leave_week(share, leaving):
    s = scenario(weeks=6, staff=staff(10, departments=4, hybrids_per_department=2),
                 hybrids={"leave_week": 3, "leave_share": share})
    result = run(s, seed=1)
    assert result.timeseries["hybrids"].tolist() == [8, 8, 8] + [8 - leaving] * 4
    assert len(result.model.agents_by_type.get(HybridLeader, [])) == 8 - leaving
    assert result.summary["hybrids_present"] == 8 - leaving


# --- erosion, activation, mandate, champions --------------------------------------------


@pytest.mark.parametrize("peer, ownership", [(None, 0.6), ({"ownership": 0.0}, 0.0),
                                             ({"ownership": 0.8}, 0.8)])
def test_erosion_alone_decays_geometrically(peer, ownership):
    """All clinicians seeded (share 1.0); seeds take [peer] ownership (0.6 when there is
    no [peer] table). Erosion hazard = rate × (1 − ownership) × (1 + fatigue) with no
    fatigue, disengagement is absorbing (recovery 0) and the graph has no ties (so peer
    influence cannot re-enrol anyone): enrolled share = (1 − rate·(1 − o))^t."""
    rate, n, weeks, seeds = 0.25, 200, 15, range(20)
    tables = {"erosion": {"rate": rate}}
    if peer is not None:
        tables["peer"] = peer
    s = scenario(weeks=weeks, staff=staff(n), seeding={"share": 1.0}, **tables)
    curve = _replicate(s, seeds).mean(axis=0)
    t = np.arange(weeks + 1)
    _assert_follows(curve, (1 - rate * (1 - ownership)) ** t, n * len(seeds))
    result = run(s, seed=0)
    ts = result.timeseries
    assert (ts["enrolled"] + ts["disengaged"] == n).all()
    assert np.allclose(result.model.population.ownership, ownership)


def test_activation_rate_times_ownership():
    """Seeds (ownership 0.6) activate with probability rate × ownership = 0.3 a week:
    active share = 1 − 0.7^t; enrolled share (enrolled + active) stays 1."""
    n, weeks, seeds = 200, 8, range(10)
    s = scenario(weeks=weeks, staff=staff(n), seeding={"share": 1.0}, activation={"rate": 0.5})
    shares = np.array([run(s, seed=k).timeseries["active_share"].to_numpy() for k in seeds])
    _assert_follows(shares.mean(axis=0), 1 - 0.7 ** np.arange(weeks + 1), n * len(seeds))
    assert (run(s, seed=0).timeseries["enrolled_share"] == 1.0).all()


def test_mandate_backlash_sends_the_distrustful_to_disengaged():
    """Week 1 with mandate pressure π, backlash b and trust 0: P(enrol) = π and
    P(disengage) = (1 − π)·π·b·(1 − trust). Counts are multinomial; 4 SD each."""
    n, pressure, backlash = 2000, 0.2, 1.0
    s = scenario(weeks=1, staff=staff(n, managers=1), clinicians={"trust_in_management": 0.0},
                 mandate={"pressure": pressure, "backlash": backlash})
    result = run(s, seed=12)
    row = result.timeseries.iloc[1]
    p_disengage = (1 - pressure) * pressure * backlash
    sd_disengaged = np.sqrt(n * p_disengage * (1 - p_disengage))
    assert abs(row["disengaged"] - n * p_disengage) < 4 * sd_disengaged
    assert abs(row["enrolled"] - n * pressure) < 4 * np.sqrt(n * pressure * (1 - pressure))
    assert row["channel:mandate"] == row["enrolled"]
    enrolled = result.model.population.state == ENROLLED
    assert np.allclose(result.model.population.ownership[enrolled], 0.1)  # compliance
    assert row["aware"] + row["enrolled"] + row["disengaged"] == n


def test_mandate_without_distrust_has_no_backlash():
    s = scenario(weeks=8, staff=staff(300, managers=1), clinicians={"trust_in_management": 1.0},
                 mandate={"pressure": 0.2, "backlash": 1.0})
    ts = run(s, seed=1).timeseries
    assert (ts["disengaged"] == 0).all() and ts["enrolled"].iloc[-1] > 0


def test_champions_start_enrolled_through_channel_seed():
    s = scenario(weeks=3, staff=staff(60, within_department_density=0.2, champions=5),
                 champions={"rule": "degree", "ownership": 0.8})
    model = CampaignModel(s, seed=6)
    population = model.population
    champions = np.flatnonzero(population.champion)
    assert len(champions) == 5
    assert np.all(population.state[champions] == ENROLLED)
    assert np.all(population.channel[champions] == CODE["seed"])
    assert np.all(population.enrolled_week[champions] == 0)
    assert np.allclose(population.ownership[champions], 0.8)
    assert {model.graph.nodes[population.nodes[i]]["role"] for i in champions} == {"champion"}
    assert Counter(a.role for a in model.agents_by_type[Clinician]) == {"champion": 5,
                                                                         "clinician": 55}
    # rule = degree: no non-champion has a higher degree than the least connected champion
    degree = np.diff(population.adjacency.indptr)
    assert degree[~population.champion].max() <= degree[champions].min()
    ts = model.records.timeseries()
    assert ts.loc[0, "role:champion:enrolled"] == 5 and ts.loc[0, "channel:seed"] == 5
    assert ts.loc[0, "role:clinician:unaware"] == 55


def test_formal_champion_approaches_capacity_neighbours(tmp_path):
    """A formal champion at the centre of a star of 6, capacity 2, persuasion 1: two
    neighbours enrol each week through channel champion, so 1 + min(2t, 6) enrolled."""
    write(tmp_path / "e.csv", "source,target\n" + "".join(f"0,{i}\n" for i in range(1, 7)))
    write(tmp_path / "n.csv", "id,role\n0,champion\n" + "".join(f"{i},\n" for i in range(1, 7)))
    path = write(tmp_path / "s.toml", """
        weeks = 5
        [staff]
        graph = "e.csv"
        nodes = "n.csv"
        [champions]
        rule = "formal"
        capacity = 2
        persuasion = 1.0
    """)
    result = run(load_scenario(path), seed=0)
    ts = result.timeseries
    assert ts["enrolled"].tolist() == [1 + min(2 * t, 6) for t in range(6)]
    assert ts["channel:champion"].tolist() == [min(2 * t, 6) for t in range(6)]
    assert ts["channel:seed"].tolist() == [1] * 6
    assert np.allclose(result.model.population.ownership[1:], 0.6)  # convert_ownership


def test_champions_on_without_any_is_an_error():
    s = scenario(weeks=2, staff=staff(10, champions=0), champions={})
    with pytest.raises(ScenarioError) as caught:
        CampaignModel(s, seed=0)
    assert caught.value.field == "staff.champions"


# --- bookkeeping and determinism ----------------------------------------------------------


def _rich_scenario(weeks: int = 15):
    return scenario(
        weeks=weeks,
        staff=staff([30, 25, 35], departments=3, hybrids_per_department=1, managers=2,
                    champions=4, within_department_density=0.25, between_department_density=0.02,
                    profession_homophily=0.3),
        clinicians={"trust_in_management": {"distribution": "beta", "a": 2, "b": 2}},
        broadcast={"intensity": 0.03}, events={"weeks": [2, 6], "reach": 0.2},
        mandate={"pressure": 0.05, "start_week": 4}, codesign={"share": 0.3},
        hybrids={"capacity": 2}, champions={"rule": "random"}, peer={"rule": "cascade", "q": 0.05},
        activation={"rate": 0.2}, fatigue={}, erosion={"rate": 0.05, "recovery": 0.05},
        shock={"week": 5})


def test_state_counts_sum_to_clinicians_every_week():
    result = run(_rich_scenario(), seed=3)
    ts, n = result.timeseries, 90
    assert (ts[list(STATES)].sum(axis=1) == n).all()
    assert np.allclose(ts["enrolled_share"], (ts["enrolled"] + ts["active"]) / n)
    for grouping, labels in (("role", ["clinician", "champion"]),
                             ("profession", ["allied", "doctor", "nurse"]),
                             ("department", [0, 1, 2])):
        for state in STATES:
            columns = [f"{grouping}:{label}:{state}" for label in labels]
            assert (ts[columns].sum(axis=1) == ts[state]).all(), (grouping, state)
    assert ts[[f"department:{d}:{s}" for s in STATES for d in (0, 1, 2)]].iloc[0].sum() == n
    assert [ts[[f"department:{d}:{s}" for s in STATES]].iloc[0].sum() for d in (0, 1, 2)] == \
        [30, 25, 35]
    # cumulative enrolments by channel never fall; the mechanisms were all at work
    channels = ts[[f"channel:{c}" for c in CHANNELS]]
    assert (channels.diff().iloc[1:] >= 0).all().all()
    assert ts["disengaged"].max() > 0 and ts["active"].iloc[-1] > 0
    summary = result.summary
    assert summary["clinicians"] == n and summary["weeks"] == 15
    assert summary["final_enrolled_share"] == ts["enrolled_share"].iloc[-1]
    assert summary["hazard_share_enrolments"] == {c: int(ts[f"channel:{c}"].iloc[-1])
                                                for c in CHANNELS}


def test_same_seed_identical_timeseries_different_seed_differs():
    a, b = run(_rich_scenario(), seed=21), run(_rich_scenario(), seed=21)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary == b.summary
    assert a.enrolled_nodes() == b.enrolled_nodes()
    c = run(_rich_scenario(), seed=22)
    assert not a.timeseries.equals(c.timeseries)


def test_scenario_seed_is_the_default_seed():
    s = _rich_scenario().with_overrides(seed=21)
    pd.testing.assert_frame_equal(run(s).timeseries, run(_rich_scenario(), seed=21).timeseries)
    assert run(s).summary["seed"] == 21


def test_weeks_override():
    result = run(_rich_scenario(), seed=1, weeks=4)
    assert result.timeseries["week"].tolist() == [0, 1, 2, 3, 4]
    assert result.model.steps == 4
