"""Shared helpers for the campaignsim test suite."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from campaignsim.scenario import Scenario, validate_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def scenario(**data) -> Scenario:
    """A validated scenario from keyword tables (as a TOML file would give them)."""
    return validate_scenario(data)


def staff(clinicians: int = 100, departments: int = 1, **fields) -> dict:
    """A `[staff]` table: by default one department, no ties, no hybrids, no managers."""
    table = {
        "departments": departments,
        "clinicians_per_department": clinicians,
        "hybrids_per_department": 0,
        "managers": 0,
        "within_department_density": 0.0,
        "between_department_density": 0.0,
    }
    table.update(fields)
    return table


def write(path: Path, text: str) -> Path:
    """Write dedented text to `path` (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def binomial_se(p: float, n: int) -> float:
    """Standard error of a share estimated from n independent Bernoulli(p) trials."""
    return math.sqrt(p * (1.0 - p) / n)


#: A small campaign (3 departments of 40) for comparisons: broadcast, cascade peers,
#: activation and erosion on.
SMALL_CAMPAIGN = {
    "weeks": 20,
    "staff": {"departments": 3, "clinicians_per_department": 40, "hybrids_per_department": 1,
              "managers": 2, "within_department_density": 0.2},
    "broadcast": {"intensity": 0.03},
    "peer": {"rule": "cascade", "q": 0.05},
    "activation": {}, "erosion": {},
}


def small_campaign(**tables) -> Scenario:
    """SMALL_CAMPAIGN with tables (and name) replaced."""
    return validate_scenario({**SMALL_CAMPAIGN, **tables})
