"""Reading a sweep folder and analysing it: the runs table, the time series, enrolled
curves for plots, per-point summaries, and sensitivity indices of outcomes to the swept
parameters (SALib for sampled designs, an exact variance decomposition for grids).

Only reads: nothing here writes to a sweep folder. The loaders also read an unfinished
sweep; `require_intact`, which plot, sensitivity and report call first, refuses a folder
that is incomplete or damaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..compare import mean_ci
from ..scenario import ScenarioError
from .store import KIND, TIMESERIES_DIR, Store

if TYPE_CHECKING:
    import pandas as pd

#: Outcomes shown by default in tables, plots and sensitivity analyses.
HEADLINE = ("final_enrolled_share", "active_share", "enrolment_engagement_gap",
            "disengaged_share", "mean_ownership_of_enrolled_now", "weeks_to_50")


#: Readable names of the outcome columns, for tables and figures.
OUTCOME_LABELS = {
    "final_enrolled_share": "enrolled (incl. active), end",
    "active_share": "active, end",
    "enrolment_engagement_gap": "enrolment–engagement gap",
    "disengaged_share": "disengaged, end",
    "mean_ownership_of_enrolled_now": "mean ownership of the enrolled",
    "weeks_to_50": "weeks to 50 % enrolled",
}


def readable(name: str) -> str:
    """An outcome's label, or a parameter path made readable: "hybrids.leave_week" →
    "hybrids: leave week"."""
    return OUTCOME_LABELS.get(name) or name.replace(".", ": ", 1).replace("_", " ")


def reading_note(result: "Sensitivity") -> str:
    """One sentence on how to read the indices, with this sweep's clearest case of a lever
    that acts through interactions (the largest gap between total and first-order)."""
    table = result.table
    if {"S1", "ST"} <= set(table):
        gaps = table.assign(gap=table["ST"] - table["S1"]).sort_values("gap", ascending=False)
        text = ("S1 is the share of an outcome's variance a lever explains on its own; ST adds "
                "what it explains together with the other levers, so ST well above S1 means "
                "the lever acts through interactions")
        if len(gaps) and gaps.iloc[0]["gap"] > 0.05:
            top = gaps.iloc[0]
            text += (f" (here {readable(top['parameter'])} on {readable(top['outcome'])}: "
                     f"S1 {top['S1']:.3f} vs ST {top['ST']:.3f})")
        return text + "."
    if {"mu_star", "sigma"} <= set(table):
        return ("μ* is the mean size of a lever's effect; σ its spread over the design: σ "
                "comparable to μ* or larger means the effect depends on the other levers "
                "(interactions) or is non-linear.")
    return ("S1 is the share of an outcome's variance a lever explains on its own; levers "
            "that act only through interactions do not show in it.")


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a sweep folder (ScenarioError if it is not one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(folder, None, "no such folder")
    data = Store(folder).manifest()
    if data is None or data.get("kind") != KIND:
        what = "no manifest.json" if data is None else f"a {data.get('kind')} folder"
        raise ScenarioError(folder, None, f"not a sweep folder ({what}); run `campaignsim "
                            "sweep FILE` first")
    return data


def require_intact(folder: str | Path) -> dict:
    """The manifest of a sweep folder whose every run is stored and every file verifies
    against its checksum record; ScenarioError (exit 2) naming what is missing or damaged."""
    data = read_manifest(folder)
    problem = Store(Path(folder)).verify(data["design"]).problem()
    if problem is None and data.get("status") != "complete":
        problem = (f"the sweep is not complete (its manifest says {data.get('status')!r}); run "
                   "the sweep again with the same file and --out to finish it")
    if problem:
        raise ScenarioError(folder, None, problem)
    return data


def load_runs(folder: str | Path) -> pd.DataFrame:
    """One row per stored run (also of an unfinished sweep), sorted by point and replicate;
    a runs file whose size, footer or row count differs from its record is skipped."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    report = Store(folder).verify(read_manifest(folder)["design"], checksums=False)
    tables = [pq.read_table(p).replace_schema_metadata(None) for p in report.runs_files]
    if not tables:
        return pd.DataFrame(columns=["point", "replicate", "seed"])
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    frame = frame.drop_duplicates(["point", "replicate"])
    return frame.sort_values(["point", "replicate"], ignore_index=True)


