"""Scenario files: the TOML schema, `extends` inheritance and clear errors.

A scenario file describes one campaign design. It is data: parsed with `tomllib`,
validated once by the pydantic schema below, and trusted by the engine afterwards.
Every mechanism table (`[broadcast]`, `[hybrids]`, ...) is off unless the file has it;
a table turns its mechanism on, and `enabled = false` turns an inherited one off again.

Each field carries its default, unit, valid range and a one-line meaning; the source of
each default is given in docs/model.md (memo sections refer to
shared/research/paper_memo.md; "choice" marks a modelling choice, not evidence).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)
from typing_extensions import TypeAliasType

# The [fit] and [optimise] tables' schemas live with their commands; they import nothing
# from here.
from .dotted import flatten_paths
from .fit.schema import Fit
from .optimise.schema import Optimise
# Re-exported here, where callers find them; defined apart so that the command line can
# parse its flags without loading pydantic.
from .limits import (REPLICATIONS_MAX, SEED_MAX, WEEKS_MAX, WORKERS_MAX,  # noqa: F401
                     ScenarioError, whole_number)

STATES = ("unaware", "aware", "enrolled", "active", "disengaged")
CHANNELS = ("seed", "broadcast", "event", "mandate", "hybrid", "peer", "champion")
PROFESSIONS = ("doctor", "nurse", "allied")
MECHANISMS = (
    "broadcast", "events", "mandate", "codesign", "hybrids", "champions",
    "peer", "awareness", "activation", "fatigue", "erosion", "shock",
)


def _field(default: Any, description: str, unit: str = "", **constraints: Any) -> Any:
    """A schema field with its meaning and unit kept for docs/scenarios.md."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **constraints)


class Strict(BaseModel):
    """Base for every table: unknown keys are errors, never silently ignored."""

    # strict: a TOML value of the wrong type (weeks = "10", managers = true) is an error,
    # not silently coerced; integers are still accepted where a float is expected.
    # TOML has nan and inf; no field means either (they would spread NaN through the run).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --- distributions for clinician attributes ----------------------------------------


class Normal(Strict):
    """Normal distribution, clipped to the field's range."""

    distribution: Literal["normal"]
    mean: float = _field(..., "mean")
    sd: float = _field(..., "standard deviation", ge=0)


class Beta(Strict):
    """Beta(a, b) distribution on [0, 1]."""

    distribution: Literal["beta"]
    a: float = _field(..., "first shape parameter", gt=0)
    b: float = _field(..., "second shape parameter", gt=0)


class Uniform(Strict):
    """Uniform distribution on [low, high]."""

    distribution: Literal["uniform"]
    low: float = _field(..., "lower bound")
    high: float = _field(..., "upper bound")

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self


Distribution = Annotated[Union[Normal, Beta, Uniform], Field(discriminator="distribution")]
Unit = Annotated[float, Field(ge=0, le=1)]
#: A clinician attribute on [0, 1]: a fixed number or a distribution table.
Attribute = Union[Unit, Distribution]


def sample_attribute(value: Attribute, n: int, rng, low: float = 0.0, high: float = 1.0):
    """Draw `n` values of an attribute from the model's generator, clipped to [low, high].

    Examples:
        >>> import numpy as np
        >>> sample_attribute(0.3, 3, np.random.default_rng(0)).tolist()
        [0.3, 0.3, 0.3]
    """
    import numpy as np

    if isinstance(value, Normal):
        draws = rng.normal(value.mean, value.sd, n)
    elif isinstance(value, Beta):
        draws = rng.beta(value.a, value.b, n)
    elif isinstance(value, Uniform):
        draws = rng.uniform(value.low, value.high, n)
    else:
        draws = np.full(n, float(value))
    return np.clip(draws, low, high)


# --- the staff ---------------------------------------------------------------------


class Professions(Strict):
    """Profession shares of generated clinicians (they must sum to 1)."""

    doctor: float = _field(0.25, "share of doctors", "share", ge=0, le=1)
    nurse: float = _field(0.55, "share of nurses", "share", ge=0, le=1)
    allied: float = _field(0.20, "share of allied health professionals", "share", ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> "Professions":
        total = self.doctor + self.nurse + self.allied
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"doctor + nurse + allied must sum to 1 (they sum to {total:g})")
        return self


DepartmentSize = Annotated[int, Field(ge=1, le=200_000)]


