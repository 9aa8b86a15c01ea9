"""campaignsim: how a hospital quality-improvement campaign spreads through its staff.

An agent-based model (Mesa 3, networkx) of managers, hybrid clinical leaders, champions
and clinicians, after Waring & Crompton (2017), "A 'movement for improvement'?".

    import campaignsim
    scenario = campaignsim.load_scenario("scenarios/baseline.toml")
    result = campaignsim.run(scenario, seed=7)
    result.timeseries, result.summary, result.model, result.enrolled_nodes()
"""

from .model import CampaignModel
from .runner import RunResult, run
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = ["CampaignModel", "RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]
__version__ = "0.1.0"
