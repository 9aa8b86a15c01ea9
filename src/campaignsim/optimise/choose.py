"""The champions search end to end: pre-screen, CELF (and plain greedy, if asked) on the
search seeds, then the greedy choice and every heuristic at k = 1 … K on held-out seeds,
with paired differences. With a budget and a cost per profession, greedy is the budgeted
variant (`champions.budgeted`), each heuristic appoints down its order while the budget
lasts, and "k" counts champions added: a method whose budget is spent keeps its set.

The hospital is one hospital: a champion is a named person, so every replicate runs on
the same staff graph (the scenario's own, written to the results folder when it is
generated) and the replicates differ in clinicians' attributes and weekly draws.
"""

from __future__ import annotations

import numpy as np

from ..compare import mean_ci
from ..world import StaffWorld
from .champions import budgeted, celf, heuristic_orders, plain_greedy, prescreen, within_budget
from .evaluate import STREAM_RANDOM, Evaluator, held_out_seeds, score, scored_as, search_seeds
from .plan import champion_costs


def _sign(plan) -> float:
    return 1.0 if plan.spec.direction == "maximise" else -1.0


class ChampionSets:
    """Scenarios of champion sets (clinician indices) of one plan, one per draw."""

    def __init__(self, plan, world: StaffWorld):
        self.plan, self.nodes = plan, list(world.nodes)

    def node_ids(self, indices) -> list:
        return [self.nodes[i] for i in indices]

    def scenarios(self, indices) -> list:
        if not indices:
            return self.plan.candidate({"champions.enabled": False, "staff.champions": 0})
        return self.plan.candidate({"champions.enabled": True, "staff.champions": 0,
                                    "champions.nodes": self.node_ids(indices)})

    def label(self, method: str, indices, step: int | None = None) -> dict:
        return {"method": method, "k": len(indices), "round": step,
                "champions": " ".join(str(n) for n in self.node_ids(indices))}


def search_value(plan, sets: ChampionSets, evaluator: Evaluator, seeds: list[int],
                 method: str):
    """f(S) for the search: the sample average over the search seeds (and the draws'
    mean or quantile, `evaluate.score`), signed so that larger is better."""
    def value(candidates: list[tuple]) -> list[float]:
        labels = [sets.label(method, c) for c in candidates]
        values = evaluator.evaluate([sets.scenarios(c) for c in candidates], seeds,
                                    "search", labels)
        return (_sign(plan) * score(values, plan.spec)).tolist()
    return value


def _greedy(plan, search, cost):
    """The search a plan asks for, as choose(value, candidates): CELF or plain greedy, to
    k champions or (budgeted) up to the budget."""
    method = celf if search.method == "celf" else plain_greedy
    if search.budget is None:
        return lambda value, candidates: method(value, candidates, search.k)
    return lambda value, candidates: budgeted(method, value, candidates, cost, search.budget,
                                              search.k)


def run_champions(plan, seed: int, evaluator: Evaluator, say=print) -> dict:
    """Search and check; everything the outputs need (JSON-ready)."""
    search = plan.spec.champions
    world = StaffWorld.build(plan.base_scenario.staff, plan.scenario.seed)
    sets = ChampionSets(plan, world)
    seeds = search_seeds(seed, plan.spec.search_replications)
    held_out = held_out_seeds(seed, plan.spec.held_out_replications, seeds)
    candidates = prescreen(world, search.prescreen, search.candidates)
    costs = champion_costs(plan, world) if search.budget is not None else None
    cost = (lambda c: float(costs[c])) if costs is not None else None
    size = f"k = {search.k}" if cost is None else f"budget {search.budget:g}"
    say(f"champions: {len(candidates)} candidates by {search.prescreen}, {size}, "
        f"R = {len(seeds)} search seeds × {len(plan.draws)} draws")
    before = evaluator.evaluations
    chosen = _greedy(plan, search, cost)(
        search_value(plan, sets, evaluator, seeds, search.method), candidates)
    found = {"method": search.method, "evaluations": evaluator.evaluations - before,
             "rule": chosen.rule, "scored_as": scored_as(plan.spec, len(plan.draws)),
             "budget": search.budget,
             "runs": (evaluator.evaluations - before) * len(seeds) * len(plan.draws),
             "chosen": sets.node_ids(chosen.chosen),
             "search_values": [_sign(plan) * v for v in chosen.values]}
    say(f"{search.method}: {found['evaluations']} set evaluations "
        f"({found['runs']} runs); chosen: {found['chosen']}")
    if search.plain_greedy and search.method == "celf":
        before = evaluator.evaluations
        plain = _greedy(plan, search.model_copy(update={"method": "greedy"}), cost)(
            search_value(plan, sets, evaluator, seeds, "greedy"), candidates)
        found["plain_greedy"] = {"evaluations": evaluator.evaluations - before,
                                 "chosen": sets.node_ids(plain.chosen),
                                 "same_choice": plain.chosen == chosen.chosen}
        share = found["evaluations"] / found["plain_greedy"]["evaluations"]
        say(f"plain greedy: {found['plain_greedy']['evaluations']} set evaluations; CELF "
            f"used {found['evaluations']} ({share:.0%}) for "
            f"{'the same' if plain.chosen == chosen.chosen else 'a DIFFERENT'} choice")
    orders = heuristic_orders(world, seed, int(np.random.SeedSequence(
        [seed, STREAM_RANDOM]).generate_state(1)[0]))
    orders = {"greedy": chosen.chosen, **orders}
    if cost is None:
        orders = {method: order[:search.k] for method, order in orders.items()}
    else:
        orders = {method: within_budget(order, cost, search.budget, search.k)
                  for method, order in orders.items()}
        found["costs"] = {method: sum(map(cost, order)) for method, order in orders.items()}
    found["held_out"] = held_out_check(plan, sets, evaluator, orders,
                                       max(map(len, orders.values())), held_out)
    found["held_out_seeds"], found["search_seeds"] = held_out, seeds
    found["candidates"] = sets.node_ids(candidates)
    found["orders"] = {m: sets.node_ids(o) for m, o in orders.items()}
    return found


