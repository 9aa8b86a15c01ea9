"""Regenerate a recovery test's observed data: one run of the scenario at its own values
(the truths), seed 2024, written as the CSV its `[fit.data]` names.

    python3 -m campaignsim.fit.recovery scenarios/fit/recovery.toml

The CSV has weekly counts of enrolled, active and disengaged clinicians and cumulative
enrolments through hybrids and broadcast, weeks 1 … weeks, with three weeks left out to
show that missing weeks are allowed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..runner import run
from ..scenario import load_scenario

SEED = 2024
COLUMNS = ["enrolled", "active", "disengaged", "channel:hybrid", "channel:broadcast"]
MISSING_WEEKS = (13, 14, 27)


def observed_csv(scenario, seed: int = SEED) -> str:
    table = run(scenario, seed=seed).timeseries[["week", *COLUMNS]]
    table = table[(table["week"] >= 1) & ~table["week"].isin(MISSING_WEEKS)]
    return table.to_csv(index=False)


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    scenario = load_scenario(path)
    target = path.parent / scenario.fit.data.file
    target.write_text(observed_csv(scenario), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
