"""What a fit aims at, and how far a simulation is from it.

* Observed data: a CSV with a `week` column and any recorded series (state counts,
  cumulative enrolments by channel, as counts or as `_share`s of the clinicians); missing
  weeks (absent rows, empty cells) are simply not compared. The summary statistics are
  the simulated series at the observed weeks; pyABC's adaptive p-norm weighs them.
* Patterns: named outcomes with accepted ranges; the distance of a simulation is the sum
  over patterns of how far each outcome lies outside its range, divided by the range's
  width (0 inside every range) — all patterns at once, as pattern-oriented modelling asks.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..scenario import CHANNELS, STATES, ScenarioError, sweep_field, validate_scenario
from ..sweep.design import apply_point
from ..sweep.tasks import _outcomes

#: Series a data CSV may give: counts (whole numbers, 0 … clinicians) and shares (0 … 1).
COUNT_SERIES = (*STATES, *(f"channel:{c}" for c in CHANNELS))
SHARE_SERIES = ("enrolled_share", "active_share", *(f"{s}_share" for s in COUNT_SERIES))
#: Series derived from the records for patterns (shares of all clinicians).
DERIVED_SERIES = ("ever_aware_share", "ever_enrolled_share", "not_enrolled_share")
#: Scalar outcomes derived for patterns, beside every scalar of the run summary.
DERIVED_SCALARS = ("weeks_to_half_of_final_enrolment", "active_to_enrolled_ratio",
                   *(f"needed_share:{c}" for c in CHANNELS[1:]),
                   *(f"needed_rank:{c}" for c in CHANNELS[1:]))


def series(name: str, timeseries, clinicians: int) -> np.ndarray:
    """A weekly series of a run by name (a timeseries column, a `_share`, or derived)."""
    if name in timeseries.columns:
        return timeseries[name].to_numpy(dtype=float)
    enrolments = timeseries[[f"channel:{c}" for c in CHANNELS]].to_numpy(dtype=float).sum(axis=1)
    if name == "ever_enrolled_share":
        return enrolments / clinicians
    if name == "not_enrolled_share":
        return 1.0 - enrolments / clinicians
    if name == "ever_aware_share":
        return 1.0 - timeseries["unaware"].to_numpy(dtype=float) / clinicians
    return timeseries[name.removesuffix("_share")].to_numpy(dtype=float) / clinicians


def outcome(name: str, result) -> float:
    """A named outcome of a run (`series@week`, a derived scalar or a summary scalar)."""
    timeseries, summary = result.timeseries, result.summary
    clinicians = summary["clinicians"]
    if "@" in name:
        column, week = name.split("@")
        return float(series(column, timeseries, clinicians)[int(week)])
    if name == "weeks_to_half_of_final_enrolment":
        ever = series("ever_enrolled_share", timeseries, clinicians)
        return float(np.flatnonzero(ever >= ever[-1] / 2 - 1e-12)[0])
    if name == "active_to_enrolled_ratio":
        enrolled = summary["final_enrolled_share"]
        return summary["active_share"] / enrolled if enrolled else math.nan
    needed = summary["enrolments_needing_channel"]
    if name.startswith("needed_share:"):
        campaign = summary["campaign_enrolments"]
        return needed[name.split(":")[1]] / campaign if campaign else 0.0
    if name.startswith("needed_rank:"):   # 1 = the channel most enrolments needed
        return float(1 + sum(v > needed[name.split(":")[1]] for v in needed.values()))
    value = _outcomes(summary).get(name)
    return math.nan if value is None else value


# --- observed data -------------------------------------------------------------------


@dataclass(frozen=True)
class DataTarget:
    """Observed series: for each column, the weeks observed and the values there."""

    file: Path
    observed: dict[str, tuple[np.ndarray, np.ndarray]]
    digest: str

    def identity(self) -> dict:
        return {"kind": "data", "sha256": self.digest}

    def observed_stats(self) -> dict[str, np.ndarray]:
        return {name: values for name, (_, values) in self.observed.items()}

    def stats(self, results) -> dict[str, np.ndarray]:
        """The simulated series at the observed weeks, mean over replicate runs."""
        return {name: np.mean([series(name, r.timeseries, r.summary["clinicians"])[weeks]
                               for r in results], axis=0)
                for name, (weeks, _) in self.observed.items()}


def read_data(path: Path, weeks: int, clinicians: int) -> DataTarget:
    """Read and check an observed-data CSV (UTF-8, a byte-order mark allowed)."""
    def bad(field, message):
        return ScenarioError(path, field, message)

    try:
        raw = path.read_bytes()
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    except FileNotFoundError:
        raise bad("fit.data.file", "file not found") from None
    except UnicodeDecodeError:
        raise bad(None, "is not UTF-8 text; save the CSV as UTF-8") from None
    if not rows or "week" not in [h.strip() for h in rows[0]]:
        raise bad(None, "needs a header row with a `week` column and at least one series")
    header = [h.strip() for h in rows[0]]
    allowed = list(COUNT_SERIES) + list(SHARE_SERIES)
    for name in header:
        if name != "week" and name not in allowed:
            raise bad(name, f"unknown column; allowed: week, {', '.join(allowed)}")
    if len(set(header)) != len(header) or len(header) < 2:
        raise bad(None, "needs `week` and at least one series, each column once")
    table: dict[str, dict[int, float]] = {name: {} for name in header if name != "week"}
    seen = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise bad(f"line {line}", f"has {len(row)} cells, the header {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row)))
        week = _number(cells["week"], path, f"line {line}: week")
        if week != int(week) or not 0 <= week <= weeks:
            raise bad(f"line {line}: week", f"{cells['week']} is not a week of the scenario; "
                      f"allowed: whole numbers 0 … {weeks} (the scenario's weeks)")
        if week in seen:
            raise bad(f"line {line}: week", f"week {int(week)} appears twice")
        seen.add(week)
        for name, cell in cells.items():
            if name == "week" or cell == "":
                continue   # a missing value: that week is not compared
            value = _number(cell, path, f"line {line}: {name}")
            if name in SHARE_SERIES and not 0 <= value <= 1:
                raise bad(f"line {line}: {name}", f"{cell} is not a share; allowed: 0 … 1")
            if name in COUNT_SERIES and (value != int(value) or not 0 <= value <= clinicians):
                raise bad(f"line {line}: {name}", f"{cell} is not a count of clinicians; "
                          f"allowed: whole numbers 0 … {clinicians} (the hospital's clinicians)")
            table[name][int(week)] = value
    observed = {}
    for name, values in table.items():
        if values:
            order = sorted(values)
            observed[name] = (np.array(order), np.array([values[w] for w in order], dtype=float))
    if not observed:
        raise bad(None, "has no observed values")
    return DataTarget(path, observed, hashlib.sha256(raw).hexdigest())


def _number(cell: str, path: Path, field: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ScenarioError(path, field, f"{cell!r} is not a number")
    return value


# --- patterns -------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternSpec:
    name: str
    outcome: str
    low: float
    high: float
    variant: tuple[tuple[str, object], ...] = ()   # paths and values of the variant

    def excess(self, value: float) -> float:
        """0 inside [low, high]; outside, the distance to it over the range's width (or
        over 1 for a point range). A missing value counts as one width out."""
        if not math.isfinite(value):
            return 1.0
        width = self.high - self.low if self.high > self.low else 1.0
        return max(self.low - value, value - self.high, 0.0) / width


@dataclass(frozen=True)
class PatternsTarget:
    patterns: tuple[PatternSpec, ...]

    def identity(self) -> dict:
        return {"kind": "patterns"}   # the patterns are part of [fit] already

    def observed_stats(self) -> dict[str, float]:
        return {p.name: (p.low + p.high) / 2 for p in self.patterns}

    def values(self, result, variants: dict) -> dict[str, float]:
        """Each pattern's outcome in one run (minus its variant's, run with the same seed)."""
        return {p.name: outcome(p.outcome, result)
                - (outcome(p.outcome, variants[p.variant]) if p.variant else 0.0)
                for p in self.patterns}

    def distance(self, values: dict) -> float:
        return float(sum(p.excess(values[p.name]) for p in self.patterns))


class PatternsDistance:
    """pyABC distance for patterns (a plain picklable callable)."""

    def __init__(self, target: PatternsTarget):
        self.target = target

    def __call__(self, x: dict, x_0: dict) -> float:
        return self.target.distance(x)


def _check_outcome(source, where: str, name: str, weeks: int, columns, summary) -> None:
    if "@" in name:
        column, _, week = name.partition("@")
        known = (set(columns) | set(DERIVED_SERIES)
                 | {f"{s}_share" for s in COUNT_SERIES})
        if column not in known:
            raise ScenarioError(source, where, f"unknown series {column!r} in {name!r}; "
                                f"allowed: {', '.join(sorted(DERIVED_SERIES + SHARE_SERIES))} "
                                "or a column of timeseries.csv")
        if not week.isdigit() or int(week) > weeks:
            raise ScenarioError(source, where, f"week {week!r} in {name!r} is not a week of "
                                f"the scenario; allowed: 0 … {weeks}")
        return
    scalars = list(DERIVED_SCALARS) + list(_outcomes(summary))
    if name not in scalars:
        raise ScenarioError(source, where, f"unknown outcome {name!r}; allowed: "
                            f"{', '.join(scalars)}, or series@week (e.g. ever_aware_share@12)")


def read_patterns(source, table: dict, weeks: int, base: dict, columns, summary) -> PatternsTarget:
    """Check the `[fit.patterns]` table: outcomes, ranges and variants."""
    patterns = []
    for name, entry in table.items():
        where = f"fit.patterns.{name}"
        if isinstance(entry, list):
            outcome_name, (low, high), variant = name, entry, {}
        else:
            outcome_name, (low, high) = entry.outcome, entry.range
            variant = entry.minus_variant or {}
        if low > high:
            raise ScenarioError(source, where, f"range [{low:g}, {high:g}] has low > high; "
                                "allowed: [low, high] with low <= high")
        _check_outcome(source, where, outcome_name, weeks, columns, summary)
        for path in variant:
            try:
                sweep_field(path)
            except ValueError as err:
                raise ScenarioError(source, f"{where}.minus_variant", str(err)) from None
        try:
            validate_scenario(apply_point(base, tuple(variant), tuple(variant.values())))
        except ScenarioError as err:
            raise ScenarioError(source, f"{where}.minus_variant",
                                f"{err.field}: {err.message}") from None
        patterns.append(PatternSpec(name, outcome_name, float(low), float(high),
                                    tuple(sorted(variant.items()))))
    return PatternsTarget(tuple(patterns))