def held_out_check(plan, sets: ChampionSets, evaluator: Evaluator, orders: dict, k: int,
                   seeds: list[int]) -> dict:
    """Each method's first j champions, j = 1 … k, and no champions, on held-out seeds
    (each distinct set run once); means with 95 % CIs and the paired differences of
    greedy minus each heuristic."""
    distinct: dict[frozenset, tuple] = {frozenset(): ()}
    for order in orders.values():
        for j in range(1, k + 1):
            distinct.setdefault(frozenset(order[:j]), tuple(order[:j]))
    keys = list(distinct)
    labels = [sets.label("held-out", distinct[key]) for key in keys]
    values = evaluator.evaluate([sets.scenarios(distinct[key]) for key in keys], seeds,
                                "held_out", labels)
    by_set = dict(zip(keys, values.mean(axis=1)))      # each seed's mean over the draws
    robust = dict(zip(keys, score(values, plan.spec)))  # the objective as searched
    rows, differences = [], []
    none = by_set[frozenset()]
    rows.append({"method": "none", "k": 0, "score": robust[frozenset()], **_ci(none)})
    for method, order in orders.items():
        for j in range(1, k + 1):
            own = by_set[frozenset(order[:j])]
            rows.append({"method": method, "k": j, "score": robust[frozenset(order[:j])],
                         **_ci(own)})
            if method != "greedy":
                greedy = by_set[frozenset(orders["greedy"][:j])]
                differences.append({"heuristic": method, "k": j, **_ci(greedy - own)})
    return {"outcomes": rows, "greedy_minus": differences}


def _ci(values: np.ndarray) -> dict:
    mean, low, high = mean_ci(values)
    return {"mean": mean, "low": low, "high": high}


def closing_note(found: dict, objective: str, direction: str) -> str:
    """By how much greedy wins on held-out seeds at the largest k, or that it does not."""
    diffs = found["held_out"]["greedy_minus"]
    k = max(d["k"] for d in diffs)
    better = 1.0 if direction == "maximise" else -1.0
    lines = []
    for d in (d for d in diffs if d["k"] == k):
        low, high = better * d["low"], better * d["high"]
        verdict = ("greedy wins" if min(low, high) > 0 else
                   "greedy loses" if max(low, high) < 0 else "no clear difference")
        lines.append(f"  vs {d['heuristic']:<12} {d['mean']:+.3f} [{d['low']:+.3f}, "
                     f"{d['high']:+.3f}]  {verdict}")
    wins = sum("greedy wins" in line for line in lines)
    at = f"k = {k}" if found.get("budget") is None else f"the budget {found['budget']:g}"
    extra = []
    if found.get("budget") is not None:
        extra.append(f"greedy chose by {found['rule']}; each set's cost: " + ", ".join(
            f"{method} {cost:g}" for method, cost in found["costs"].items()))
    if found.get("scored_as"):
        scores = {r["method"]: r["score"] for r in found["held_out"]["outcomes"] if r["k"] == k}
        extra.append(f"searched on {found['scored_as']}; on held-out seeds: " + ", ".join(
            f"{method} {value:.3f}" for method, value in scores.items()))
    return (f"held-out check at {at} ({objective}, greedy minus heuristic, 95 % CI "
            f"paired over {len(found['held_out_seeds'])} seeds never used in the search):\n"
            + "\n".join(lines + extra) + f"\ngreedy beats {wins} of {len(lines)} heuristics "
            f"at {at} on held-out seeds.")
