"""Comparisons that hold across a calibration's accepted set (`compare --posterior`).

A calibration (`campaignsim fit`) does not give one parameter set but an accepted set:
weighted particles in posterior.parquet, one column per fitted dotted scenario path and
`weight`. A strategy comparison on one parameter set answers "what does this strategy do
if the world is exactly so"; its Monte-Carlo confidence interval measures only the noise
of the runs. Here every strategy runs on K parameter sets drawn from the accepted set by
weight, R replications each, and the comparison reports, beside the pooled interval,
how the per-draw effects spread and the share of draws in which the strategy beats the
baseline (shared/research/patterns.md, "Outcome of a calibration").

The rule for applying a draw: the draw replaces the values a strategy inherits from the
calibrated baseline; a value the strategy file sets itself (the question it asks, e.g.
hybrid_aligned's `hybrids.alignment`) wins over the draw. What a file sets itself is
read from its own TOML keys and those of the files it extends, up to (not including) the
baseline file; a file that does not extend the baseline sets itself every key of its
chain. A draw never switches a mechanism on: a path whose table the strategy lacks is
left out.

A posterior file is data: read with pyarrow (Parquet) or pandas (CSV), never unpickled.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .compare import EFFECTS, LOWER_IS_BETTER
from .limits import DRAWS_MAX, SEED_MAX, whole_number
from .scenario import (Scenario, ScenarioError, _extends_chain, numeric_kind, sweep_field,
                       validate_scenario)
from .sweep.design import set_path

#: The posterior column holding each particle's weight (the others are scenario paths).
WEIGHT = "weight"
#: The shipped accepted set of the bundled baseline, relative to the bundled scenarios.
SHIPPED = Path("calibration") / "baseline_posterior.parquet"
#: The default comparison across the shipped set: K draws × R replications of each of the
#: 12 bundled strategies, sized so the whole command stays well under a minute on two
#: busy cores (docs/calibration.md gives the timing).
DEFAULT_DRAWS = 20
DEFAULT_REPLICATIONS = 2
#: The spread of the per-draw effects reported: these quantiles over the draws.
SPREAD = (0.10, 0.90)
#: Largest posterior file read (a fit's posterior is a few kB to a few MB).
MAX_BYTES = 256 << 20
#: Tolerance on the weights' sum before they are called unnormalised (CSV rounding).
WEIGHT_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Posterior:
    """An accepted set: `table` holds one column per scenario path and `weight` (summing
    to 1); `source` and `sha256` name the file it was read from."""

    source: Path
    table: pd.DataFrame
    sha256: str

    @property
    def paths(self) -> list[str]:
        return [c for c in self.table.columns if c != WEIGHT]

    def draws(self, k: int, seed: int) -> list[dict]:
        """K parameter sets drawn by weight, with replacement, by a generator seeded with
        `seed` alone: the same K and seed give the same draws, and the first k of K draws
        do not depend on K."""
        k = whole_number(k, "draws", 1, DRAWS_MAX)
        seed = whole_number(seed, "seed", 0, SEED_MAX)
        rng = np.random.default_rng([seed, 0x64726177])   # a stream of its own ("draw")
        weights = self.table[WEIGHT].to_numpy(dtype=float)
        cumulative = np.cumsum(weights) / weights.sum()
        rows = np.minimum(np.searchsorted(cumulative, rng.random(k), side="right"),
                          len(weights) - 1)
        return [{path: _plain(self.table.at[int(row), path]) for path in self.paths}
                for row in rows]


def _plain(value):
    """A numpy scalar as the Python value a scenario takes (int, float, bool, str)."""
    return value.item() if hasattr(value, "item") else value


def shipped_posterior() -> Path:
    """Where the shipped accepted set of the bundled baseline is (found like the bundled
    scenarios; it may be missing)."""
    from .bundled import bundled_folder

    return bundled_folder() / SHIPPED


def _read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """The file's table and the sha256 of the bytes it was parsed from (read once)."""

    def bad(message: str) -> ScenarioError:
        return ScenarioError(path, None, message)

    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise bad("file not found") from None
    if not stat.S_ISREG(info.st_mode):   # a FIFO would block, a folder is not a table
        raise bad("is not a regular file; a posterior is a .parquet or .csv file")
    if info.st_size > MAX_BYTES:
        raise bad(f"is larger than {MAX_BYTES >> 20} MiB; a posterior is a table of particles")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise bad("unknown file type; allowed: .parquet (as `campaignsim fit` writes it) "
                  "or .csv")
    try:
        data = path.read_bytes()
        if suffix == ".parquet":
            import pyarrow as arrow
            import pyarrow.parquet as parquet

            # plain columns only; the pandas metadata (index, types) is not applied
            table = parquet.read_table(arrow.BufferReader(data)).to_pandas(ignore_metadata=True)
        else:
            table = pd.read_csv(io.BytesIO(data), encoding="utf-8")
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise bad(f"cannot be read as {suffix[1:]}: {err}") from None
    return table, hashlib.sha256(data).hexdigest()


