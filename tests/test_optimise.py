"""`campaignsim optimise`: CELF against plain greedy (a coverage function by hand, and the
model), the submodularity measure, centralities by hand, disjoint seed streams, budget
feasibility and pricing, determinism across executors, bad input, and choice.toml run by
`campaignsim run`.

Hospitals are tiny (60 clinicians, 20 weeks) and searches short (k = 3 of 8 candidates,
3–4 seeds), so the file runs in about a minute on a loaded machine.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from campaignsim import cli
from campaignsim.optimise.champions import (celf, diffusion_centrality, hybrids_picks,
                                            plain_greedy, submodularity_violations)
from campaignsim.optimise.evaluate import _stream_seeds, held_out_seeds, search_seeds
from campaignsim.optimise.levers import pareto_front, price_strategy
from campaignsim.optimise.plan import lever_cost, plan_optimise
from campaignsim.runner import run_lean
from campaignsim.scenario import load_scenario
from campaignsim.world import StaffWorld
from conftest import ROOT, write

TINY = """
name = "tiny"
seed = 3
weeks = 20
[staff]
departments = 2
clinicians_per_department = 30
hybrids_per_department = 1
managers = 1
within_department_density = 0.15
between_department_density = 0.01
[broadcast]
intensity = 0.01
[champions]
capacity = 3
persuasion = 0.3
[peer]
rule = "cascade"
q = 0.05
"""

CHAMPIONS = TINY + """
[optimise]
objective = "final_enrolled_share"
search_replications = 4
held_out_replications = 4
[optimise.champions]
k = 3
candidates = 8
plain_greedy = true
"""

LEVERS = TINY.replace("[champions]", "[champions]\nenabled = false") + """
[optimise]
search_replications = 3
held_out_replications = 4
[optimise.levers]
budget = 3
trials = 8
compare = []
[optimise.levers.levers]
"broadcast.intensity" = { low = 0.01, high = 0.05, cost = 100 }
"hybrids.capacity" = { low = 3, high = 8, cost = 1 }
"""


def optimise(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["optimise", *map(str, args), "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- greedy and CELF -------------------------------------------------------------------

#: A coverage function: f(S) = |∪ covered by S|, monotone and submodular.
COVERS = {"a": {1, 2, 3, 4}, "b": {4, 5, 6}, "c": {1, 2}, "d": {6, 7}, "e": {8}, "f": {3, 7}}


def coverage(calls: list):
    def value(sets):
        calls.append(len(sets))
        return [float(len(set().union(*(COVERS[x] for x in s)))) for s in sets]
    return value


def test_celf_chooses_plain_greedy_set_with_fewer_evaluations_on_coverage():
    plain_calls, lazy_calls = [], []
    plain = plain_greedy(coverage(plain_calls), list(COVERS), 3)
    lazy = celf(coverage(lazy_calls), list(COVERS), 3)
    # by hand: a covers 4; then b adds {5, 6} (2, before d's {6, 7}: listed first); then
    # d adds {7} and e adds {8}, tied at 1: d is listed first
    assert plain.chosen == lazy.chosen == ["a", "b", "d"]
    assert plain.values == lazy.values == [4.0, 6.0, 7.0]
    assert plain.evaluations == sum(plain_calls) == 1 + 6 + 5 + 4
    assert lazy.evaluations == sum(lazy_calls) < plain.evaluations


def test_celf_chooses_plain_greedy_set_on_the_model(tmp_path):
    from campaignsim.optimise.choose import ChampionSets, search_value
    from campaignsim.optimise.evaluate import Evaluator, Pool
    from campaignsim.optimise.champions import prescreen

    plan = plan_optimise(write(tmp_path / "tiny.toml", CHAMPIONS))
    world = StaffWorld.build(plan.base_scenario.staff, plan.scenario.seed)
    sets = ChampionSets(plan, world)
    evaluator = Evaluator(Pool(1), plan.spec.objective, [])
    seeds = search_seeds(1, 4)
    candidates = prescreen(world, "degree", 8)
    lazy = celf(search_value(plan, sets, evaluator, seeds, "celf"), candidates, 3)
    plain = plain_greedy(search_value(plan, sets, evaluator, seeds, "greedy"), candidates, 3)
    assert lazy.chosen == plain.chosen
    assert lazy.values == plain.values
    assert lazy.evaluations < plain.evaluations == 1 + 8 + 7 + 6
    # the champions help here: each choice raises the sample-average enrolment
    assert np.all(np.diff(lazy.values) > 0)


def test_submodularity_measure_counts_violations():
    rng = np.random.default_rng(0)
    calls: list = []
    assert submodularity_violations(coverage(calls), list(COVERS), 50, rng)["violations"] == 0

    def supermodular(sets):   # f(S) = |S|²: every gain grows with the set
        return [float(len(s) ** 2) for s in sets]
    measured = submodularity_violations(supermodular, list(COVERS), 50, rng)
    assert measured["share"] == 1.0 and measured["violations"] == 50
    assert all(large > small for small, large in measured["gains"])


def test_diffusion_centrality_and_hybrids_picks_by_hand(tmp_path):
    # a path 0-1-2 and an isolated 3: with q = 1, two periods: A1 + A²1
    path = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]],
                                  float))
    assert diffusion_centrality(path, periods=2, q=1.0).tolist() == [3.0, 4.0, 3.0, 0.0]
    world = StaffWorld.build(load_scenario(write(tmp_path / "tiny.toml", TINY)).staff, 3)
    picks = hybrids_picks(world)
    assert sorted(picks) == list(range(60))          # every clinician, once
    department = world.department
    assert department[picks[0]] != department[picks[1]]   # departments take turns
    inside = np.array([(department[world.adjacency[i].indices] == department[i]).sum()
                       for i in range(60)])
    for code in (0, 1):
        first = next(p for p in picks if department[p] == code)
        assert inside[first] == inside[department == code].max()


# --- seeds, budget, pricing -------------------------------------------------------------

def test_held_out_seeds_never_equal_search_seeds():
    search = search_seeds(5, 50)
    held = held_out_seeds(5, 50, search)
    assert len(set(held)) == 50 and not set(held) & set(search)
    # a collision is skipped: avoid the stream's own first two seeds
    first = _stream_seeds(5, 12, 3)
    assert _stream_seeds(5, 12, 2, avoid=set(first[:2])) == _stream_seeds(5, 12, 4)[2:]


def test_levers_stay_within_budget_and_pricing_by_hand(tmp_path, capsys):
    file = write(tmp_path / "levers.toml", LEVERS)
    plan = plan_optimise(file)
    # cost = 100 × |0.03 − 0.01| + 1 × |5 − 3| = 4
    assert lever_cost(plan, {"broadcast.intensity": 0.03, "hybrids.capacity": 5}) == \
        pytest.approx(4.0)
    cost, changed, unpriced, values = price_strategy(plan, plan.scenario_with(
        {"broadcast.intensity": 0.02, "hybrids.capacity": 4}).to_dict())
    assert cost == pytest.approx(100 * 0.01 + 1 * 1) and not unpriced
    assert values == {"broadcast.intensity": 0.02, "hybrids.capacity": 4}
    cost, changed, unpriced, values = price_strategy(plan, plan.scenario_with(
        {"peer.q": 0.2}).to_dict())
    assert cost is None and unpriced == ["peer.q"]
    code, out, err = optimise(capsys, file, "--workers", 1, "--out", tmp_path / "out")
    assert code == 0, err
    runs = pd.read_parquet(tmp_path / "out" / "evaluations.parquet")
    search = runs[runs["phase"] == "search"]
    assert len(search) and (search["cost"] <= 3 + 1e-9).all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["result"]["chosen"]["cost"] <= 3
    proposed = search["k"].nunique() + manifest["result"]["infeasible"]
    assert proposed == 8   # every trial: simulated within the budget, or refused unrun


def test_pareto_front_keeps_undominated_mixes():
    trials = [{"outcome": 0.5, "cost": 1, "trial": 0}, {"outcome": 0.4, "cost": 2, "trial": 1},
              {"outcome": 0.6, "cost": 3, "trial": 2}, {"outcome": 0.6, "cost": 4, "trial": 3}]
    assert [t["trial"] for t in pareto_front(trials, True)] == [0, 2]
    assert [t["trial"] for t in pareto_front(trials, False)] == [0, 1]


# --- the command: determinism, choice.toml, bad input ------------------------------------

def test_champions_deterministic_across_workers_and_dask_and_choice_runs(tmp_path, capsys):
    file = write(tmp_path / "tiny.toml", CHAMPIONS)
    outputs = {}
    for name, flags in (("one", ["--workers", 1]), ("again", ["--workers", 1]),
                        ("two", ["--workers", 2]),
                        ("dask", ["--workers", 2, "--executor", "dask"])):
        code, out, err = optimise(capsys, file, *flags, "--out", tmp_path / name)
        assert code == 0, err
        outputs[name] = pd.read_parquet(tmp_path / name / "evaluations.parquet")
    for name in ("again", "two", "dask"):
        pd.testing.assert_frame_equal(outputs[name], outputs["one"])
        assert (tmp_path / name / "choice.toml").read_text().split("\n", 1)[1] == \
            (tmp_path / "one" / "choice.toml").read_text().split("\n", 1)[1]
    runs = outputs["one"]
    assert not set(runs[runs["phase"] == "held_out"]["seed"]) & \
        set(runs[runs["phase"] == "search"]["seed"])
    # choice.toml runs, names the chosen champions, and reproduces a held-out evaluation
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    chosen = manifest["result"]["chosen"]
    choice = load_scenario(tmp_path / "one" / "choice.toml")
    assert choice.champions.nodes == chosen and len(chosen) == 3
    row = runs[(runs["phase"] == "held_out") & (runs["champions"] == " ".join(map(str, chosen)))]
    seed = int(row["seed"].iloc[0])
    result = run_lean(choice, seed)
    assert result.summary["final_enrolled_share"] == row["final_enrolled_share"].iloc[0]
    assert {result.model.population.nodes[i] for i in
            np.flatnonzero(result.model.population.champion)} == set(chosen)
    assert cli.main(["run", str(tmp_path / "one" / "choice.toml"), "--out",
                     str(tmp_path / "run")]) == 0
    # and `campaignsim report` renders the folder: the held-out tables and both figures
    assert cli.main(["report", str(tmp_path / "one")]) == 0
    page = (tmp_path / "one" / "report.html").read_text()
    assert "Greedy minus each heuristic" in page and page.count("data:image/png") == 2
    assert "<th>greedy score</th>" not in page   # one parameter set: no robust score column


@pytest.mark.parametrize("change, field, allowed", [
    (("k = 3", "k = 61"), "optimise.champions.k", "allowed: 1 … 60"),
    (("objective = \"final_enrolled_share\"", "objective = \"happiness\""),
     "optimise.objective", "allowed: final_enrolled_share"),
])
def test_bad_champion_searches_exit_2(tmp_path, capsys, change, field, allowed):
    file = write(tmp_path / "bad.toml", CHAMPIONS.replace(*change))
    code, out, err = optimise(capsys, file, "--out", tmp_path / "out")
    assert code == 2 and field in err and allowed in err and str(file) in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("change, field, allowed", [
    (("budget = 3", "budget = 0"), "optimise.levers.budget", "allowed: a budget above"),
    (("cost = 100", "cost = -5"), "cost", "greater than or equal to 0"),
    (("\"hybrids.capacity\"", "\"hybrids.capacty\""), "hybrids.capacty", "allowed:"),
    (("\"hybrids.capacity\" = { low = 3", "\"hybrids.capacity\" = { low = 9, base = 2"
      ), "hybrids.capacity", "low (9) must be below high"),
])
def test_bad_lever_searches_exit_2(tmp_path, capsys, change, field, allowed):
    file = write(tmp_path / "bad.toml", LEVERS.replace(*change))
    code, out, err = optimise(capsys, file, "--out", tmp_path / "out")
    assert code == 2 and field in err and allowed in err and str(file) in err
    assert "Traceback" not in err


def test_budget_below_the_cheapest_mix_exit_2(tmp_path, capsys):
    # hybrids.capacity's base (2) lies below its range: reaching 3 costs 1 × 1 at least
    file = write(tmp_path / "bad.toml", LEVERS.replace(
        "low = 3, high = 8, cost = 1", "low = 3, high = 8, cost = 5, base = 2"))
    code, out, err = optimise(capsys, file, "--out", tmp_path / "out")
    assert code == 2 and "optimise.levers.budget" in err and "cheapest option costs 5" in err


@pytest.mark.parametrize("nodes, field, allowed", [
    ("[1, 999]", "champions.nodes", "not clinicians of the staff graph: [999]"),
    ("[1, 2, 1]", "champions.nodes", "listed more than once: 1"),
    (str(list(range(61))), "champions.nodes", "allowed: at most 60"),
])
def test_named_champions_checked(tmp_path, capsys, nodes, field, allowed):
    file = write(tmp_path / "named.toml", TINY.replace("[champions]",
                                                      f"[champions]\nnodes = {nodes}"))
    code = cli.main(["run", str(file), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and field in err and allowed in err, err


def test_a_full_disk_at_the_end_is_exit_1_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    from campaignsim import results_io

    real = results_io.os.replace

    def full_at_manifest(source, target):
        if str(target).endswith("manifest.json"):
            raise OSError(28, "No space left on device", str(target))
        return real(source, target)

    monkeypatch.setattr(results_io.os, "replace", full_at_manifest)
    file = write(tmp_path / "levers.toml", LEVERS)
    code, out, err = optimise(capsys, file, "--workers", 1, "--out", tmp_path / "out")
    assert code == 1 and "disk is full" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()   # choice.toml, the parquet, the figure: removed


def test_bundled_examples_plan_and_run_alone():
    from campaignsim.checks import check_scenario

    for name in ("champions", "levers"):
        plan = plan_optimise(ROOT / "scenarios" / "optimise" / f"{name}.toml")
        assert plan.mode == name
        check_scenario(plan.scenario)   # the file itself is a runnable scenario too


def test_a_candidate_over_draws_runs_each_draw_as_alone(tmp_path):
    from campaignsim.optimise.evaluate import Evaluator, Pool

    plan = plan_optimise(write(tmp_path / "levers.toml", LEVERS))
    seeds = search_seeds(2, 3)
    evaluator = Evaluator(Pool(1), "final_enrolled_share", [])
    alone = [evaluator.evaluate([[plan.scenario_with(draw)]], seeds, "search", [{}])[0, 0]
             for draw in ({}, {"broadcast.intensity": 0.05})]
    assert not np.array_equal(alone[0], alone[1])   # the draws differ
    plan.draws = [{}, {"broadcast.intensity": 0.05}]
    both = evaluator.evaluate([plan.candidate({})], seeds, "search", [{}])[0]
    np.testing.assert_array_equal(both, np.vstack(alone))   # (draws, seeds), CRN per draw
    assert sorted({r["draw"] for r in evaluator.records[-6:]}) == [0, 1]
    # a candidate's own change wins over a draw's setting of the same field
    assert {s.broadcast.intensity for s in plan.candidate({"broadcast.intensity": 0.03})} == \
        {0.03}
    # and so does a strategy's own setting (where it differs from the base); else the draw
    strategy = plan.scenario_with({"broadcast.intensity": 0.02}).to_dict()
    assert [s.broadcast.intensity for s in plan.candidate({}, strategy)] == [0.02, 0.02]
    assert [s.broadcast.intensity for s in plan.candidate({}, plan.base)] == [0.01, 0.05]