def load_timeseries(folder: str | Path, states: tuple[str, ...] | None = None,
                    points: list[int] | None = None) -> pd.DataFrame:
    """The stored time series (long format: point, replicate, week, state, count).

    Args:
        states: keep only these states (default: all).
        points: keep only these design points (default: all).
    """
    import pyarrow.dataset as ds

    import pandas as pd

    folder = Path(folder)
    report = Store(folder).verify(read_manifest(folder)["design"], checksums=False)
    files = [str(p) for p in report.series_files]

    if not files:
        return pd.DataFrame(columns=["point", "replicate", "week", "state", "count"])
    dataset = ds.dataset(files, format="parquet", partitioning="hive",
                         partition_base_dir=str(folder / TIMESERIES_DIR))
    condition = None
    if states is not None:
        condition = ds.field("state").isin(list(states))
    if points is not None:
        point_condition = ds.field("point").isin(list(points))
        condition = point_condition if condition is None else condition & point_condition
    frame = dataset.to_table(filter=condition).to_pandas()
    frame["replicate"] = frame["replicate"].astype("int64")
    frame["state"] = frame["state"].astype(str)
    return frame[["point", "replicate", "week", "state", "count"]].sort_values(
        ["point", "replicate", "week"], kind="stable", ignore_index=True)