class Staff(Strict):
    """The staff graph: generated from these numbers, or loaded from `graph`."""

    graph: str | None = _field(
        None, "GraphML file or CSV edge list (source,target) to load instead of generating; "
        "relative to the scenario file", "path")
    nodes: str | None = _field(
        None, "node CSV (id,role,department,profession[,threshold,trust_in_management]) "
        "for a CSV edge list, listing every node of the edge list once (isolated nodes "
        "may be added); relative to the scenario file", "path")
    departments: int = _field(12, "number of departments", "departments", ge=1, le=1000)
    clinicians_per_department: DepartmentSize | list[DepartmentSize] = _field(
        80, "clinicians in each department: one number, or a list with one per department "
        "(each 1-200000)", "clinicians")
    professions: Professions = _field(Professions(), "profession shares of clinicians")
    hybrids_per_department: int = _field(
        2, "hybrid clinical leaders in each department", "hybrids", ge=0, le=100)
    managers: int = _field(6, "managers running the campaign", "managers", ge=0, le=1000)
    champions: int = _field(
        0, "clinicians given the champion (staff representative) role, hospital-wide; "
        "chosen by [champions] rule", "clinicians", ge=0, le=100_000)
    within_department_density: float = _field(
        0.19, "probability of a tie between two clinicians of the same department",
        "probability", ge=0, le=1)
    between_department_density: float = _field(
        0.0025, "probability of a tie between two clinicians of different departments",
        "probability", ge=0, le=1)
    profession_homophily: float = _field(
        0.0, "professional silos: 0 = ties ignore profession, 1 = no cross-profession ties "
        "(expected degree kept)", "", ge=0, le=1)

    @model_validator(mode="after")
    def _list_matches_departments(self) -> "Staff":
        sizes = self.clinicians_per_department
        if isinstance(sizes, list) and len(sizes) != self.departments:
            raise ValueError(
                f"clinicians_per_department has {len(sizes)} entries for "
                f"{self.departments} departments")
        if self.nodes and not self.graph:
            raise ValueError("nodes needs graph (a CSV edge list)")
        return self


class Clinicians(Strict):
    """Clinician attributes (each a number or a distribution table, clipped to [0, 1])."""

    trust_in_management: Attribute = _field(
        Beta(distribution="beta", a=2, b=2),
        "trust in management: how far a top-down frame resonates", "0-1")


class Seeding(Strict):
    """Clinicians enrolled at week 0 (grassroots seeds), by id or by a named rule."""

    nodes: list[int | str] = _field([], "graph node ids enrolled at week 0", "node ids")
    count: int = _field(0, "number of seed clinicians chosen by `rule`", "clinicians",
                        ge=0, le=1_000_000)
    share: float = _field(0.0, "share of clinicians chosen by `rule`", "share", ge=0, le=1)
    rule: Literal["random", "degree", "betweenness"] = _field(
        "random", "how seeds are chosen: random, highest degree, highest betweenness")

    @model_validator(mode="after")
    def _one_way(self) -> "Seeding":
        if sum(bool(x) for x in (self.nodes, self.count, self.share)) > 1:
            raise ValueError("give only one of nodes, count or share")
        return self


# --- mechanisms --------------------------------------------------------------------


class Mechanism(Strict):
    enabled: bool = _field(True, "the table turns its mechanism on; false turns it off")


class Broadcast(Mechanism):
    """Managerial communications: weekly hazard intensity × resonance × (1 − fatigue)."""

    intensity: float = _field(0.02, "weekly enrolment hazard of a fully resonant broadcast",
                              "per week", ge=0, le=1)
    start_week: int = _field(1, "first week of broadcasting", "week", ge=1)
    end_week: int | None = _field(None, "last week of broadcasting (none = to the end)",
                                  "week", ge=1)
    ownership: float = _field(0.3, "ownership of an enrolment through broadcast", "0-1",
                              ge=0, le=1)


class Events(Mechanism):
    """Campaign events and pledge days: pulses in the weeks listed."""

    weeks: list[Annotated[int, Field(ge=1)]] = _field([1], "weeks with an event", "weeks")
    reach: float = _field(0.3, "enrolment hazard of a fully resonant event", "probability",
                          ge=0, le=1)
    ownership: float = _field(0.3, "ownership of an enrolment at an event", "0-1", ge=0, le=1)


