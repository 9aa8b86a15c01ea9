"""An optimisation checked before anything runs: the objective, the posterior of a robust
objective, k or the champions' budget and costs against the clinicians, each lever's
path, range and cost, and the budget against the cheapest mix. Bad input ends here with
file, field and what is allowed (exit 2).

The robust objective's draws follow `compare --posterior`'s rule (campaignsim.posterior):
a draw replaces what the optimise file inherits from the file it extends; what the file
sets in its own TOML, and what a candidate changes, win over the draw; a draw never
switches a mechanism on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import StaffOutline
from ..compare import OUTCOMES
from ..posterior import (Posterior, applicable, draw_scenarios, load_posterior, own_settings,
                         shipped_posterior)
from ..scenario import (Scenario, ScenarioError, _extends_chain, load_scenario, numeric_kind,
                        validate_scenario)
from ..sweep.design import set_path
from .schema import DEFAULT_DRAWS

#: Outcomes an optimisation may target: every headline outcome that is always a number.
OBJECTIVES = tuple(key for key in OUTCOMES if key != "weeks_to_50")


@dataclass
class OptimisePlan:
    """A validated optimisation, before it runs."""

    scenario: Scenario      # the file's scenario, [optimise] included
    source: Path
    base: dict              # the scenario every candidate changes: without [optimise]/[sweep]/[fit]
    clinicians: int
    #: The world's uncertain settings, one dict of dotted paths per draw: a candidate is
    #: run once per draw and its outcome averaged (the robust objective over posterior
    #: draws plugs in here; one draw, no change, without a posterior).
    draws: list = field(default_factory=lambda: [{}])
    #: The posterior of the robust objective (None: the scenario's own parameter set) and
    #: the parameter sets drawn from it (`use_draws`).
    posterior: Posterior | None = None
    parameter_sets: list = field(default_factory=list)

    def use_draws(self, seed: int) -> None:
        """Draw the K parameter sets every candidate runs on, by weight, seeded with the
        optimise seed: the same draws for every candidate (and for the held-out check).

        Raises:
            ScenarioError: naming the posterior file and column of a value that does not
                fit the scenario.
        """
        if self.posterior is None:
            return
        chain = _extends_chain(self.source)
        own = own_settings(self.source, chain[1][0] if len(chain) > 1 else None)
        drawn = self.posterior.draws(self.spec.draws or DEFAULT_DRAWS, seed)
        draw_scenarios([self.base_scenario], self.posterior, drawn, [own])
        self.parameter_sets = drawn
        self.draws = [applicable(draw, self.base, own) for draw in drawn]

    @property
    def spec(self):
        return self.scenario.optimise

    @property
    def base_scenario(self) -> Scenario:
        return self.scenario_with({})

    def on_staff(self, graph: Path, nodes: Path) -> None:
        """Run every candidate on the hospital of these files (a generated staff, written
        out so that every replicate and choice.toml have the same people and ties)."""
        self.base = set_path(set_path(self.base, "staff.graph", str(graph)), "staff.nodes",
                             str(nodes))

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def mode(self) -> str:
        return "champions" if self.spec.champions is not None else "levers"

    def identity(self, seed: int) -> str:
        """SHA-256 of what decides the result: the scenario, [optimise] and the seed."""
        scenario = {k: v for k, v in self.base.items() if k not in ("name", "description")}
        data = {"scenario": scenario, "optimise": self.spec.model_dump(mode="json"),
                "seed": seed, "posterior": self.posterior.sha256 if self.posterior else None}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def candidate(self, changes: dict, data: dict | None = None) -> list[Scenario]:
        """A candidate's scenarios, one per draw: the base (or `data`, a strategy) with
        each draw's settings and then the candidate's `changes`; where `data` differs from
        the base, the strategy's own value wins over the draw, as a change does."""
        def inherited(path: str) -> bool:
            return data is None or current_value(data, path) == current_value(self.base, path)
        return [self.scenario_with({**{p: v for p, v in draw.items() if inherited(p)},
                                    **changes}, data) for draw in self.draws]

    def scenario_with(self, changes: dict, data: dict | None = None) -> Scenario:
        """The base scenario with dotted paths set (a setting of an absent mechanism's
        field turns it on, as in a sweep)."""
        data = self.base if data is None else data
        for path, value in changes.items():
            data = set_path(data, path, value)
        return validate_scenario(data, self.source)


def lever_base(plan: OptimisePlan, path: str, lever) -> float:
    """The value of a lever that costs nothing: given, else the scenario's own value where
    its mechanism is on, else the lever's low end."""
    if lever.base is not None:
        return float(lever.base)
    value = current_value(plan.base, path)
    return float(lever.low) if value is None else float(value)


