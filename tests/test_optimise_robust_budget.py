"""`campaignsim optimise`, its two extensions: the robust objective over a posterior's draws
(mean against lower quantile by hand, common draws, determinism, the manifest's sha256
and K, bad input) and champions up to a budget with a cost per profession (budgeted CELF
by hand, the budget never exceeded by any method, bad input).

The hospital and helpers are test_optimise.py's (60 clinicians, 20 weeks).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from campaignsim import cli
from campaignsim.optimise.champions import celf, plain_greedy
from campaignsim.optimise.plan import plan_optimise
from conftest import write
from test_optimise import CHAMPIONS, COVERS, TINY, coverage, optimise


# --- the robust objective over posterior draws --------------------------------------------

def test_mean_and_quantile_over_draws_choose_differently_by_hand():
    from types import SimpleNamespace

    from campaignsim.optimise.evaluate import score

    # per-draw outcomes (one seed each): a wins in draw 0 and loses in draw 1, b is steady
    table = {(): [0.2, 0.2], ("a",): [0.6, 0.1], ("b",): [0.3, 0.3]}

    def choose(robust: str, direction: str = "maximise"):
        spec = SimpleNamespace(robust=robust, quantile=0.1, direction=direction)
        sign = 1 if direction == "maximise" else -1
        return celf(lambda sets: (sign * score(np.array([[[v] for v in table[s]] for s in sets]),
                                               spec)).tolist(), ["a", "b"], 1)
    # mean: a 0.35 > b 0.30; 0.1 quantile: a 0.1 + 0.1 × (0.6 − 0.1) = 0.15 < b 0.30
    assert choose("mean").chosen == ["a"] and choose("mean").values == pytest.approx([0.35])
    assert choose("quantile").chosen == ["b"]
    # minimising, the bad tail is the upper one: a's 0.9 quantile is 0.1 + 0.9 × 0.5 = 0.55
    spec = SimpleNamespace(robust="quantile", quantile=0.1, direction="minimise")
    assert score(np.array([[[0.6], [0.1]]]), spec) == pytest.approx([0.55])
    assert choose("quantile", "minimise").chosen == ["b"]


ROBUST = """
extends = "world.toml"
name = "robust"
[champions]
persuasion = 0.25
[optimise]
objective = "final_enrolled_share"
search_replications = 3
held_out_replications = 3
posterior = "posterior.csv"
draws = 3
robust = "quantile"
quantile = 0.2
[optimise.champions]
k = 2
candidates = 4
"""

#: Four particles, from little broadcasting to much; they also set champions.persuasion,
#: which the optimise file sets itself (so the file's value wins).
POSTERIOR = """
broadcast.intensity,champions.persuasion,weight
0.001,0.9,0.25
0.003,0.9,0.25
0.006,0.9,0.25
0.01,0.9,0.25
"""


def test_robust_champions_use_common_draws_deterministically(tmp_path, capsys):
    import hashlib

    write(tmp_path / "world.toml", TINY)
    posterior = write(tmp_path / "posterior.csv", POSTERIOR)
    file = write(tmp_path / "robust.toml", ROBUST)
    plan = plan_optimise(file)
    plan.use_draws(4)   # seed 4 draws three distinct worlds
    scenarios = plan.candidate({})
    assert len(scenarios) == 3 and {s.champions.persuasion for s in scenarios} == {0.25}
    assert {s.broadcast.intensity for s in scenarios} <= {0.001, 0.003, 0.006, 0.01}
    assert [s.broadcast.intensity for s in scenarios] == \
        [d["broadcast.intensity"] for d in plan.parameter_sets]
    runs = {}
    for name, workers in (("one", 1), ("two", 2)):
        code, out, err = optimise(capsys, file, "--workers", workers, "--seed", 4,
                                  "--out", tmp_path / name)
        assert code == 0, err
        runs[name] = pd.read_parquet(tmp_path / name / "evaluations.parquet")
    pd.testing.assert_frame_equal(runs["one"], runs["two"])
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert manifest["posterior"]["sha256"] == hashlib.sha256(posterior.read_bytes()).hexdigest()
    assert manifest["posterior"]["draws"] == 3 and manifest["posterior"]["quantile"] == 0.2
    evaluations = runs["one"]
    # every run of search and held-out check on the same three draws
    for phase in ("search", "held_out"):
        assert sorted(evaluations[evaluations["phase"] == phase]["draw"].unique()) == [0, 1, 2]
    # the search scored the first champion by hand: the 0.2 quantile of its per-draw means
    first = manifest["result"]["chosen"][0]
    own = evaluations[(evaluations["phase"] == "search") & (evaluations["champions"] ==
                                                            str(first))]
    per_draw = own.groupby("draw")["final_enrolled_share"].mean().to_numpy()
    assert len(set(per_draw)) == 3   # distinct worlds: the quantile is not the mean or median
    assert manifest["result"]["search_values"][0] == pytest.approx(np.quantile(per_draw, 0.2))
    # the report shows that score beside each held-out outcome: greedy's two champions,
    # the 0.2 quantile of their per-draw held-out means, computed here from the runs
    assert cli.main(["report", str(tmp_path / "one")]) == 0
    page = (tmp_path / "one" / "report.html").read_text()
    held = evaluations[(evaluations["phase"] == "held_out") & (evaluations["champions"] ==
                                                               " ".join(map(str, manifest["result"]["chosen"])))]
    score = np.quantile(held.groupby("draw")["final_enrolled_share"].mean(), 0.2)
    greedy_k2 = next(r for r in manifest["result"]["held_out"]["outcomes"]
                     if r["method"] == "greedy" and r["k"] == 2)
    assert greedy_k2["score"] == pytest.approx(score)
    assert "<th>greedy score</th>" in page and f'<td class="n">{score:.3f}</td>' in page


@pytest.mark.parametrize("change, field, allowed", [
    (("posterior.csv", "missing.csv"), "optimise.posterior", "allowed: \"shipped\""),
    (("draws = 3", "draws = 0"), "draws", "greater than or equal to 1"),
    (("quantile = 0.2", "quantile = 1.0"), "quantile", "less than 1"),
    (("posterior = \"posterior.csv\"", ""), "optimise", "need a posterior"),
])
def test_bad_robust_objectives_exit_2(tmp_path, capsys, change, field, allowed):
    write(tmp_path / "world.toml", TINY)
    write(tmp_path / "posterior.csv", POSTERIOR)
    file = write(tmp_path / "bad.toml", ROBUST.replace(*change))
    code, out, err = optimise(capsys, file, "--out", tmp_path / "out")
    assert code == 2 and field in err and allowed in err and str(file) in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


# --- champions up to a budget with a cost per profession ----------------------------------

COSTS = {"a": 4, "b": 2, "c": 1, "d": 1, "e": 1, "f": 1}


def test_budgeted_greedy_by_hand_cost_benefit_against_unit_cost():
    from campaignsim.optimise.champions import budgeted, within_budget

    for choose in (celf, plain_greedy):
        found = budgeted(choose, coverage([]), list(COVERS), COSTS.get, 4, k=6)
        # by gain alone: a (covers 4, costs 4) spends the budget: f = 4. By gain per cost:
        # c, d, f tie at 2 (c first); then d (2 new for 1); then b, e, f tie at 1 (b first,
        # {4, 5} for 2): c, d, b cover 6 for 4
        assert found.chosen == ["c", "d", "b"] and found.rule == "gain per cost"
        assert found.values[-1] == 6.0 and sum(map(COSTS.get, found.chosen)) <= 4
        # and where gain per cost is the worse rule: e is cheap, a is worth more
        costs = {"a": 4, "e": 0.5}
        found = budgeted(choose, coverage([]), ["a", "e"], costs.get, 4, k=2)
        assert found.chosen == ["a"] and found.rule == "gain"
        # at most k: with k = 2, gain per cost's c, d cover 4, as a does: gain's on a tie
        found = budgeted(choose, coverage([]), list(COVERS), COSTS.get, 4, k=2)
        assert found.chosen == ["a"] and found.values == [4.0]
    assert within_budget(list("abcdef"), COSTS.get, 4, k=6) == ["a"]
    assert within_budget(list("fedcba"), COSTS.get, 4, k=6) == ["f", "e", "d", "c"]
    assert within_budget(list("fedcba"), COSTS.get, 4, k=2) == ["f", "e"]


BUDGET = CHAMPIONS.replace("k = 3\n", "k = 4\nbudget = 4\n"
                           "cost = { doctor = 3, nurse = 1, allied = 2 }\n")


def test_budgeted_champions_never_exceed_the_budget(tmp_path, capsys):
    file = write(tmp_path / "budget.toml", BUDGET)
    code, out, err = optimise(capsys, file, "--workers", 1, "--out", tmp_path / "out")
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    result = manifest["result"]
    profession = pd.read_csv(tmp_path / "out" / "staff_nodes.csv").set_index("id")["profession"]
    price = {"doctor": 3, "nurse": 1, "allied": 2}
    for method, chosen in result["orders"].items():
        cost = sum(price[profession[node]] for node in chosen)
        assert cost == result["costs"][method] <= 4 and chosen, method
    runs = pd.read_parquet(tmp_path / "out" / "evaluations.parquet")
    for champions in runs["champions"].dropna().unique():
        nodes = [int(n) for n in champions.split()]
        assert sum(price[profession[n]] for n in nodes) <= 4


@pytest.mark.parametrize("change, field, allowed", [
    (("nurse = 1", "nurse = -1"), "cost", "greater than or equal to 0"),
    (("allied = 2", "allied = 2, porter = 1"), "optimise.champions.cost.porter",
     "allowed: allied, doctor, nurse"),
    (("budget = 4", "budget = 0.5"), "optimise.champions.budget", "allowed: a budget of at "
     "least 1"),
    (("budget = 4\n", ""), "optimise.champions", "budget and cost go together"),
])
def test_bad_champion_budgets_exit_2(tmp_path, capsys, change, field, allowed):
    file = write(tmp_path / "bad.toml", BUDGET.replace(*change))
    code, out, err = optimise(capsys, file, "--out", tmp_path / "out")
    assert code == 2 and field in err and allowed in err and str(file) in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