class Mandate(Mechanism):
    """Mandates and targets: compliance enrolment under pressure, with backlash."""

    start_week: int = _field(1, "week the mandate starts", "week", ge=1)
    end_week: int | None = _field(None, "last week of the mandate (none = to the end)",
                                  "week", ge=1)
    pressure: float = _field(0.05, "weekly compliance-enrolment hazard", "per week", ge=0, le=1)
    backlash: float = _field(0.5, "backlash per unit pressure, scaled by distrust: "
                             "P(disengage) = pressure × backlash × (1 − trust)", "", ge=0, le=1)
    ownership: float = _field(0.1, "ownership of a compliance enrolment", "0-1", ge=0, le=1)


class Codesign(Mechanism):
    """Co-designed content: resonates regardless of trust, is owned more, drifts from plan."""

    share: float = _field(0.3, "share of the campaign's content co-designed with clinicians",
                          "0-1", ge=0, le=1)
    ownership_boost: float = _field(
        0.5, "ownership gain at enrolment: o += (1 − o) × share × boost", "", ge=0, le=1)


class Hybrids(Mechanism):
    """Hybrid clinical leaders approach clinicians of their department each week."""

    capacity: int = _field(3, "clinicians a hybrid approaches each week", "per week",
                           ge=0, le=1000)
    alignment: Attribute = _field(
        0.8, "alignment with management: 1 = mouthpiece, 0 = creative mediator", "0-1")
    credibility: float = _field(0.7, "initial credibility with clinicians", "0-1", ge=0, le=1)
    credibility_max: float = _field(0.9, "credibility a fully mediating hybrid tends to",
                                    "0-1", ge=0, le=1)
    credibility_rate: float = _field(0.1, "weekly adjustment rate of credibility", "per week",
                                     ge=0, le=1)
    legitimacy_cost: float = _field(
        0.5, "credibility lost by full alignment: target = max × (1 − cost × alignment)",
        "", ge=0, le=1)
    adapted_resonance: float = _field(
        0.9, "resonance of a frame adapted to clinical values (mediation)", "0-1", ge=0, le=1)
    approach: Literal["aware_first", "random"] = _field(
        "aware_first", "whom to approach: aware-but-not-enrolled first, or at random")
    ownership_base: float = _field(0.3, "ownership of a hybrid enrolment at full alignment",
                                   "0-1", ge=0, le=1)
    ownership_mediation: float = _field(
        0.6, "extra ownership × (1 − alignment)", "0-1", ge=0, le=1)
    leave_week: int | None = _field(None, "week in which hybrids leave (none = never)",
                                    "week", ge=1)
    leave_share: float = _field(0.5, "share of hybrids that leave in leave_week", "share",
                                ge=0, le=1)

    @model_validator(mode="after")
    def _ownership_at_most_one(self) -> "Hybrids":
        # A mediating hybrid's enrolment is owned ownership_base + ownership_mediation.
        if self.ownership_base + self.ownership_mediation > 1.0 + 1e-9:
            raise ValueError("ownership_base + ownership_mediation must be <= 1 (the ownership "
                             "of an enrolment by a fully mediating hybrid)")
        return self


class Champions(Mechanism):
    """Champions (staff representatives): start enrolled, persuade their neighbours."""

    rule: Literal["random", "degree", "betweenness", "formal"] = _field(
        "random", "how the [staff] champions are chosen (formal = role in the graph file)")
    nodes: list[int | str] = _field(
        [], "graph node ids of the clinicians made champions, instead of `rule` and [staff] "
        "champions (as `campaignsim optimise` writes them in choice.toml)", "node ids")
    weight: float = _field(1.0, "weight of a champion in neighbours' peer influence", "",
                           ge=0, le=100)
    capacity: int = _field(2, "neighbours a champion approaches each week", "per week",
                           ge=0, le=1000)
    persuasion: float = _field(0.1, "enrolment hazard of a champion's approach", "probability",
                               ge=0, le=1)
    ownership: float = _field(0.8, "champions' own ownership", "0-1", ge=0, le=1)
    convert_ownership: float = _field(0.6, "ownership of an enrolment by a champion", "0-1",
                                      ge=0, le=1)

    @field_validator("nodes")
    @classmethod
    def _distinct(cls, nodes: list) -> list:
        seen: set = set()
        repeated = list(dict.fromkeys(str(n) for n in nodes if str(n) in seen or seen.add(str(n))))
        if repeated:
            raise ValueError(f"node ids listed more than once: {', '.join(repeated[:10])}; "
                             "name each champion once")
        return nodes