def load_posterior(path: str | Path) -> Posterior:
    """Read and check an accepted set (posterior.parquet of `campaignsim fit`, or a CSV
    with the same columns).

    Raises:
        ScenarioError: naming the file, the column and what is allowed: no rows, no
            `weight` column, a column that is no scenario path, a value of the wrong kind
            or not finite, a negative weight or weights not summing to 1 (within
            WEIGHT_SUM_TOLERANCE, for CSV rounding; they are then normalised exactly).
    """
    path = Path(path)
    table, digest = _read_table(path)
    if table.empty:
        raise ScenarioError(path, None, "has no particles (rows); a posterior needs at least one")
    columns = [str(c) for c in table.columns]
    if len(set(columns)) != len(columns):
        raise ScenarioError(path, None, "has a column twice; each scenario path once")
    table.columns = columns
    if WEIGHT not in columns:
        raise ScenarioError(path, WEIGHT, "missing; a posterior has one column per fitted "
                            "scenario path (e.g. hybrids.alignment) and `weight`")
    if len(columns) == 1:
        raise ScenarioError(path, None, "has only `weight`; add a column per fitted "
                            "scenario path (e.g. hybrids.alignment)")
    for column in columns:
        table[column] = _checked_column(path, column, table[column])
    weights = table[WEIGHT].to_numpy(dtype=float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise ScenarioError(path, WEIGHT, "must be non-negative numbers with a positive sum "
                            f"(got {weights.min():g} … {weights.max():g})")
    if abs(weights.sum() - 1) > WEIGHT_SUM_TOLERANCE:
        raise ScenarioError(path, WEIGHT, f"must sum to 1 (got {weights.sum():.6g}); "
                            "a posterior's weights are normalised")
    table[WEIGHT] = weights / weights.sum()
    return Posterior(source=path, table=table.reset_index(drop=True), sha256=digest)


def _checked_column(path: Path, column: str, values: pd.Series) -> pd.Series:
    """A column as the scenario takes it: numbers finite (whole for an integer field),
    strings only for a field of choices; else ScenarioError."""
    if column == WEIGHT:
        kind = "float"
    else:
        try:
            sweep_field(column)
        except ValueError as err:
            raise ScenarioError(path, column, f"{err}; a posterior's columns are scenario "
                                f"paths and `{WEIGHT}`") from None
        kind = numeric_kind(column)
    if kind is None:   # a choice (peer.rule), a switch (hybrids.enabled): checked on use
        if values.isna().any():
            raise ScenarioError(path, column, f"row {int(values.isna().argmax())} is empty")
        return values
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy()) | values.map(lambda v: isinstance(v, bool)).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise ScenarioError(path, column, f"row {row}: {values.iloc[row]!r} is not allowed; "
                            "allowed: a finite number")
    if kind == "int":
        fractional = numbers.to_numpy() != np.round(numbers.to_numpy())
        if fractional.any():
            row = int(np.argmax(fractional))
            raise ScenarioError(path, column, f"row {row}: {values.iloc[row]!r} is not "
                                "allowed; allowed: a whole number (an integer field)")
        return numbers.astype(np.int64)
    return numbers


# --- applying a draw ----------------------------------------------------------------------


def own_settings(file: str | Path, baseline: str | Path | None) -> frozenset[tuple[str, ...]]:
    """The key paths a strategy file sets itself: the leaves of its TOML and of the files
    it extends, up to (not including) the baseline file; every leaf of the chain when it
    does not extend the baseline (or there is none). The baseline's own set is empty."""
    stop = Path(baseline).resolve() if baseline is not None else None
    own: set[tuple[str, ...]] = set()
    for source, data in _extends_chain(Path(file)):
        if source.resolve() == stop:
            break
        own.update(_leaves(data))
    return frozenset(own)


def _leaves(data: dict, prefix: tuple = ()):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key)


def _set_by_strategy(parts: tuple[str, ...], own: frozenset) -> bool:
    """The strategy sets this path, a table around it to a value, or a field inside it."""
    return any(key[: len(parts)] == parts or parts[: len(key)] == key for key in own)


def _has_table(data: dict, parts: tuple[str, ...]) -> bool:
    node = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return False
    return True


def apply_draw(scenario: Scenario, draw: dict, own: frozenset = frozenset()) -> Scenario:
    """`scenario` with a draw's values, except the paths in `own` (what the strategy file
    sets itself, `own_settings`) and paths whose table (mechanism) the scenario lacks.

    Raises:
        ScenarioError: a value the scenario's schema refuses (field and message).
    """
    data = scenario.to_dict()
    for path, value in applicable(draw, data, own).items():
        data = set_path(data, path, value)
    return validate_scenario(data)


