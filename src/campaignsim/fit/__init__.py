"""Calibration (`campaignsim fit`): which settings of a scenario's levers are consistent
with what was observed — a campaign's weekly counts, or a set of qualitative patterns —
and how sure we can be, as an ABC-SMC posterior computed with pyABC.

Modules: `schema` (the `[fit]` table), `plan` (priors and target checked against the
scenario before anything runs), `target` (observed data, patterns and their distances),
`simulate` (one particle = runs of the scenario with the particle's values applied as a
sweep applies a design point), `engine` (pyABC wiring, one generation at a time so that a
killed fit resumes exactly), `outputs` (posterior.parquet, fitted.toml, figures).

Nothing here is imported by `campaignsim run`; pyABC is imported only when a fit runs.
"""