class Peer(Mechanism):
    """Peer influence among clinicians through the staff graph."""

    rule: Literal["threshold", "cascade", "bass"] = _field(
        "threshold", "threshold: enrol when enrolled share of neighbours >= threshold; "
        "cascade: each enrolled neighbour persuades with probability q; bass: hazard q × share")
    threshold: Attribute = _field(
        Normal(distribution="normal", mean=0.25, sd=0.1),
        "threshold (share of enrolled neighbours) for rule = threshold", "share")
    q: float = _field(0.05, "imitation probability per enrolled neighbour (cascade) or per "
                      "unit enrolled share (bass)", "per week", ge=0, le=1)
    cynicism: float = _field(0.0, "weight with which disengaged neighbours count against", "",
                             ge=0, le=10)
    ownership: float = _field(0.6, "ownership of an enrolment through peers", "0-1",
                              ge=0, le=1)


class Awareness(Mechanism):
    """Awareness as a process: an unaware clinician becomes aware only through a channel
    that reaches her this week, each with its own probability (without this table any
    push makes every unenrolled clinician aware)."""

    broadcast: float = _field(0.05, "weekly probability that a running broadcast makes an "
                              "unaware clinician aware", "per week", ge=0, le=1)
    event: float = _field(0.3, "probability that an event makes an unaware clinician aware",
                          "per event", ge=0, le=1)
    mandate: float = _field(1.0, "weekly probability that a running mandate makes an unaware "
                            "clinician aware", "per week", ge=0, le=1)
    approach: float = _field(1.0, "probability that a hybrid's or champion's approach makes "
                             "an unaware clinician aware", "per approach", ge=0, le=1)
    neighbour: float = _field(0.1, "weekly probability that one enrolled or active neighbour "
                              "(of weight 1) makes an unaware clinician aware; needs [peer]",
                              "per neighbour", ge=0, le=1)
    unaware_enrol: bool = _field(False, "the unaware can enrol in the week a channel reaches "
                                 "them (true), or must first become aware (false)")


class Activation(Mechanism):
    """Enrolled → active (doing improvement work), and ideas co-produced by the active."""

    rate: float = _field(0.1, "weekly activation probability per unit ownership", "per week",
                         ge=0, le=1)
    ideas_rate: float = _field(0.05, "weekly probability that an active, owning clinician "
                               "proposes an idea", "per week", ge=0, le=1)


class Fatigue(Mechanism):
    """Campaign fatigue from tempo, with recovery."""

    load: float = _field(0.5, "fatigue added per unit of weekly push", "", ge=0, le=100)
    recovery: float = _field(0.1, "weekly share of fatigue that recovers", "per week", ge=0, le=1)


class Erosion(Mechanism):
    """Enrolled or active → disengaged, slower with ownership."""

    rate: float = _field(0.02, "weekly erosion probability at zero ownership and fatigue",
                         "per week", ge=0, le=1)
    active_factor: float = _field(0.5, "erosion multiplier for the active", "", ge=0, le=1)
    recovery: float = _field(0.0, "weekly probability that a disengaged clinician returns "
                             "to aware", "per week", ge=0, le=1)


class Shock(Mechanism):
    """A serious incident in `week` raises the frame's resonance, decaying by half-life."""

    week: int = _field(26, "week of the incident", "week", ge=1)
    size: float = _field(0.3, "resonance added in the incident week", "0-1", ge=0, le=1)
    half_life: float = _field(4.0, "half-life of the effect", "weeks", gt=0, le=520)


# --- sweeps ------------------------------------------------------------------------

#: Top-level fields a sweep cannot vary: each replicate has its own seed, and the name,
#: the description, the sweep and the fit label the design rather than a run.
UNSWEPT = ("name", "description", "seed", "sweep", "fit", "optimise")


def _table_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models (tables, distribution tables) an annotation can hold."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        for model in _table_models(arg):
            if model not in found:
                found.append(model)
    metadata = getattr(annotation, "__metadata__", ())
    if metadata:  # Annotated[X, ...]: look inside X
        for model in _table_models(annotation.__origin__):
            if model not in found:
                found.append(model)
    return found