def current_value(data: dict, path: str):
    """A scenario's value at a dotted path, None where its table is absent or off (or the
    value is not a number)."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or node.get("enabled") is False:
            return None
        node = node.get(part)
    return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def lever_cost(plan: OptimisePlan, values: dict) -> float:
    """Σ cost × |value − base| over the levers (the cost table)."""
    levers = plan.spec.levers.levers
    return float(sum(lever.cost * abs(values[path] - lever_base(plan, path, lever))
                     for path, lever in levers.items()))


def cheapest_mix(plan: OptimisePlan) -> float:
    """What the cheapest mix in the ranges costs (a lever's base outside its range must be
    paid for to reach the range)."""
    total = 0.0
    for path, lever in plan.spec.levers.levers.items():
        base = lever_base(plan, path, lever)
        total += lever.cost * max(lever.low - base, base - lever.high, 0.0)
    return total


def plan_optimise(path: str | Path) -> OptimisePlan:
    """Load and check an optimisation file (see the module docstring)."""
    source = Path(path)
    scenario = load_scenario(source)
    if scenario.optimise is None:
        raise ScenarioError(source, "optimise", "no [optimise] table: give "
                            "[optimise.champions] (k, candidates) or [optimise.levers] "
                            "(budget, levers); see docs/optimise.md")
    spec = scenario.optimise
    if spec.objective not in OBJECTIVES:
        raise ScenarioError(source, "optimise.objective", f"unknown outcome "
                            f"{spec.objective!r}; allowed: {', '.join(OBJECTIVES)}")
    base = {k: v for k, v in scenario.to_dict().items() if k not in ("optimise", "sweep", "fit")}
    clinicians = len(StaffOutline.of_scenario(scenario).clinician_ids)
    plan = OptimisePlan(scenario, source, base, clinicians)
    if spec.posterior is not None:
        plan.posterior = _posterior(source, spec.posterior)
    if spec.champions is not None:
        _check_champions(plan)
    else:
        _check_levers(plan)
    return plan


def _posterior(source: Path, given: str) -> Posterior:
    """The robust objective's posterior: "shipped", or a file relative to the optimise file."""
    path = shipped_posterior() if given == "shipped" else source.parent / given
    if not path.is_file():
        raise ScenarioError(source, "optimise.posterior", f"{path} is not a file; allowed: "
                            "\"shipped\" (the bundled baseline's accepted set) or the "
                            "posterior.parquet (or .csv) of `campaignsim fit`")
    return load_posterior(path)


def _check_champions(plan: OptimisePlan) -> None:
    if plan.scenario.on("champions") is None:
        raise ScenarioError(plan.source, "champions", "choosing champions needs a [champions] "
                            "table saying how they act (weight, capacity, persuasion)")
    _check_k(plan)
    if plan.spec.champions.budget is not None:
        _check_budget(plan)


def _check_k(plan: OptimisePlan) -> None:
    search, source = plan.spec.champions, plan.source
    if search.k > plan.clinicians:
        raise ScenarioError(source, "optimise.champions.k", f"asks for {search.k} champions "
                            f"but the staff has {plan.clinicians} clinicians; allowed: 1 … "
                            f"{plan.clinicians}")
    if search.candidates < search.k and search.budget is None:
        raise ScenarioError(source, "optimise.champions.candidates", f"{search.candidates} "
                            f"candidates cannot give k = {search.k} champions; allowed: "
                            f"{search.k} … {plan.clinicians}")


def _check_budget(plan: OptimisePlan) -> None:
    """Every profession priced, and the budget buys at least one of the candidates."""
    from ..world import StaffWorld
    from .champions import prescreen

    search = plan.spec.champions
    world = StaffWorld.build(plan.base_scenario.staff, plan.scenario.seed)
    costs = champion_costs(plan, world)
    candidates = prescreen(world, search.prescreen, search.candidates)
    cheapest = float(costs[candidates].min())
    if search.budget < cheapest:
        raise ScenarioError(plan.source, "optimise.champions.budget", f"{search.budget:g} "
                            f"buys no champion: the cheapest of the {len(candidates)} "
                            f"candidates costs {cheapest:g}; allowed: a budget of at least "
                            f"{cheapest:g}")


def champion_costs(plan: OptimisePlan, world) -> np.ndarray:
    """What appointing each clinician costs, by profession (`[optimise.champions] cost`).

    Raises:
        ScenarioError: a profession the staff does not have, or one of its professions
            without a cost.
    """
    cost, field_name = plan.spec.champions.cost, "optimise.champions.cost"
    names = list(world.profession_names)
    unknown = sorted(set(cost) - set(names))
    if unknown:
        raise ScenarioError(plan.source, f"{field_name}.{unknown[0]}", f"no such profession "
                            f"in the staff; allowed: {', '.join(names)}")
    missing = [name for name in names if name not in cost]
    if missing:
        raise ScenarioError(plan.source, field_name, f"no cost for {', '.join(missing)}; give "
                            f"one for every profession of the staff: {', '.join(names)}")
    return np.array([cost[name] for name in names], dtype=float)[world.profession]


def _check_levers(plan: OptimisePlan) -> None:
    search, source = plan.spec.levers, plan.source
    for path, lever in search.levers.items():
        where = f"optimise.levers.levers.{path}"
        try:
            kind = numeric_kind(path)
        except ValueError as err:
            raise ScenarioError(source, where, f"unknown lever: {err}") from None
        if kind is None or path.split(".")[0] in ("staff", "weeks", "engine"):
            raise ScenarioError(source, where, "is not a lever: allowed are numeric fields of "
                                "the mechanism tables (e.g. broadcast.intensity, "
                                "hybrids.capacity, events.reach, codesign.share, "
                                "mandate.pressure)")
        if kind == "int" and not (float(lever.low).is_integer()
                                  and float(lever.high).is_integer()):
            raise ScenarioError(source, where, "an integer field needs whole-number low and "
                                "high")
        for end in (lever.low, lever.high):
            try:
                plan.scenario_with({path: int(end) if kind == "int" else float(end)})
            except ScenarioError as err:
                raise ScenarioError(source, where, f"{end:g} is outside the field's range: "
                                    f"{err.message}") from None
    cheapest = cheapest_mix(plan)
    if search.budget < cheapest or search.budget == 0:
        raise ScenarioError(source, "optimise.levers.budget", f"{search.budget:g} buys "
                            f"nothing: the cheapest option costs {cheapest:g} (every lever "
                            f"at the end of its range nearest its base); allowed: a budget "
                            f"above {cheapest:g}")
