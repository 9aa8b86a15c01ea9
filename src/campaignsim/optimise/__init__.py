"""`campaignsim optimise`: whom to appoint as champions (CELF lazy greedy over a
sample-average objective with common random numbers) and how to spend a budget on the
campaign's levers (Optuna's TPE sampler), each choice checked on held-out replicate seeds
against the heuristics or bundled strategies. The method and its guarantee:
docs/optimise.md.

Modules: `schema` (the [optimise] table), `plan` (checks against the scenario),
`evaluate` (candidates × seeds on the lean batch path, in this process, on worker
processes or Dask), `champions` (centralities, heuristics, CELF and plain greedy),
`levers` (costs, the TPE search, the Pareto front), `outputs` (files and figures),
`command` (the command).
"""