def _leaf_types(annotation: Any) -> set:
    """The plain types (int, float, bool, str, list, ...) an annotation can hold."""
    if getattr(annotation, "__metadata__", None):
        return _leaf_types(annotation.__origin__)
    args = getattr(annotation, "__args__", None)
    origin = getattr(annotation, "__origin__", None)
    if origin is list or origin is dict:
        return {origin}
    if args and origin is not Literal:
        return set().union(*(_leaf_types(a) for a in args))
    if origin is Literal:
        return {type(v) for v in args}
    return {annotation}


def sweep_field(path: str):
    """The schema field a dotted sweep path names, e.g. "hybrids.alignment".

    Raises:
        ValueError: naming the path, where it went wrong and the fields allowed there.

    Examples:
        >>> sweep_field("hybrids.capacity").annotation
        <class 'int'>
        >>> sweep_field("hybrids.capacty")
        Traceback (most recent call last):
        ...
        ValueError: unknown parameter 'hybrids.capacty': [hybrids] has no field 'capacty'; allowed: enabled, capacity, alignment, credibility, credibility_max, credibility_rate, legitimacy_cost, adapted_resonance, approach, ownership_base, ownership_mediation, leave_week, leave_share
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ValueError(f"parameter path {path!r} is empty or has an empty part; "
                         "write table.field, e.g. \"hybrids.alignment\"")
    if parts[0] in UNSWEPT:
        reason = ("each replicate has its own seed, from the scenario seed and the replicate "
                  "index (set [sweep] replications)" if parts[0] == "seed"
                  else "it labels the design, not a run")
        raise ValueError(f"parameter {path!r} cannot be swept: {reason}")
    models: list[type[BaseModel]] = [Scenario]
    field = None
    for depth, part in enumerate(parts):
        fields: dict = {}
        for model in models:
            fields.update(model.model_fields)
        if depth == 0:
            fields = {k: v for k, v in fields.items() if k not in UNSWEPT}
        if part not in fields:
            where = ".".join(parts[:depth])
            table = f"[{where}]" if where else "the top level"
            raise ValueError(f"unknown parameter {path!r}: {table} has no field {part!r}; "
                             f"allowed: {', '.join(fields)}")
        field = fields[part]
        models = _table_models(field.annotation)
        if depth < len(parts) - 1 and not models:
            raise ValueError(f"unknown parameter {path!r}: {'.'.join(parts[:depth + 1])} is a "
                             "value, not a table")
    return field


def numeric_kind(path: str) -> str | None:
    """"int" or "float" if a sweep path names a numeric field (else None).

    Examples:
        >>> numeric_kind("hybrids.capacity"), numeric_kind("hybrids.alignment")
        ('int', 'float')
        >>> numeric_kind("peer.rule") is None
        True
    """
    types_ = _leaf_types(sweep_field(path).annotation)
    if float in types_:
        return "float"
    if int in types_:
        return "int"
    return None


#: A sampled range: [low, high].
Range = Annotated[list[float], Field(min_length=2, max_length=2)]
# Named types, so that the generated reference (docs/scenarios.md) says what goes in them.
Grid = TypeAliasType("table of \"table.field\" = [values]", dict[str, list[Any]])
Ranges = TypeAliasType("table of \"table.field\" = [low, high]", dict[str, Range])


class Sample(Strict):
    """A sampled design over numeric ranges, for sensitivity analysis (`campaignsim sensitivity`)."""

    method: Literal["latin", "sobol", "morris"] = _field(
        "latin", "latin: Latin hypercube of `samples` points; sobol: Saltelli's scheme, "
        "samples × (D + 2) points (× (2D + 2) with second_order), for Sobol' indices; morris: "
        "`samples` trajectories of D + 1 points, for Morris elementary effects (D = number of "
        "ranges)")
    samples: int = _field(..., "N, the size of the design (see method); a power of 2 for "
                          "sobol", "", ge=1, le=1_000_000)
    ranges: Ranges = _field(
        ..., "the range of each swept field, e.g. \"hybrids.alignment\" = [0, 1] (paths as in "
        "[sweep.grid]); values are drawn uniformly in it, integer fields rounded", "")
    levels: int = _field(4, "morris: levels of the grid the trajectories move on", "levels",
                         ge=2, le=100)
    second_order: bool = _field(False, "sobol: also sample for second-order indices")

    @field_validator("ranges", mode="before")
    @classmethod
    def _dotted_ranges(cls, value: Any) -> Any:
        return flatten_paths(value) if isinstance(value, dict) else value

    @field_validator("ranges")
    @classmethod
    def _check_ranges(cls, ranges: dict) -> dict:
        if not ranges:
            raise ValueError("no ranges: give at least one \"table.field\" = [low, high]")
        problems = []
        for path, (low, high) in ranges.items():
            try:
                kind = numeric_kind(path)
            except ValueError as err:
                problems.append(str(err))
                continue
            if kind is None:
                problems.append(f"{path!r} is not a numeric field: sample ranges need numbers "
                                "(sweep other fields with [sweep.grid])")
            elif not low < high:
                problems.append(f"range of {path!r} needs low < high (got [{low:g}, {high:g}])")
        if problems:
            raise ValueError("; ".join(problems))
        return ranges

    @model_validator(mode="after")
    def _check(self) -> "Sample":
        problems = []
        if self.method == "sobol" and self.samples & (self.samples - 1):
            problems.append(f"sobol needs samples to be a power of 2 (got {self.samples}; "
                            f"try {1 << (self.samples.bit_length() - 1)} or "
                            f"{1 << self.samples.bit_length()})")
        if self.method == "morris" and self.levels % 2:
            problems.append(f"morris needs an even number of levels (got {self.levels})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Sweep(Strict):
    """A sweep (`campaignsim sweep`): the scenario run at every point of a grid or a sampled design, `replications` times each. `campaignsim run` and `compare` ignore it."""

    replications: int = _field(
        10, "runs of each design point; replicate i of every point has the same seed (common "
        "random numbers), derived from the scenario seed and i only", "runs", ge=1, le=100_000)
    grid: Grid | None = _field(
        None, "the values each swept field takes, e.g. \"hybrids.alignment\" = [0.2, 0.8]; "
        "every combination is run (Cartesian product). A path is a field of this reference "
        "(\"table.field\"); setting a field of an absent mechanism table turns it on", "")
    sample: Sample | None = None

    @field_validator("grid", mode="before")
    @classmethod
    def _dotted_grid(cls, value: Any) -> Any:
        return flatten_paths(value) if isinstance(value, dict) else value

    @field_validator("grid")
    @classmethod
    def _check_grid(cls, grid: dict | None) -> dict | None:
        if grid is None:
            return grid
        if not grid:
            raise ValueError("the grid is empty: give at least one \"table.field\" = [values]")
        problems = []
        for path, values in grid.items():
            try:
                sweep_field(path)
            except ValueError as err:
                problems.append(str(err))
                continue
            if not values:
                problems.append(f"{path!r} has an empty list of values")
            elif any(isinstance(v, float) and not math.isfinite(v) for v in values):
                problems.append(f"{path!r} has a value that is not a finite number (nan or "
                                "inf); give finite numbers")
        if problems:
            raise ValueError("; ".join(problems))
        return grid

    @model_validator(mode="after")
    def _one_design(self) -> "Sweep":
        if (self.grid is None) == (self.sample is None):
            raise ValueError("give either a grid ([sweep.grid]: path = [values]) or a sample "
                             "([sweep.sample]: method, samples, ranges), not both or neither")
        return self


class Scenario(Strict):
    """One campaign design: the hospital, the clinicians and the mechanisms turned on."""

    # Not dots alone: "." or ".." would name a results folder outside results/.
    name: str = _field("scenario", "scenario name (default: the file name); names the "
                       "results folder", "",
                       pattern=r"^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$", max_length=100)
    description: str = _field("", "what the scenario asks")
    seed: int = _field(0, "seed of the model's random generator", "", ge=0, le=SEED_MAX)
    weeks: int = _field(52, "weeks simulated (one step = one week)", "weeks", ge=1, le=WEEKS_MAX)
    engine: Literal["vectorised", "agents"] = _field(
        "vectorised", "vectorised: all clinicians in one array step (fast); agents: each "
        "clinician decides in its own Mesa step (the readable reference; same results)")
    staff: Staff = _field(Staff(), "the staff graph")
    clinicians: Clinicians = _field(Clinicians(), "clinician attributes")
    seeding: Seeding = _field(Seeding(), "initially enrolled clinicians")
    broadcast: Broadcast | None = None
    events: Events | None = None
    mandate: Mandate | None = None
    codesign: Codesign | None = None
    hybrids: Hybrids | None = None
    champions: Champions | None = None
    peer: Peer | None = None
    awareness: Awareness | None = None
    activation: Activation | None = None
    fatigue: Fatigue | None = None
    erosion: Erosion | None = None
    shock: Shock | None = None
    sweep: Sweep | None = None
    fit: Fit | None = None
    optimise: Optimise | None = None

    def on(self, mechanism: str):
        """The mechanism's table if it is turned on, else None.

        Examples:
            >>> Scenario(broadcast={"intensity": 0.1}).on("broadcast").intensity
            0.1
            >>> Scenario(broadcast={"enabled": False}).on("broadcast") is None
            True
        """
        table = getattr(self, mechanism)
        return table if table is not None and table.enabled else None

    def to_dict(self) -> dict:
        """The resolved scenario as plain data (JSON-ready)."""
        return self.model_dump(mode="json")

    def content_hash(self, exclude: tuple[str, ...] = ("seed", "sweep", "fit", "optimise")
                     ) -> str:
        """SHA-256 of the resolved scenario, by default without its seed, [sweep], [fit] and
        [optimise] (none changes what one run of the scenario does)."""
        data = {k: v for k, v in self.to_dict().items() if k not in exclude}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def with_overrides(self, **fields: Any) -> "Scenario":
        """A validated copy with top-level fields replaced (e.g. seed, weeks)."""
        data = self.model_dump()
        data.update(fields)
        return validate_scenario(data)


# --- loading -----------------------------------------------------------------------


def _merge(base: dict, override: dict) -> dict:
    """Deep-merge `override` into `base`: tables merge, everything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