def applicable(draw: dict, data: dict, own: frozenset = frozenset()) -> dict:
    """The part of a draw that applies to a scenario's `data` (`apply_draw`'s rule): not
    the paths in `own`, nor paths whose table the scenario lacks."""
    return {path: value for path, value in draw.items()
            if not _set_by_strategy(tuple(path.split(".")), own)
            and _has_table(data, tuple(path.split(".")))}


def draw_scenarios(scenarios: list[Scenario], posterior: Posterior, draws: list[dict],
                   own: list[frozenset] | None = None) -> list[list[Scenario]]:
    """Every scenario under each draw (`compare`'s `draws`); `own[i]` is what scenario i
    sets itself (default: nothing, the draw applies everywhere the scenario has the table).

    Raises:
        ScenarioError: naming the posterior file and column when a drawn value does not
            fit a scenario.
    """
    own = own or [frozenset()] * len(scenarios)
    variants = []
    for draw in draws:
        try:
            variants.append([apply_draw(s, draw, mine) for s, mine in zip(scenarios, own)])
        except ScenarioError as err:
            column = err.field if err.field in draw else None
            shown = f"value {draw[column]!r}" if column else "a drawn parameter set"
            raise ScenarioError(posterior.source, column, f"{shown} does not fit the compared "
                                f"scenarios: {err.message}") from None
    return variants


# --- across the draws ---------------------------------------------------------------------


def across_draws(differences: pd.DataFrame) -> dict:
    """Per headline outcome, from a strategy's paired differences to the reference (one
    row per draw × replicate, a `draw` column): the SPREAD quantiles of the per-draw mean
    effects and `prob_benefit_<key>`, the share of draws whose mean effect is better than
    zero (higher, or lower for an outcome where lower is better); a tie is no benefit."""
    found = {"draws": int(differences["draw"].nunique())}
    for key in EFFECTS:
        per_draw = differences.groupby("draw")[key].mean().to_numpy(dtype=float)
        per_draw = per_draw[np.isfinite(per_draw)]
        low, high = (np.quantile(per_draw, SPREAD) if len(per_draw) else (np.nan, np.nan))
        found[f"diff_{key}_draws_low"], found[f"diff_{key}_draws_high"] = low, high
        better = per_draw < 0 if key in LOWER_IS_BETTER else per_draw > 0
        found[f"prob_benefit_{key}"] = float(better.mean()) if len(per_draw) else np.nan
    return found


def format_across(table: pd.DataFrame) -> str:
    """The comparison across the accepted set as a text table: per strategy and headline
    outcome, the pooled effect with its 95 % CI, the spread of the per-draw effects and
    the probability of benefit."""
    from .compare import by_effect

    reference = table.iloc[0]["scenario"]
    table = by_effect(table).iloc[1:]

    def cell(row, key: str) -> str:
        scale = 100 if EFFECTS[key][1] == "points" else 1
        mean, low, high = (row[f"diff_{key}{s}"] * scale for s in ("", "_ci_low", "_ci_high"))
        spread = tuple(row[f"diff_{key}_draws_{s}"] * scale for s in ("low", "high"))
        digits = 1 if scale == 100 else 3
        if not np.isfinite(mean):
            return "—"
        return (f"{mean:+.{digits}f} [{low:+.{digits}f},{high:+.{digits}f}] "
                f"{spread[0]:+.{digits}f}…{spread[1]:+.{digits}f} "
                f"{row[f'prob_benefit_{key}']:4.0%}")

    width = 40
    titles = {k: f"Δ {title.split(' (')[0].lower()}" + (" (↓ better)" if k in LOWER_IS_BETTER
                                                          else "")
              for k, (title, _) in EFFECTS.items()}
    header = f"{'scenario':<24} " + " ".join(f"{titles[k]:>{width}}" for k in EFFECTS)
    draws = int(table["draws"].max())
    lines = [f"Across the accepted set: {draws} parameter sets × "
             f"{int(table['replications'].max()) // draws} replications",
             header, "-" * len(header)]
    lines += [f"{row['scenario']:<24} " + " ".join(f"{cell(row, k):>{width}}" for k in EFFECTS)
              for _, row in table.iterrows()]
    lines.append(f"each cell: paired effect to {reference} pooled over all "
                 f"draws × replications [95 % CI]; {SPREAD[0]:.0%}–{SPREAD[1]:.0%} of the "
                 "per-draw mean effects; share of draws in which the strategy is better "
                 "(P(better)); shares in percentage points, ownership on its 0–1 scale")
    return "\n".join(lines)
