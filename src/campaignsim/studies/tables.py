"""Tables, number formats and page templates shared by the study pages.

Every number on docs/findings.md and docs/validation.md passes through these functions,
so a share, a paired difference or a confidence interval reads the same everywhere:
shares in %, differences of shares in percentage points, a 95 % CI in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy import stats

from ..compare import mean_ci


def template(name: str) -> str:
    """The page template `templates/<name>`, read from the installed package."""
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Metric:
    """Per-run values of one measure, shape (arms, replications)."""

    label: str
    values: np.ndarray
    kind: str = "share"  # share (shown in %), weeks, score (0–1, two decimals), count


def metric_table(names: list[str], metrics: list[Metric]) -> pd.DataFrame:
    """One row per arm: mean and 95 % CI of each metric, and the paired difference to
    the first arm with its CI (exactly 0 for the first arm itself).

    Examples:
        >>> table = metric_table(["a", "b"], [Metric("x", np.array([[1.0, 2.0], [2.0, 4.0]]))])
        >>> table[["arm", "x", "x diff"]].values.tolist()
        [['a', 1.5, 0.0], ['b', 3.0, 1.5]]
    """
    rows = []
    for index, name in enumerate(names):
        row = {"arm": name}
        for metric in metrics:
            own = metric.values[index]
            row[metric.label], row[f"{metric.label} low"], row[f"{metric.label} high"] = mean_ci(own)
            row[f"{metric.label} n"] = int(np.isfinite(own).sum())
            (row[f"{metric.label} diff"], row[f"{metric.label} diff low"],
             row[f"{metric.label} diff high"]) = mean_ci(own - metric.values[0])
        rows.append(row)
    return pd.DataFrame(rows)


def fmt(value: float, kind: str = "share", diff: bool = False) -> str:
    """A number as the page shows it: shares in %, differences of shares in points.

    Examples:
        >>> fmt(0.7043), fmt(0.012, diff=True), fmt(3.25, "weeks"), fmt(0.5512, "score")
        ('70.4 %', '+1.2 pts', '3.2', '0.55')
    """
    if value is None or not np.isfinite(value):
        return "—"
    sign = "+" if diff else ""
    if kind == "share":
        return f"{100 * value:{sign}.1f} pts" if diff else f"{100 * value:.1f} %"
    if kind == "score":
        return f"{value:{sign}.2f}"
    return f"{value:{sign}.1f}"


def ci_text(table: pd.DataFrame, arm: str, label: str, kind: str = "share",
            diff: bool = False) -> str:
    """'70.4 % [69.6, 71.2]' (or the paired difference) for one cell of a metric table."""
    row = table.set_index("arm").loc[arm]
    key = f"{label} diff" if diff else label
    return format_ci((row[key], row[f"{key} low"], row[f"{key} high"]), kind, diff)


def format_ci(estimate: tuple[float, float, float], kind: str = "share", diff: bool = False) -> str:
    """(mean, low, high) as '70.4 % [69.6, 71.2]'.

    Examples:
        >>> format_ci((0.704, 0.696, 0.712)), format_ci((0.01, -0.002, 0.02), diff=True)
        ('70.4 % [69.6, 71.2]', '+1.0 pts [-0.2, +2.0]')
    """
    mean, low, high = estimate
    text = fmt(mean, kind, diff)
    if np.isfinite(low):
        bounds = [fmt(b, kind, diff).replace(" pts", "").replace(" %", "") for b in (low, high)]
        text += f" [{bounds[0]}, {bounds[1]}]"
    return text


def value(table: pd.DataFrame, arm: str, label: str, diff: bool = False) -> float:
    return float(table.set_index("arm").loc[arm, f"{label} diff" if diff else label])


def interval(table: pd.DataFrame, arm: str, label: str, diff: bool = True) -> tuple[float, float]:
    row = table.set_index("arm").loc[arm]
    key = f"{label} diff" if diff else label
    return float(row[f"{key} low"]), float(row[f"{key} high"])


def direction(table: pd.DataFrame, arm: str, label: str, up: str, down: str,
              same: str) -> str:
    """`up` if the paired difference's CI is above 0, `down` if below, else `same`."""
    low, high = interval(table, arm, label)
    return up if low > 0 else down if high < 0 else same


def markdown_table(table: pd.DataFrame, metrics: list[Metric], labels: dict[str, str],
                   replications: int) -> str:
    """The metric table as Markdown: mean [95 % CI], and Δ to the first arm below it."""
    header = "| arm | " + " | ".join(m.label for m in metrics) + " |"
    lines = [header, "|" + "---|" * (len(metrics) + 1)]
    reference = table["arm"].iloc[0]
    for _, row in table.iterrows():
        cells = []
        for metric in metrics:
            cell = ci_text(table, row["arm"], metric.label, metric.kind)
            if row[f"{metric.label} n"] < replications:
                cell += f" ({row[f'{metric.label} n']}/{replications} runs)"
            if row["arm"] != reference:
                cell += "<br>Δ " + ci_text(table, row["arm"], metric.label, metric.kind, diff=True)
            cells.append(cell)
        name = labels.get(row["arm"], row["arm"])
        name = f"**{name}** (reference)" if row["arm"] == reference else name
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wilson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Examples:
        >>> [round(x, 3) for x in wilson(0, 20)]
        [0.0, 0.161]
    """
    if trials == 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials ** 2)) / (1 + z * z / trials)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def max_abs(values) -> float:
    return float(np.max(np.abs(values)))


def number(value: float) -> str:
    """A deviation or tolerance: 0 exactly, 2 significant digits below 0.001, else 4 places."""
    return "0" if value == 0 else f"{value:.2g}" if abs(value) < 1e-3 else f"{value:.4f}"