#: Largest scenario file read (a scenario is a few kB; this stops /dev/zero-like inputs).
MAX_SCENARIO_BYTES = 1 << 20
#: Longest chain of `extends` followed (a real chain has two or three files).
MAX_EXTENDS_DEPTH = 64


def _read_toml(path: Path, referrer: Path | None = None) -> dict:
    """Parse one scenario file, refusing anything but a regular file of at most 1 MiB.

    A file that cannot be opened is blamed on the file whose `extends` names it
    (`a.toml: extends: b.toml: file not found`); a problem inside a file on that file.
    The type is checked with stat before opening: opening a FIFO would block forever.
    """
    def unreadable(problem: str) -> ScenarioError:
        if referrer is None:
            return ScenarioError(path, None, problem)
        return ScenarioError(referrer, "extends", f"{path}: {problem}")

    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise unreadable("file not found") from None
    except OSError as err:
        raise unreadable(f"cannot read it: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise unreadable("is a directory, not a scenario file")
    if not stat.S_ISREG(info.st_mode):
        raise unreadable("is not a regular file (a device, pipe or socket); a scenario is a "
                         "TOML file")
    too_big = unreadable(f"is larger than {MAX_SCENARIO_BYTES // 1024} KiB; a scenario file "
                         "is a small TOML file")
    if info.st_size > MAX_SCENARIO_BYTES:
        raise too_big
    try:
        with open(path, "rb") as handle:
            content = handle.read(MAX_SCENARIO_BYTES + 1)
    except OSError as err:
        raise unreadable(f"cannot read it: {err.strerror}") from None
    if len(content) > MAX_SCENARIO_BYTES:  # it grew after the stat
        raise too_big
    try:
        return tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(path, None, "not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, None, f"malformed TOML: {err}") from None


def _extends_chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and each file it extends, in order (child first), each parsed once.

    A loop, not recursion: a deep chain ends with a message, never a RecursionError.
    """
    chain: list[tuple[Path, dict]] = []
    seen: list[Path] = []
    referrer = None
    while True:
        resolved = path.resolve()
        if resolved in seen:
            cycle = " -> ".join(p.name for p in (*seen, resolved))
            raise ScenarioError(referrer, "extends", f"cycle of extends: {cycle}")
        if len(chain) == MAX_EXTENDS_DEPTH:
            raise ScenarioError(referrer, "extends", f"more than {MAX_EXTENDS_DEPTH} files "
                                f"in the chain of extends starting at {chain[0][0]}")
        data = _read_toml(path, referrer)
        staff = data.get("staff")
        for key in ("graph", "nodes"):
            if isinstance(staff, dict) and isinstance(staff.get(key), str):
                staff[key] = str((path.parent / staff[key]).resolve())
        parent = data.pop("extends", None)
        chain.append((path, data))
        seen.append(resolved)
        if parent is None:
            return chain
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(path, "extends", "must be a file name (a non-empty string)")
        referrer, path = path, path.parent / parent


def _leaf_paths(data: dict, prefix: tuple = ()):
    """Every key path of nested tables, tables included: ("staff",), ("staff", "managers")."""
    for key, value in data.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from _leaf_paths(value, (*prefix, key))


def read_scenario_sources(path: str | Path) -> tuple[dict, dict[tuple, Path]]:
    """The merged data of a scenario file after `extends`, and which file set each key.

    Relative paths inside a file (`extends`, `staff.graph`, `staff.nodes`) are made
    relative to the file that names them. A parent's name and description are not
    inherited.
    """
    chain = _extends_chain(Path(path))
    merged: dict = {}
    origins: dict[tuple, Path] = {}
    for depth, (source, data) in reversed(list(enumerate(chain))):
        if depth > 0:
            data = {k: v for k, v in data.items() if k not in ("name", "description")}
        merged = _merge(merged, data)
        origins.update((key, source) for key in _leaf_paths(data))
    return merged, origins


def read_scenario_data(path: str | Path) -> dict:
    """The raw, merged data of a scenario file after following `extends`."""
    return read_scenario_sources(path)[0]


def _allowed_keys(loc: tuple) -> list[str]:
    """Field names allowed at a location of the schema (for unknown-key messages)."""
    model: Any = Scenario
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                     None)
        if model is None:
            return []
    return sorted(getattr(model, "model_fields", {}))


def _describe(error: dict) -> tuple[tuple, str, str]:
    """(location, field path, message) for one pydantic error, in the user's terms."""
    loc = tuple(p for p in error["loc"] if p not in ("normal", "beta", "uniform", "float",
                                                      "int", "list[int]", "constrained-float",
                                                      "constrained-int",
                                                      "function-after[_ordered(), Uniform]"))
    loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
    field = ".".join(str(p) for p in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        message = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    else:
        message = error["msg"].removeprefix("Value error, ")
        if "input" in error and not isinstance(error["input"], (dict, list)):
            message += f" (got {error['input']!r})"
    return loc, field, message


def _origin(loc: tuple, origins: dict[tuple, Path], default):
    """The file that set the value at `loc` (the deepest key of it that a file set)."""
    for length in range(len(loc), 0, -1):
        if loc[:length] in origins:
            return origins[loc[:length]]
    return default


def validate_scenario(data: dict, source: str | Path | None = None,
                      origins: dict[tuple, Path] | None = None) -> Scenario:
    """Validate raw scenario data; raise ScenarioError naming every bad field.

    With `origins` (from `read_scenario_sources`), a bad value is blamed on the file of
    the extends chain that set it, not on the file that extends it.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        seen: dict[str, tuple] = {}
        errors = err.errors()
        # A field taking a number or a table/list (a distribution, a list of sizes) fails in
        # every branch of its union; "should be a valid number" says nothing about a table.
        specific = [e for e in errors if not (e["type"] in ("float_type", "int_type")
                                              and isinstance(e.get("input"), (dict, list)))]
        for error in specific or errors:
            loc, field, message = _describe(error)
            seen.setdefault(field, (message, _origin(loc, origins or {}, source)))
        files = {file for _, file in seen.values()}
        if len(seen) == 1:
            field, (message, file) = next(iter(seen.items()))
            raise ScenarioError(file, field, message) from None
        if len(files) == 1:
            lines = [f"{field}: {message}" for field, (message, _) in seen.items()]
            raise ScenarioError(files.pop(), None,
                                "invalid fields:\n  " + "\n  ".join(lines)) from None
        lines = [": ".join(str(p) for p in (file, field, message) if p)
                 for field, (message, file) in seen.items()]
        raise ScenarioError(None, None, "invalid fields:\n  " + "\n  ".join(lines)) from None


def require_scenario(value: Any) -> Scenario:
    """`value` if it is a validated Scenario; else a ScenarioError saying how to get one
    (the API's check, so that `campaignsim.run(None)` is a message, not an AttributeError)."""
    if not isinstance(value, Scenario):
        raise ScenarioError(None, "scenario", "must be a Scenario (from load_scenario or "
                            f"validate_scenario), not {type(value).__name__}")
    return value


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file.

    Args:
        path: the TOML file.

    Returns:
        The validated Scenario; its name defaults to the file's stem.

    Raises:
        ScenarioError: with the file (the one of the extends chain at fault), the field
            path and what is allowed.
    """
    path = Path(path)
    data, origins = read_scenario_sources(path)
    data.setdefault("name", path.stem)
    return validate_scenario(data, path, origins)
