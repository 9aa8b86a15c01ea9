"""Running a scenario: the Python API behind `campaignsim run`.

    >>> import campaignsim
    >>> scenario = campaignsim.load_scenario("scenarios/baseline.toml")   # doctest: +SKIP
    >>> result = campaignsim.run(scenario, seed=7)                          # doctest: +SKIP
    >>> result.summary["final_enrolled_share"]                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .model import CampaignModel
from .outcomes import summarise
from .scenario import WEEKS_MAX, Scenario, require_scenario, whole_number


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
