"""The `[optimise]` table of a scenario: what `campaignsim optimise` chooses (champions or
levers), the objective, and how many replicate seeds the search and the held-out check use.

Kept free of imports from scenario.py (which only names the table), as fit/schema.py is.
Checks that need the scenario itself (is a lever a numeric field, is k at most the
clinicians, does the budget buy anything) live in `plan`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypeAliasType

from ..dotted import flatten_paths


#: K when a posterior is given without `draws`.
DEFAULT_DRAWS = 10


class _Strict(BaseModel):
    # As scenario.Strict: unknown keys are errors, no silent coercion, no nan/inf.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


#: Named, so that the generated reference (docs/scenarios.md) says what goes in it.
ProfessionCosts = TypeAliasType("table of profession = cost (≥ 0)",
                                dict[str, Annotated[float, Field(ge=0)]])


class ChampionSearch(_Strict):
    """Choose k clinicians to be champions (or up to a budget, with a cost per profession):
    CELF lazy greedy over pre-screened candidates."""

    k: int = Field(10, ge=1, le=100_000, description="champions to choose; the held-out "
                   "check compares every k = 1 … k")
    candidates: int = Field(40, ge=1, le=100_000, description="clinicians pre-screened by "
                            "`prescreen` (the greedy search chooses among them)")
    prescreen: Literal["degree", "diffusion"] = Field(
        "degree", description="the cheap centrality that pre-screens candidates: ties, or "
        "diffusion centrality (Banerjee et al. 2013)")
    method: Literal["celf", "greedy"] = Field(
        "celf", description="celf: lazy greedy (Leskovec et al. 2007); greedy: plain greedy, "
        "every remaining candidate re-evaluated in every round")
    plain_greedy: bool = Field(False, description="also run plain greedy beside CELF, to "
                               "measure CELF's saving (evaluations) and check the choice")
    budget: float | None = Field(None, gt=0, description="champions up to this total cost "
                                 "(and at most k; budgeted CELF: the better of gain-per-cost "
                                 "and plain gain greedy, Leskovec et al. 2007)")
    cost: ProfessionCosts | None = Field(
        None, description="with budget: the cost of appointing one clinician, per profession "
        "(every profession of the staff)")

    @model_validator(mode="after")
    def _budget_or_k(self) -> "ChampionSearch":
        if (self.budget is None) != (self.cost is None):
            raise ValueError("budget and cost go together: a budget and a cost per profession")
        return self


class Lever(_Strict):
    """A numeric field the search may set, its range and its cost per unit of change."""

    low: float = Field(description="lowest value tried")
    high: float = Field(description="highest value tried")
    cost: float = Field(ge=0, description="cost per unit of change away from `base`")
    base: float | None = Field(None, description="the value that costs nothing (default: "
                               "the scenario's value, or `low` where the mechanism is off)")

    @model_validator(mode="after")
    def _ordered(self) -> "Lever":
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


def _is_lever(table: dict) -> bool:
    """A table with `low`, `high`, `cost` or `base` is a lever, not a table of them (levers
    may be written with TOML's dotted keys, read as nested tables, or quoted keys)."""
    return bool({"low", "high", "cost", "base"} & set(table))


#: Named, so that the generated reference (docs/scenarios.md) says what goes in it.
Levers = TypeAliasType("table of \"table.field\" = {low, high, cost}", dict[str, Lever])


class LeverSearch(_Strict):
    """Set levers within a budget: Optuna's TPE sampler over the feasible set."""

    budget: float = Field(ge=0, description="most the mix may cost: Σ cost × |value − base|")
    trials: int = Field(40, ge=1, le=100_000, description="mixes the sampler proposes")
    pareto: bool = Field(False, description="two objectives (the outcome and the cost): "
                         "report the Pareto front of cost against outcome")
    compare: list[str] | None = Field(
        None, description="bundled strategies to check the chosen mix against (default: "
        "every bundled strategy whose changes the cost table prices)")
    levers: Levers = Field(description="each lever: \"table.field\" = {low, high, cost} (and "
                           "optionally base, the value that costs nothing)")

    @field_validator("levers", mode="before")
    @classmethod
    def _dotted(cls, value: Any) -> Any:
        return flatten_paths(value, is_leaf=_is_lever) if isinstance(value, dict) else value

    @field_validator("levers")
    @classmethod
    def _some(cls, levers: dict) -> dict:
        if not levers:
            raise ValueError("no levers: give at least one \"table.field\" = {low, high, cost}")
        return levers


class Optimise(_Strict):
    """`campaignsim optimise`: choose champions or a lever mix by simulation."""

    objective: str = Field("active_share", description="the summary outcome optimised "
                           "(default: active share at the last week)")
    direction: Literal["maximise", "minimise"] = Field(
        "maximise", description="whether larger or smaller values of the objective are better")
    search_replications: int = Field(10, ge=1, le=10_000, description="R: replicate seeds "
                                     "every candidate is evaluated on (common random numbers)")
    held_out_replications: int = Field(20, ge=2, le=10_000, description="replicate seeds of "
                                       "the final check, never used in the search")
    posterior: str | None = Field(None, description="robust objective: a posterior (an "
                                  "accepted set of `campaignsim fit`, .parquet or .csv, "
                                  "relative to this file) or \"shipped\" (the bundled "
                                  "baseline's); every candidate runs on the same K draws")
    draws: int | None = Field(None, ge=1, le=1000, description="K: parameter sets drawn from "
                              "the posterior by weight (default 10)")
    robust: Literal["mean", "quantile"] = Field(
        "mean", description="score over the draws: the mean of the per-draw means, or their "
        "lower `quantile` (the upper one when minimising): good in most plausible worlds")
    quantile: float = Field(0.1, gt=0, lt=1, description="with robust = \"quantile\": which "
                            "quantile of the per-draw means is scored")
    champions: ChampionSearch | None = None
    levers: LeverSearch | None = None

    @model_validator(mode="after")
    def _one_task(self) -> "Optimise":
        if (self.champions is None) == (self.levers is None):
            raise ValueError("give either [optimise.champions] or [optimise.levers], not both "
                             "or neither")
        if self.posterior is None and (self.draws is not None or self.robust != "mean"):
            raise ValueError("draws and robust need a posterior: posterior = \"shipped\" or "
                             "a file of `campaignsim fit`")
        return self
