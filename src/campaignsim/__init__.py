"""campaignsim: how a hospital quality-improvement campaign spreads through its staff.

An agent-based model (Mesa 3, networkx) of managers, hybrid clinical leaders, champions
and clinicians, after Waring & Crompton (2017), "A 'movement for improvement'?".

    import campaignsim
    scenario = campaignsim.load_scenario("scenarios/baseline.toml")
    result = campaignsim.run(scenario, seed=7)
    result.timeseries, result.summary, result.model, result.enrolled_nodes()
"""

from .limits import ScenarioError

__all__ = ["CampaignModel", "RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The schema (pydantic) and the model (Mesa, networkx, scipy) load on first use, so
    # that the command line answers --help at once and refuses a bad scenario or one too
    # large for memory in well under a second.
    if name in ("Scenario", "load_scenario"):
        from . import scenario
        return getattr(scenario, name)
    if name == "CampaignModel":
        from .model import CampaignModel
        return CampaignModel
    if name in ("RunResult", "run"):
        from . import runner
        return getattr(runner, name)
    raise AttributeError(f"module 'campaignsim' has no attribute {name!r}")