def enrolled_curves(folder: str | Path, runs: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Enrolled (incl. active) share per run and week: point, replicate, week, enrolled."""
    import pandas as pd

    runs = load_runs(folder) if runs is None else runs
    series = load_timeseries(folder, states=("enrolled", "active"))
    if series.empty:
        return pd.DataFrame(columns=["point", "replicate", "week", "enrolled"])
    counts = series.groupby(["point", "replicate", "week"], sort=True)["count"].sum().reset_index()
    sizes = runs[["point", "replicate", "clinicians"]]
    counts = counts.merge(sizes, on=["point", "replicate"])
    counts["enrolled"] = counts["count"] / counts["clinicians"]
    return counts[["point", "replicate", "week", "enrolled"]]





def point_table(runs: pd.DataFrame, paths: list[str],
                outcomes: tuple[str, ...] = ("final_enrolled_share", "active_share",
                                             "enrolment_engagement_gap")) -> pd.DataFrame:
    """Mean and 95 % CI of outcomes per design point."""
    import pandas as pd

    rows = []
    for point, group in runs.groupby("point", sort=True):
        row = {"point": point, **{p: group[p].iloc[0] for p in paths}, "runs": len(group)}
        for outcome in outcomes:
            if outcome in group:
                row[outcome], row[f"{outcome}_ci_low"], row[f"{outcome}_ci_high"] = mean_ci(
                    group[outcome].to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows)


def format_points(table: pd.DataFrame, paths: list[str], limit: int = 30) -> str:
    """The per-point table as text (the first `limit` points)."""
    def cell(row, key):
        mean, low, high = row.get(key), row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
        if mean is None or not np.isfinite(mean):
            return "—"
        half = (high - low) / 2 if np.isfinite(high) else 0.0
        return f"{mean:6.1%} ±{half:5.1%}"

    widths = [max(len(p), 8) for p in paths]
    header = " ".join(f"{p:>{w}}" for p, w in zip(paths, widths))
    header += f" {'runs':>5} {'enrolled':>15} {'active':>15} {'gap':>15}"
    lines = [header, "-" * len(header)]
    for _, row in table.head(limit).iterrows():
        values = " ".join(f"{_short(row[p]):>{w}}" for p, w in zip(paths, widths))
        lines.append(f"{values} {int(row['runs']):>5} {cell(row, 'final_enrolled_share'):>15} "
                     f"{cell(row, 'active_share'):>15} "
                     f"{cell(row, 'enrolment_engagement_gap'):>15}")
    if len(table) > limit:
        lines.append(f"… {len(table) - limit} more points in runs.parquet")
    lines.append("means ± half-width of the 95 % CI over replications (common random numbers)")
    return "\n".join(lines)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass
class Sensitivity:
    """Sensitivity indices: one row per (outcome, parameter), ranked within each outcome."""

    method: str
    table: pd.DataFrame
    index: str              # the column that ranks the levers
    notes: list[str]


def sensitivity(folder: str | Path, outcomes: tuple[str, ...] | None = None) -> Sensitivity:
    """Sensitivity of outcomes to the swept parameters.

    Sampled designs use SALib on the means over replicates per design point: Sobol'
    first-order and total indices (sobol), Morris μ* and σ (morris), RBD-FAST first-order
    indices (latin). A full-factorial grid gets the exact variance decomposition over its
    levels (first-order and total Sobol' indices of a uniform discrete design).
    """
    import pandas as pd

    design = require_intact(folder)["design"]
    runs = load_runs(folder)
    paths = [p["path"] for p in design["parameters"]]
    wanted = outcomes or tuple(o for o in HEADLINE if o in runs)
    unknown = [o for o in wanted if o not in runs or o in ("point", "replicate", "seed", *paths)]
    if unknown:
        allowed = [c for c in runs.columns if c not in ("point", "replicate", "seed", *paths)]
        raise ScenarioError(folder, "--outcome", f"unknown outcome {unknown[0]!r}; allowed: "
                            f"{', '.join(allowed)}")
    means = runs.groupby("point", sort=True)[list(wanted)].mean()
    notes: list[str] = []
    rows = []
    method = design.get("method") or "grid"
    for outcome in wanted:
        y = means[outcome].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            notes.append(f"{outcome}: skipped (undefined at some design points, e.g. a share "
                         "never reached)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{outcome}: skipped (the same at every design point)")
            continue
        if method == "grid":
            indices = _grid_indices(runs.groupby("point", sort=True)[paths].first(), y, paths)
        else:
            indices = _salib_indices(design, paths, y)
        for path, values in indices.items():
            rows.append({"outcome": outcome, "parameter": path, **values})
    table = pd.DataFrame(rows)
    index = {"morris": "mu_star", "latin": "S1"}.get(method, "ST")
    if not table.empty:
        table["rank"] = (table.groupby("outcome")[index].rank(ascending=False, method="min")
                         .astype(int))
        table = table.sort_values(["outcome", "rank"], key=lambda c: c.map(
            {o: i for i, o in enumerate(wanted)}) if c.name == "outcome" else c,
            ignore_index=True)
    noise = _replicate_noise(runs, wanted)
    if noise:
        notes.append("replicate noise (variance of a point's mean over replications, as a share"
                     " of the variance across points): " + ", ".join(
                         f"{o} {v:.1%}" for o, v in noise.items()))
    return Sensitivity(method, table, index, notes)


def _replicate_noise(runs, outcomes) -> dict[str, float]:
    found = {}
    for outcome in outcomes:
        grouped = runs.groupby("point")[outcome]
        means, variances, counts = grouped.mean(), grouped.var(ddof=1), grouped.count()
        if counts.min() < 2 or not np.isfinite(means).all() or means.var(ddof=0) == 0:
            continue
        found[outcome] = float((variances / counts).mean() / means.var(ddof=0))
    return found


def _grid_indices(levels, y: np.ndarray, paths: list[str]) -> dict[str, dict]:
    """Exact first-order and total variance shares over a full-factorial grid."""
    frame = levels.astype(str).assign(y=y)
    variance = float(np.var(y))
    out = {}
    for path in paths:
        first = float(frame.groupby(path)["y"].mean().var(ddof=0)) / variance
        others = [p for p in paths if p != path]
        if others:
            total = float(frame.groupby(others)["y"].var(ddof=0).mean()) / variance
        else:
            total = first
        out[path] = {"S1": first, "ST": total}
    return out


def _salib_indices(design: dict, paths: list[str], y: np.ndarray) -> dict[str, dict]:
    import warnings

    from SALib.analyze import morris, rbd_fast, sobol

    problem = {"num_vars": len(paths), "names": paths,
               "bounds": [p["range"] for p in design["parameters"]]}
    matrix = np.asarray(design["matrix"], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design["method"] == "sobol":
            result = sobol.analyze(problem, y, calc_second_order=design.get("second_order", False),
                                   seed=0)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        elif design["method"] == "morris":
            result = morris.analyze(problem, matrix, y, num_levels=design.get("levels", 4), seed=0)
            keys = ("mu_star", "mu_star_conf", "sigma", "mu")
        else:
            result = rbd_fast.analyze(problem, matrix, y, seed=0)
            keys = ("S1", "S1_conf")
    return {path: {key: float(np.asarray(result[key])[i]) for key in keys}
            for i, path in enumerate(paths)}


def format_sensitivity(result: Sensitivity) -> str:
    """The indices as a text table, levers ranked within each outcome."""
    if result.table.empty:
        return "no indices (see the notes below)\n" + "\n".join(result.notes)
    titles = {"grid": "variance decomposition of the full-factorial grid (first-order S1, "
                      "total ST)",
              "sobol": "Sobol' indices (SALib; first-order S1, total ST, ± 95 % CI)",
              "morris": "Morris elementary effects (SALib; μ* mean |effect|, σ spread, ± 95 % CI)",
              "latin": "RBD-FAST first-order indices (SALib; ± 95 % CI)"}
    columns = [c for c in ("S1", "ST", "mu_star", "sigma", "mu") if c in result.table]
    width = max(len(p) for p in result.table["parameter"])
    lines = [titles.get(result.method, result.method), reading_note(result)]
    for outcome, group in result.table.groupby("outcome", sort=False):
        lines.append("")
        lines.append(f"{readable(outcome)} ({outcome})")
        lines.append(f"  {'rank':>4}  {'parameter':<{width}}  " + "  ".join(f"{c:>16}" for c in columns))
        for _, row in group.iterrows():
            cells = []
            for c in columns:
                conf = row.get(f"{c}_conf")
                text = f"{row[c]:.3f}"
                if conf is not None and np.isfinite(conf):
                    text += f" ±{conf:.3f}"
                cells.append(f"{text:>16}")
            lines.append(f"  {int(row['rank']):>4}  {row['parameter']:<{width}}  " + "  ".join(cells))
    if result.notes:
        lines.append("")
        lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
