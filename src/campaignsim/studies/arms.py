"""The arms the stylised facts run: bundled scenarios and small variants of them.

Where the bundled set has no arm for a fact, the fact runs a variant: a bundled file
deep-merged with a few overrides, exactly as a file with `extends` would be. Each variant
is shown on the page as the scenario file that reproduces it (`toml_snippet`), and a
variant changes only what its fact is about.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import load_scenario
from ..scenario import Scenario, _merge, read_scenario_data, validate_scenario

SCENARIOS = Path("scenarios")
#: Fact 8's organisations: bundled in a subfolder, so they stay out of the default
#: `campaignsim compare` set (which reads the top level of scenarios/ only).
CONTEXTS = ("context/high_performing", "context/poor_performing")

#: Up to half the clinicians, so a critical mass anywhere in the fact's 10–40 % shows.
SEED_SHARES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
THRESHOLD_SDS = (0.05, 0.1, 0.2)
ALIGNMENTS = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)
INTENSITIES = (0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)
#: Always run: the baseline, and two bundled strategies that act after the first weeks.
LATE_ARMS = ("baseline", "hybrids_leave", "serious_incident_shock")
SWEEP_NAMES = {  # sweep points that are bundled files
    ("alignment", 1.0): "hybrid_aligned", ("alignment", 0.2): "hybrid_mediating",
    ("intensity", 0.02): "baseline",
}


@dataclass(frozen=True)
class Arm:
    """One arm of an experiment: a bundled file, or a bundled file with `overrides`."""

    scenario: Scenario
    label: str
    overrides: dict | None = None  # None: the bundled file itself
    bundled: str = "baseline"      # the bundled file (its name) this arm is or extends

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def file(self) -> str:
        return f"{SCENARIOS}/{self.bundled}.toml"


def variant(base: dict, name: str, description: str, overrides: dict) -> Scenario:
    """`base` data deep-merged with `overrides`, as `extends = "<base file>"` would."""
    data = _merge(copy.deepcopy(base), copy.deepcopy(overrides))
    data.update(name=name, description=description)
    return validate_scenario(data, name)


def toml_snippet(arm: Arm, extends: str | None = None) -> str:
    """The scenario file that reproduces a variant arm: it extends the arm's bundled file
    (by default as seen from a folder next to `scenarios/`).

    Examples:
        >>> import tomllib
        >>> arm = Arm(Scenario(name="x"), "x", {"hybrids": {"enabled": False},
        ...           "peer": {"threshold": {"distribution": "normal", "mean": 0.25, "sd": 0.2}}})
        >>> data = tomllib.loads(toml_snippet(arm))
        >>> data["extends"], data["hybrids"], data["peer"]["threshold"]["sd"]
        ('../scenarios/baseline.toml', {'enabled': False}, 0.2)
    """
    def value(item) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, dict):
            return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in item.items()) + " }"
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return json.dumps(item)

    extends = extends if extends is not None else f"../{arm.file}"
    lines = [f"extends = {json.dumps(extends)}", f"description = {json.dumps(arm.scenario.description)}"]
    for table, fields in arm.overrides.items():
        lines += ["", f"[{table}]"] + [f"{key} = {value(v)}" for key, v in fields.items()]
    return "\n".join(lines)


def distribution_mean(distribution) -> float:
    """Mean of a clinician attribute: a number, or a beta/normal/uniform table.

    Examples:
        >>> distribution_mean(0.4)
        0.4
    """
    if isinstance(distribution, float | int):
        return float(distribution)
    kind = distribution.distribution
    return (distribution.a / (distribution.a + distribution.b) if kind == "beta" else
            distribution.mean if kind == "normal" else (distribution.low + distribution.high) / 2)


def mixed_density(staff: dict) -> float:
    """Tie probability of an unclustered graph with the same expected ties as `staff`.

    Examples:
        >>> mixed_density({"departments": 2, "clinicians_per_department": 3,
        ...                "within_department_density": 0.5, "between_department_density": 0.0})
        0.2
    """
    sizes = staff["clinicians_per_department"]
    sizes = np.array(sizes if isinstance(sizes, list) else [sizes] * staff["departments"])
    within = float(np.sum(sizes * (sizes - 1) / 2))
    total = float(sizes.sum() * (sizes.sum() - 1) / 2)
    ties = (staff["within_department_density"] * within
            + staff["between_department_density"] * (total - within))
    return round(ties / total, 6)


def fewer_clinicians(staff: dict) -> list[int]:
    """Department sizes with `hybrids_per_department` random clinicians removed from each."""
    sizes = staff["clinicians_per_department"]
    sizes = sizes if isinstance(sizes, list) else [sizes] * staff["departments"]
    return [max(1, size - staff["hybrids_per_department"]) for size in sizes]


def sweep_name(kind: str, value: float, prefix: str) -> str:
    return SWEEP_NAMES.get((kind, value), f"{prefix}{value}")


def build_arms(folder: Path = SCENARIOS) -> dict[str, Arm]:
    """Every arm of every fact, by name: the bundled files and the variants."""
    arms = {}
    for path in sorted(folder.glob("*.toml")):
        scenario = load_scenario(path)
        arms[scenario.name] = Arm(scenario, scenario.name, bundled=path.stem)
    base = read_scenario_data(folder / "baseline.toml")
    staff, peer = base["staff"], base["peer"]

    def add(name: str, label: str, description: str, overrides: dict,
            data: dict = base, bundled: str = "baseline") -> None:
        arms[name] = Arm(variant(data, name, description, overrides), label, overrides, bundled)

    no_event = {"events": {"enabled": False}}
    add("no_launch_event", "no launch event", "Baseline without the launch event", no_event)
    add("no_hybrids", "no hybrids", "Baseline, hybrids do not campaign",
        {"hybrids": {"enabled": False}})
    fewer = {"staff": {"clinicians_per_department": fewer_clinicians(staff)}}
    add("fewer_clinicians", "as many random clinicians removed",
        "Baseline with hybrids_per_department random clinicians fewer in each department", fewer)
    add("no_launch_event_no_hybrids", "no launch event, no hybrids",
        "No launch event, hybrids do not campaign", {**no_event, "hybrids": {"enabled": False}})
    add("no_launch_event_fewer_clinicians", "no launch event, random clinicians removed",
        "No launch event, hybrids_per_department random clinicians fewer per department",
        {**no_event, **fewer})

    for alignment in ALIGNMENTS:
        if ("alignment", alignment) not in SWEEP_NAMES:
            add(f"hybrids_alignment_{alignment}", f"alignment {alignment}",
                f"Hybrids with alignment {alignment}", {"hybrids": {"alignment": alignment}})

    peer_only = {"broadcast": {"enabled": False}, "events": {"enabled": False},
                 "hybrids": {"enabled": False}}
    for sd in THRESHOLD_SDS:
        for share in SEED_SHARES:
            add(f"peer_only_seeds{share}_sd{sd}", f"seeds {share:.1%}, sd {sd}",
                f"Peer influence only: {share:.1%} random seeds, threshold sd {sd}",
                {**peer_only, "seeding": {"share": share, "rule": "random"},
                 "peer": {"threshold": {**peer["threshold"], "sd": sd}}})
    density = mixed_density(staff)
    for share in SEED_SHARES:
        add(f"peer_only_mixed_seeds{share}", f"seeds {share:.1%}, no clustering",
            f"Peer influence only: {share:.1%} random seeds, ties not clustered by department",
            {**peer_only, "seeding": {"share": share, "rule": "random"},
             "staff": {"within_department_density": density,
                       "between_department_density": density}})
    for sd in THRESHOLD_SDS:
        if sd != peer["threshold"]["sd"]:
            add(f"baseline_threshold_sd{sd}", f"baseline, threshold sd {sd}",
                f"Baseline with threshold sd {sd}",
                {"peer": {"threshold": {**peer["threshold"], "sd": sd}}})

    champions = read_scenario_data(folder / "champions_network.toml")
    random_champions = {"staff": {"champions": champions["staff"]["champions"]},
                        "champions": {**champions["champions"], "rule": "random"}}
    add("champions_random", "champions chosen at random",
        "As champions_network, champions chosen at random", random_champions)
    add("no_launch_event_champions", "no launch event, champions by degree",
        "No launch event, champions as in champions_network",
        {**no_event, "staff": {"champions": champions["staff"]["champions"]},
         "champions": champions["champions"]})

    # Bass p is the broadcast hazard × mean resonance, which without co-design is the mean
    # trust in management (docs/model.md §7.3).
    resonance = distribution_mean(arms["baseline"].scenario.clinicians.trust_in_management)
    bass = {"events": {"enabled": False}, "hybrids": {"enabled": False}}
    for name, label, intensity, q in (("broadcast_led", "broadcast-led (high p)", 0.06, 0.038),
                                      ("peer_led", "peer-led (high q)", 0.006, 0.38)):
        add(name, label, f"Broadcast {intensity} a week (p about {intensity * resonance:.2g}), "
            f"Bass peer rule q = {q}",
            {**bass, "broadcast": {"intensity": intensity}, "peer": {"rule": "bass", "q": q}})

    for intensity in INTENSITIES:
        if ("intensity", intensity) not in SWEEP_NAMES:
            add(f"broadcast_{intensity}", f"broadcast {intensity}",
                f"Baseline with broadcast intensity {intensity} all year",
                {"broadcast": {"intensity": intensity}})
    add("broadcast_0.16_no_fatigue", "broadcast 0.16, fatigue off",
        "Broadcast intensity 0.16 all year with the fatigue mechanism off",
        {"broadcast": {"intensity": 0.16}, "fatigue": {"enabled": False}})

    for bundled in CONTEXTS:
        path = folder / f"{bundled}.toml"
        organisation = load_scenario(path)
        label = organisation.name.replace("_", "-") + " organisation"
        arms[organisation.name] = Arm(organisation, label, bundled=bundled)
        add(f"{organisation.name}_no_hybrids", f"{label}, no hybrids",
            f"{organisation.description}; hybrids do not campaign",
            {"hybrids": {"enabled": False}}, read_scenario_data(path), bundled)
    return arms
