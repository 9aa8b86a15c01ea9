"""The levers search: Optuna's TPE sampler (Bergstra et al. 2011), seeded, over the mixes
the budget allows; each trial a CRN-paired batch of runs on the search seeds; then the
chosen mix against the base and every bundled strategy the budget affords, on held-out
seeds.

Feasibility is enforced, not encouraged: a proposed mix that costs more than the budget is
never simulated; it is told to the sampler as infeasible (Optuna's constraints: a positive
constraint value, cost − budget), which TPE ranks below every feasible trial. With
`pareto`, the study has two objectives (the outcome and the cost) and the result is its
Pareto front of feasible mixes; the chosen mix is the front's best outcome.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from ..bundled import bundled_folder
from ..compare import mean_ci
from ..dotted import flatten_paths
from ..scenario import ScenarioError, load_scenario, numeric_kind
from .evaluate import STREAM_SAMPLER, Evaluator, held_out_seeds, score, scored_as, search_seeds
from .plan import current_value, lever_base, lever_cost

#: Top-level fields that do not describe a strategy (a run's label, its seed, other tools).
NOT_STRATEGY = ("name", "description", "seed", "sweep", "fit", "optimise")


def _suggest(trial, path: str, lever):
    if numeric_kind(path) == "int":
        return trial.suggest_int(path, int(lever.low), int(lever.high))
    return trial.suggest_float(path, float(lever.low), float(lever.high))


def run_levers(plan, seed: int, evaluator: Evaluator, say=print) -> dict:
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    search, spec = plan.spec.levers, plan.spec
    seeds = search_seeds(seed, spec.search_replications)
    held_out = held_out_seeds(seed, spec.held_out_replications, seeds)
    maximise = spec.direction == "maximise"
    # Optuna 5 reads constraints a trial sets; older versions ask a constraints_func.
    native = hasattr(optuna.trial.Trial, "set_constraint")
    sampler = optuna.samplers.TPESampler(
        seed=int(np.random.SeedSequence([seed, STREAM_SAMPLER]).generate_state(1)[0]),
        **({} if native else {"constraints_func":
                              lambda trial: (trial.user_attrs["constraint"],)}))
    directions = ["maximize" if maximise else "minimize"] + (["minimize"] if search.pareto
                                                             else [])
    study = optuna.create_study(directions=directions, sampler=sampler)
    base_values = {path: lever_base(plan, path, lever) for path, lever in search.levers.items()}
    others = alternatives(plan)
    # The sampler starts from what is known: the unchanged scenario (priced 0) and every
    # bundled strategy the budget affords, where the ranges hold them.
    for values in [base_values, *(values for *_, values in others[0])]:
        if all(search.levers[p].low <= v <= search.levers[p].high for p, v in values.items()):
            study.enqueue_trial(values)
    trials, infeasible = [], 0
    for number in range(search.trials):
        trial = study.ask()
        values = {path: _suggest(trial, path, lever) for path, lever in search.levers.items()}
        cost = lever_cost(plan, values)
        trial.set_user_attr("constraint", cost - search.budget)
        if native:
            trial.set_constraint("budget", cost - search.budget)
        trial.set_user_attr("cost", cost)
        if cost > search.budget:
            infeasible += 1
            worst = -np.inf if maximise else np.inf   # never simulated: ranked by constraint
            study.tell(trial, [worst, cost] if search.pareto else worst)
            continue
        outcome = float(score(evaluator.evaluate([plan.candidate(values)], seeds, "search",
                                                 [_label("trial", number, values, cost)]),
                              spec)[0])
        trials.append({"trial": number, "values": values, "cost": cost, "outcome": outcome})
        study.tell(trial, [outcome, cost] if search.pareto else outcome)
    say(f"levers: {len(trials)} mixes simulated, {infeasible} proposed over the budget "
        f"(not simulated), R = {len(seeds)} search seeds")
    if not trials:
        raise ScenarioError(plan.source, "optimise.levers", "the sampler proposed no mix "
                            "within the budget; raise trials or the budget")
    best = max(trials, key=lambda t: (t["outcome"] if maximise else -t["outcome"],
                                      -t["cost"], -t["trial"]))
    found = {"trials": trials, "chosen": best, "infeasible": infeasible,
             "front": pareto_front(trials, maximise) if search.pareto else None,
             "search_seeds": seeds, "held_out_seeds": held_out,
             "scored_as": scored_as(spec, len(plan.draws))}
    found["held_out"] = strategies_check(plan, evaluator, best, others, held_out)
    return found


def _label(method: str, number, values: dict, cost: float) -> dict:
    return {"method": method, "k": number, "round": None, "cost": cost,
            "levers": json.dumps(values, sort_keys=True)}


def pareto_front(trials: list[dict], maximise: bool) -> list[dict]:
    """The mixes no other mix beats on both outcome and cost, cheapest first.

    Examples:
        >>> t = [{"outcome": 0.5, "cost": 1}, {"outcome": 0.4, "cost": 2},
        ...      {"outcome": 0.6, "cost": 3}]
        >>> [x["cost"] for x in pareto_front(t, True)]
        [1, 3]
    """
    sign = 1.0 if maximise else -1.0
    front = [t for t in trials
             if not any(sign * o["outcome"] >= sign * t["outcome"] and o["cost"] <= t["cost"]
                        and (sign * o["outcome"] > sign * t["outcome"] or o["cost"] < t["cost"])
                        for o in trials)]
    return sorted(front, key=lambda t: (t["cost"], t["trial"]))


def price_strategy(plan, data: dict) -> tuple[float | None, list[str], list[str], dict]:
    """A strategy's cost by the plan's cost table (None if it cannot be priced), the
    settings in which it differs from the base, those of them the table does not price,
    and its value of each lever. A mechanism the base lacks is compared with that
    mechanism's defaults (so turning one on is priced by its levers)."""
    levers = plan.spec.levers.levers
    base = {k: v for k, v in plan.base.items() if k not in NOT_STRATEGY}
    own = {k: v for k, v in data.items() if k not in NOT_STRATEGY}
    reference = dict(base)
    for table, value in own.items():
        if isinstance(value, dict) and reference.get(table) is None:
            reference[table] = plan.scenario_with({f"{table}.enabled": True}).to_dict()[table]
    mine, theirs = flatten_paths(own), flatten_paths(reference)
    changed = sorted(path for path in set(mine) | set(theirs)
                     if mine.get(path) != theirs.get(path) and not path.endswith(".enabled"))
    unpriced = [path for path in changed if path not in levers]
    if unpriced:
        return None, changed, unpriced, {}
    values = {}
    for path, lever in levers.items():
        value = current_value(data, path)
        values[path] = lever_base(plan, path, lever) if value is None else float(value)
    return lever_cost(plan, values), changed, [], values


