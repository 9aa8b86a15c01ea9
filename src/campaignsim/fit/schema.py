"""The `[fit]` table of a scenario: priors by dotted field path, the target (observed
data or patterns), the population and the stopping rule.

Kept out of scenario.py (which only names the table) and free of imports from it, so the
scenario schema can include it without an import cycle. Checks that need the scenario
schema itself (does a path exist, is a bound inside the field's range) live in `plan`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypeAliasType

from ..dotted import flatten_paths


class _Strict(BaseModel):
    # As scenario.Strict: unknown keys are errors, no silent coercion, no nan/inf.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class _Bounded(_Strict):
    low: float = Field(description="lowest value")
    high: float = Field(description="highest value")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class UniformPrior(_Bounded):
    """Every value in [low, high] equally likely."""
    distribution: Literal["uniform"]


class LogUniformPrior(_Bounded):
    """Uniform in log(value) over [low, high] (a rate known to within a factor)."""
    distribution: Literal["log_uniform"]

    @model_validator(mode="after")
    def _positive(self):
        if self.low <= 0:
            raise ValueError("log_uniform needs low > 0")
        return self


class IntegerPrior(_Bounded):
    """Each whole number low … high equally likely (low < high, checked by _Bounded)."""
    distribution: Literal["integer"]
    low: int
    high: int


class NormalPrior(_Strict):
    """Normal(mean, sd) truncated to the field's range (or to [low, high] if given)."""
    distribution: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None


class BetaPrior(_Strict):
    """Beta(a, b) stretched over [low, high] (default [0, 1])."""
    distribution: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0


class ChoicePrior(_Strict):
    """One of `values` (a structural choice, e.g. peer.rule), each equally likely."""
    distribution: Literal["choice"]
    values: list[Any] = Field(min_length=2)


Prior = Annotated[Union[UniformPrior, LogUniformPrior, IntegerPrior, NormalPrior, BetaPrior,
                        ChoicePrior], Field(discriminator="distribution")]


class Data(_Strict):
    """Observed weekly values: a CSV with a `week` column and recorded series."""
    file: str = Field(description="CSV file, relative to the scenario file (or --data)")


class Pattern(_Strict):
    """A named outcome and its accepted range, optionally as a paired difference against
    a variant of the scenario (same seeds: common random numbers)."""
    outcome: str
    range: Annotated[list[float], Field(min_length=2, max_length=2)]
    minus_variant: dict[str, Any] | None = Field(
        None, description="dotted path = value: the outcome of this variant is subtracted")


# Named types, so that the generated reference (docs/scenarios.md) says what goes in them
# (and lists the priors in docs/calibration.md, not among the attribute distributions).
Priors = TypeAliasType('table of "table.field" = { distribution = "uniform", low, high }',
                       dict[str, Prior])
Patterns = TypeAliasType(
    "table of name = [low, high] or { outcome, range, minus_variant }",
    dict[str, Union[Annotated[list[float], Field(min_length=2, max_length=2)], Pattern]])


class Fit(_Strict):
    """Calibration (`campaignsim fit`): priors over fields, and observed data or patterns
    to match. `campaignsim run`, `compare` and `sweep` ignore it."""

    priors: Priors = Field(min_length=1, description="prior of each fitted field: uniform, "
                           "log_uniform, integer, normal, beta or choice (docs/calibration.md)")
    data: Data | None = None
    patterns: Patterns | None = Field(None, description="outcomes and their accepted ranges "
                                      "(docs/calibration.md)")
    population: int = Field(100, ge=5, le=100_000, description="particles per generation")
    generations: int = Field(5, ge=1, le=100, description="stop after this many generations")
    min_epsilon: float = Field(0.0, ge=0, description="stop once epsilon is at most this")
    min_acceptance_rate: float = Field(0.0, ge=0, le=1,
                                       description="stop once fewer are accepted than this")
    replications: int = Field(1, ge=1, le=1000, description="runs per particle (mean taken)")
    predictive_runs: int = Field(50, ge=1, le=10_000,
                                 description="posterior-predictive runs for the figures")

    @model_validator(mode="before")
    @classmethod
    def _dotted_priors(cls, value: Any) -> Any:
        # `[fit.priors] hybrids.alignment = {...}` (unquoted) arrives nested: flatten it.
        if isinstance(value, dict) and isinstance(value.get("priors"), dict):
            value = {**value, "priors": flatten_paths(
                value["priors"], is_leaf=lambda table: "distribution" in table)}
        return value

    @model_validator(mode="after")
    def _one_target(self):
        if (self.data is None) == (self.patterns is None):
            raise ValueError("give one target: [fit.data] (file = observed CSV) or "
                             "[fit.patterns] (name = [low, high]), not both or neither")
        return self
