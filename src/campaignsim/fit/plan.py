"""A fit checked before it runs: every prior's path and bounds against the scenario
schema (the sweep's path machinery), the observed data or the patterns, and the identity
that decides whether a results folder holds this fit.

Nothing is simulated here beyond one pilot week (to learn the hospital's size and the
recorded series), so bad input is reported in a second, with file, field and what is
allowed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import annotated_types

from ..runner import run
from ..scenario import (Scenario, ScenarioError, load_scenario, numeric_kind, sweep_field,
                        validate_scenario)
from ..sweep.design import set_path
from .schema import ChoicePrior, IntegerPrior, NormalPrior
from .target import DataTarget, PatternsTarget, read_data, read_patterns


@dataclass(frozen=True)
class PriorSpec:
    """One fitted field: its dotted path, pyABC's name for it and its prior."""

    path: str
    prior: object            # a schema prior (UniformPrior, ...)
    field_range: tuple[float, float]

    @property
    def name(self) -> str:
        # pyABC flattens nested parameter names at dots; keep ours flat
        return self.path.replace(".", "__")

    @property
    def discrete(self) -> bool:
        return isinstance(self.prior, (IntegerPrior, ChoicePrior))

    def decode(self, raw: float):
        """The field value of pyABC's (continuous) coordinate: integer and choice priors
        are uniform over unit cells around each allowed value, rounded here."""
        if isinstance(self.prior, IntegerPrior):
            return int(min(max(round(raw), self.prior.low), self.prior.high))
        if isinstance(self.prior, ChoicePrior):
            index = int(min(max(round(raw), 0), len(self.prior.values) - 1))
            return self.prior.values[index]
        return float(raw)

    def support(self) -> tuple[float, float]:
        """The prior's range in pyABC's coordinate."""
        prior = self.prior
        if isinstance(prior, IntegerPrior):
            return prior.low - 0.5, prior.high + 0.5
        if isinstance(prior, ChoicePrior):
            return -0.5, len(prior.values) - 0.5
        if isinstance(prior, NormalPrior):
            low = prior.low if prior.low is not None else self.field_range[0]
            high = prior.high if prior.high is not None else self.field_range[1]
            return low, high
        return prior.low, prior.high


@dataclass
class FitPlan:
    """A validated fit, before it runs."""

    scenario: Scenario
    source: Path | None
    base: dict                   # the resolved scenario as data, without [fit] and [sweep]
    priors: list[PriorSpec]
    target: DataTarget | PatternsTarget
    clinicians: int

    @property
    def fit(self):
        return self.scenario.fit

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.priors)

    @property
    def reuses_world(self) -> bool:
        """The staff graph is the same for every particle (no prior under [staff])."""
        return not any(p.path.split(".")[0] == "staff" for p in self.priors)

    def identity(self, seed: int) -> str:
        """SHA-256 of what decides the posterior: scenario, [fit], target data, seed."""
        scenario = {k: v for k, v in self.base.items() if k not in ("name", "description")}
        data = {"scenario": scenario, "fit": self.fit.model_dump(mode="json"),
                "target": self.target.identity(), "seed": seed}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _field_range(path: str) -> tuple[float, float]:
    """The [ge, le] bounds the schema puts on a numeric field (±inf where none)."""
    low, high = -math.inf, math.inf
    field = sweep_field(path)
    stack, constraints = [field.annotation], list(field.metadata)
    while stack:
        annotation = stack.pop()
        constraints.extend(getattr(annotation, "__metadata__", ()))
        for item in getattr(annotation, "__metadata__", ()):
            constraints.extend(getattr(item, "metadata", ()))
        stack.extend(getattr(annotation, "__args__", ()) or ())
        origin = getattr(annotation, "__origin__", None)
        if getattr(annotation, "__metadata__", None) and origin is not None:
            stack.append(origin)
    for item in constraints:
        if isinstance(item, (annotated_types.Ge, annotated_types.Gt)):
            low = max(low, float(getattr(item, "ge", getattr(item, "gt", low))))
        if isinstance(item, (annotated_types.Le, annotated_types.Lt)):
            high = min(high, float(getattr(item, "le", getattr(item, "lt", high))))
    return low, high


def _check_value(source, base: dict, path: str, value, where: str) -> None:
    try:
        validate_scenario(set_path(base, path, value))
    except ScenarioError as err:
        detail = f"{err.field}: {err.message}" if err.field and err.field != path else err.message
        raise ScenarioError(source, where, f"value {value!r} is not allowed: {detail}") from None


def _check_prior(source, base: dict, path: str, prior) -> PriorSpec:
    where = f"fit.priors.{path}"
    try:
        kind = numeric_kind(path)
    except ValueError as err:
        raise ScenarioError(source, where, str(err)) from None
    if kind is None and not isinstance(prior, ChoicePrior):
        raise ScenarioError(source, where, f"{path} is not a number; give it a choice prior "
                            "({ distribution = \"choice\", values = [...] })")
    if kind == "int" and not isinstance(prior, (IntegerPrior, ChoicePrior)):
        raise ScenarioError(source, where, f"{path} is a whole number; give it an integer "
                            "prior ({ distribution = \"integer\", low = …, high = … }) or a "
                            "choice")
    field_range = _field_range(path) if kind else (-math.inf, math.inf)
    spec = PriorSpec(path, prior, field_range)
    if isinstance(prior, ChoicePrior):
        for value in prior.values:
            _check_value(source, base, path, value, where)
    else:
        bounds = ((prior.low, prior.high) if isinstance(prior, IntegerPrior)
                  else spec.support())
        for value in bounds:
            if not (field_range[0] <= value <= field_range[1]):
                raise ScenarioError(source, where, f"bound {value!r} is outside the field's "
                                    f"range [{field_range[0]:g}, {field_range[1]:g}]")
            _check_value(source, base, path, value, where)
    return spec


def plan_fit(source: str | Path | Scenario, data: str | Path | None = None) -> FitPlan:
    """Read a scenario with a `[fit]` table and check its priors and target.

    Args:
        source: a scenario file (or a validated Scenario with `fit` set).
        data: an observed-data CSV replacing `[fit.data] file` (the --data flag).

    Raises:
        ScenarioError: naming the file, the field and what is allowed.
    """
    if isinstance(source, Scenario):
        scenario, path = source, None
    else:
        path = Path(source)
        scenario = load_scenario(path)
    fit = scenario.fit
    if fit is None:
        raise ScenarioError(path, "fit", "no [fit] table: add [fit.priors] and [fit.data] or "
                            "[fit.patterns] (see docs/calibration.md)")
    base = scenario.to_dict()
    base.pop("fit", None)
    base.pop("sweep", None)
    priors = [_check_prior(path, base, p, prior) for p, prior in fit.priors.items()]
    pilot = run(scenario.with_overrides(weeks=1, fit=None, sweep=None))
    clinicians = int(pilot.summary["clinicians"])
    if data is not None or fit.data is not None:
        csv = Path(data) if data is not None else (
            (path.parent if path else Path.cwd()) / fit.data.file)
        target = read_data(csv, scenario.weeks, clinicians)
    else:
        target = read_patterns(path, fit.patterns, scenario.weeks, base,
                               list(pilot.timeseries.columns), pilot.summary)
    return FitPlan(scenario=scenario, source=path, base=base, priors=priors, target=target,
                   clinicians=clinicians)