def alternatives(plan) -> tuple[list, list]:
    """The bundled strategies the chosen mix is checked against: those on this hospital
    whose changes the cost table prices and the budget affords, as (name, scenario, cost,
    lever values); and the others, each with the reason it is left out."""
    search = plan.spec.levers
    folder = bundled_folder()
    known = sorted(p.stem for p in folder.glob("*.toml"))
    entries, skipped = [], []
    for name in search.compare if search.compare is not None else known:
        if name not in known:
            raise ScenarioError(plan.source, "optimise.levers.compare", f"no bundled strategy "
                                f"{name!r}; allowed: {', '.join(known)}")
        strategy = load_scenario(folder / f"{name}.toml")
        if strategy.staff != plan.base_scenario.staff:
            skipped.append({"strategy": name, "why": "another hospital ([staff] differs)"})
            continue
        data = {k: v for k, v in strategy.to_dict().items()
                if k not in ("optimise", "sweep", "fit")}
        cost, changed, unpriced, values = price_strategy(plan, data)
        if not changed:
            skipped.append({"strategy": name, "why": "the base itself"})
        elif cost is None:
            skipped.append({"strategy": name, "why": "changes settings the cost table does not "
                            "price: " + ", ".join(unpriced[:4])})
        elif cost > search.budget:
            skipped.append({"strategy": name, "why": f"costs {cost:g}, over the budget"})
        else:
            entries.append((name, strategy, cost, values))
    return entries, skipped


def strategies_check(plan, evaluator: Evaluator, best: dict, others: tuple[list, list],
                     seeds: list[int]) -> dict:
    """The chosen mix, the base and every alternative on held-out seeds; paired
    differences of the mix minus each."""
    strategies, skipped = others
    entries = [("chosen mix", plan.candidate(best["values"]), best["cost"]),
               ("base (unchanged)", plan.candidate({}), 0.0),
               *((name, plan.candidate({}, scenario.to_dict()), cost)
                 for name, scenario, cost, _ in strategies)]
    labels = [{"method": name, "k": None, "round": None, "cost": cost, "levers": None}
              for name, _, cost in entries]
    runs = evaluator.evaluate([scenarios for _, scenarios, _ in entries], seeds, "held_out",
                              labels)
    values = runs.mean(axis=1)   # each seed's mean over the draws: paired over seeds
    rows = []
    for (name, _, cost), own, robust in zip(entries, values, score(runs, plan.spec)):
        mean, low, high = mean_ci(own)
        difference = mean_ci(values[0] - own) if name != "chosen mix" else (np.nan,) * 3
        rows.append({"strategy": name, "cost": cost, "score": robust, "mean": mean,
                     "low": low, "high": high,
                     "diff": difference[0], "diff_low": difference[1],
                     "diff_high": difference[2]})
    return {"rows": rows, "skipped": skipped}


def closing_note(found: dict, objective: str, direction: str, budget: float) -> str:
    rows = found["held_out"]["rows"]
    sign = 1.0 if direction == "maximise" else -1.0
    mix = rows[0]
    lines = [f"chosen mix (cost {mix['cost']:g} of {budget:g}): "
             + ", ".join(f"{p} = {v:.4g}" for p, v in found["chosen"]["values"].items()),
             f"held-out check ({objective}, {len(found['held_out_seeds'])} seeds never used in "
             "the search; chosen mix minus each, 95 % CI):"]
    beaten = 0
    for row in rows[1:]:
        low, high = sign * row["diff_low"], sign * row["diff_high"]
        verdict = ("the mix wins" if min(low, high) > 0 else
                   "the mix loses" if max(low, high) < 0 else "no clear difference")
        beaten += verdict == "the mix wins"
        lines.append(f"  vs {row['strategy']:<24} (cost {row['cost']:>8g}) {row['diff']:+.3f} "
                     f"[{row['diff_low']:+.3f}, {row['diff_high']:+.3f}]  {verdict}")
    lines.extend(f"  not compared: {s['strategy']}: {s['why']}"
                 for s in found["held_out"]["skipped"])
    if found.get("scored_as"):
        lines.append(f"searched on {found['scored_as']}; on held-out seeds: " + ", ".join(
            f"{row['strategy']} {row['score']:.3f}" for row in rows))
    others = len(rows) - 1
    lines.append(f"the chosen mix beats {beaten} of {others} alternatives the budget affords"
                 + ("." if beaten == others else "; the others are as good or better on "
                    "held-out seeds (already on the front)."))
    return "\n".join(lines)
