"""Running a scenario: the Python API behind `campaignsim run`.

    >>> import campaignsim
    >>> scenario = campaignsim.load_scenario("scenarios/baseline.toml")   # doctest: +SKIP
    >>> result = campaignsim.run(scenario, seed=7)                          # doctest: +SKIP
    >>> result.summary["final_enrolled_share"]                              # doctest: +SKIP

Batch work (sweeps, `compare`, many seeds) takes the lean path, `run_lean` and
`run_batch`: the same numbers, without the Mesa DataCollector and the per-clinician
agent objects that only users and the teaching page read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pandas as pd

from .model import CampaignModel
from .outcomes import summarise
from .scenario import WEEKS_MAX, Scenario, require_scenario, whole_number
from .world import StaffWorld


@dataclass
class RunResult:
    """A finished run: the model, its weekly time series and its summary."""

    model: CampaignModel
    summary: dict
    _timeseries: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per week 0 … weeks (same columns as timeseries.csv)."""
        if self._timeseries is None:
            self._timeseries = self.model.records.timeseries()
        return self._timeseries

    @property
    def scenario(self) -> Scenario:
        return self.model.spec

    def enrolled_nodes(self) -> set:
        """Graph node ids of the clinicians enrolled or active at the end."""
        return self.model.enrolled_nodes()


def run(scenario: Scenario, seed: int | None = None, weeks: int | None = None) -> RunResult:
    """Run a scenario for its weeks (or `weeks`), seeded by `seed` (default: its own).

    Args:
        scenario: a validated Scenario (see `load_scenario`).
        seed: overrides the scenario's seed.
        weeks: overrides the scenario's number of weeks.

    Returns:
        RunResult with `.timeseries`, `.summary`, `.model` and `.enrolled_nodes()`.
        The model has no Mesa `Clinician` agents (its clinicians are the arrays of
        `model.population`; `model.agents` holds the hybrids and managers).

    Raises:
        ScenarioError: `scenario` is not a Scenario, or `seed` (0 … 2³² − 1) or `weeks`
            (1 … 1040) is not a whole number in its range — checked as the CLI checks them.
    """
    scenario = require_scenario(scenario)
    if weeks is not None:
        scenario = scenario.with_overrides(weeks=whole_number(weeks, "weeks", 1, WEEKS_MAX))
    model = CampaignModel(scenario, seed=seed, clinician_agents=False)
    while model.running:
        model.step()
    return RunResult(model=model, summary=summarise(model))


def lean_model(scenario: Scenario, seed: int | None = None,
               world: StaffWorld | None = None) -> CampaignModel:
    """A model for batch work: no DataCollector and, for the vectorised engine, no Mesa
    `Clinician` objects (its records and arrays hold everything a result reads)."""
    return CampaignModel(scenario, seed=seed, world=world, clinician_agents=False,
                         collect=False)


def run_lean(scenario: Scenario, seed: int | None = None,
             world: StaffWorld | None = None) -> RunResult:
    """`run` on the lean path: the same summary and time series, byte for byte.

    Args:
        scenario: a validated Scenario.
        seed: overrides the scenario's seed.
        world: the staff world of this `[staff]` and seed, if already built.
    """
    model = lean_model(scenario, seed, world)
    while model.running:
        model.step()
    return RunResult(model=model, summary=summarise(model))


def run_batch(scenario: Scenario, seeds: Iterable[int]) -> Iterator[RunResult]:
    """Lean runs of `scenario` at each seed, one after another (yielded, so a long loop
    keeps one model at a time)."""
    for seed in seeds:
        yield run_lean(scenario, seed)
