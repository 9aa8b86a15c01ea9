"""Loaded by the sweep's fork server only: numba and the compiled kernels, loaded once
there, so that every worker forked from it starts with them instead of importing numba
and loading the kernels from numba's cache itself (~0.45 s a worker, paid again by each
worker of each sweep).

Importing this module runs one tiny batched run (two design points of the bundled
baseline in a hospital of two small departments, two weeks), which loads the kernels a
sweep's batches call. Nothing else imports it: it is a side effect by design, named in
`executors._Processes`'s fork-server preload. Under CAMPAIGNSIM_KERNEL=numpy, or without
numba, it does nothing.
"""

from __future__ import annotations

from .. import kernels

#: The tiny hospital of the warm-up run (its sizes do not matter to the kernels' types).
WARM_STAFF = {"departments": 2, "clinicians_per_department": 12, "hybrids_per_department": 1,
              "managers": 1, "within_department_density": 0.3,
              "between_department_density": 0.05}


def warm() -> None:
    """Run two points of a tiny baseline together for two weeks (loads the kernels)."""
    from ..batch import run_together
    from ..bundled import bundled_folder
    from ..runner import lean_model
    from ..scenario import _merge, read_scenario_data, validate_scenario
    from ..world import StaffWorld

    data = _merge(read_scenario_data(bundled_folder() / "baseline.toml"),
                  {"weeks": 2, "staff": WARM_STAFF})
    scenario = validate_scenario(data)
    world = StaffWorld.build(scenario.staff, scenario.seed)
    run_together([lean_model(scenario, scenario.seed, world) for _ in range(2)])


try:
    if kernels.compiled():  # a wrong CAMPAIGNSIM_KERNEL is the sweep's to report, not ours
        warm()
except Exception:  # noqa: BLE001 - only a warm-up: a worker loads what is missing itself
    pass
