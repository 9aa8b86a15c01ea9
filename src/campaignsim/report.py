"""`campaignsim report DIR`: one self-contained HTML file from a results folder.

The report is for readers who will not run Python: the question each scenario asks, the
scenarios' key settings side by side, the outcome table with 95 % confidence intervals,
the figures (embedded as base64 PNG/SVG, so the file needs no network and no other file)
and the manifest (resolved scenarios, seeds, library versions).

It reads what the folder holds, by its `manifest.json` kind and the files present:

- a run folder (`campaignsim run`): summary.json, adoption.png;
- a compare folder (`campaignsim compare`): comparison.csv, runs.csv, *_compare.png;
- a fit folder (`campaignsim fit`): the credible intervals, generations and patterns
  from its manifest, and posterior.png, predictive.png, epsilon.png;
- a sweep folder (kind "sweep"): runs.parquet or runs.csv, grouped by the swept
  parameters into means with CIs; any other kind falls back to the tables and figures it
  finds. A part that cannot be read is reported as such, never a crash. A sweep folder
  that `campaignsim sweep` wrote is checked first (`require_intact`): an incomplete or
  damaged one is refused with a message, not reported in part.

The HTML has no scripts and no external references (no http(s) URL in any src, href or
stylesheet).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .scenario import CHANNELS, ScenarioError

SHARE = "share"
#: Outcomes shown in the tables: summary key, label, format.
OUTCOMES = (
    ("final_enrolled_share", "enrolled (incl. active)", SHARE),
    ("active_share", "active", SHARE),
    ("enrolment_engagement_gap", "enrolment–engagement gap", SHARE),
    ("disengaged_share", "disengaged", SHARE),
    ("aware_share", "aware (ever)", SHARE),
    ("weeks_to_50", "weeks to 50 % enrolled", "weeks"),
    ("mean_ownership_at_enrolment", "mean ownership at enrolment (campaign, seeds excluded)",
     "number"),
    ("mean_ownership_of_enrolled_now", "mean ownership of the enrolled now", "number"),
    ("mean_fidelity_at_enrolment", "mean fidelity at enrolment (campaign, seeds excluded)",
     "number"),
    ("mean_fidelity_of_enrolled_now", "mean fidelity of the enrolled now", "number"),
    ("ideas", "ideas co-produced", "count"),
)
DIFFERENCES = ("final_enrolled_share", "active_share", "disengaged_share",
               "mean_ownership_of_enrolled_now")
#: The two kinds of channel credit: (column prefix, heading, note).
CHANNEL_CREDIT = (
    ("hazard_share", "Who enrolled the clinicians: share of the enrolment hazard",
     "Each campaign enrolment (seeds excluded) is credited to one channel, picked in "
     "proportion to the channels' hazards h_c / Σh that week; the shares sum to 100 %. A "
     "channel is credited also with enrolments that would have happened without it."),
    ("needed_share", "Enrolments that needed the channel",
     "Share of campaign enrolments that would not have happened, with the same random draw, "
     "without this channel (u ≥ 1 − Π of the other channels' (1 − h)). An enrolment can need "
     "no channel (several each sufficient) or several at once, so these do not sum to 100 %."),
)

FIGURE_ORDER = ("adoption.png", "effects_compare.png", "adoption_compare.png")

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       max-width: 1280px; margin: 24px auto; padding: 0 18px; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 3px 7px; vertical-align: top; }
th { background: #f4f6f8; text-align: left; } td.n { text-align: right; white-space: nowrap; }
td.changed { background: #fff4d6; font-weight: 600; }
.ci { color: #666; font-size: 0.85em; } .note { color: #555; font-size: 0.92em; }
figure { margin: 12px 0 24px 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; } pre { background: #f7f7f7; padding: 10px;
overflow-x: auto; font-size: 0.8em; } .warn { color: #9a3412; }
.scroll { overflow-x: auto; }
"""


# --- reading the folder ----------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """The folder's manifest.json (ScenarioError if the folder or manifest is missing)."""
    if not folder.is_dir():
        raise ScenarioError(folder, None, "not a folder")
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(folder, None, "no manifest.json: not a campaignsim results folder "
                            "(campaignsim run, compare or sweep writes one)") from None
    except ValueError as err:
        raise ScenarioError(path, None, f"not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ScenarioError(path, None, "not a JSON object")
    return data


def _looks_like_scenario(value) -> bool:
    return isinstance(value, dict) and "staff" in value and "weeks" in value


def resolved_scenarios(manifest: dict) -> dict[str, dict]:
    """Resolved scenarios named in a manifest, by name (run, compare, or any nesting)."""
    found: dict[str, dict] = {}

    def visit(value, depth: int) -> None:
        if depth > 4:
            return
        if _looks_like_scenario(value):
            found.setdefault(str(value.get("name", f"scenario {len(found) + 1}")), value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _looks_like_scenario(item) and "name" not in item:
                    item = {**item, "name": key}
                visit(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                visit(item, depth + 1)

    resolved = manifest.get("resolved", {})
    if _looks_like_scenario(resolved) and "name" not in resolved and manifest.get("scenario"):
        resolved = {**resolved, "name": str(manifest["scenario"])}
    visit(resolved, 0)
    for key, value in manifest.items():
        if key != "resolved":
            visit(value, 1)
    return found


def scenario_question(source: str | None, bases: list[Path]) -> str | None:
    """The "Question:" lines of a scenario file's header comment, if the file is found."""
    from .bundled import question_of

    if not source:
        return None
    candidates = [Path(source)] if Path(source).is_absolute() else [b / source for b in bases]
    return next(filter(None, map(question_of, candidates)), None)


def _sources(manifest: dict) -> dict[str, str]:
    """Scenario name → source file as the manifest records it."""
    names = [n.strip() for n in str(manifest.get("scenario", "")).split(",") if n.strip()]
    sources = manifest.get("sources")
    if isinstance(sources, list) and len(sources) == len(names):
        return dict(zip(names, map(str, sources)))
    if isinstance(manifest.get("source"), str) and names:
        return {names[0]: manifest["source"]}
    if isinstance(sources, dict):
        return {str(k): str(v) for k, v in sources.items()}
    return {}


# --- formatting ------------------------------------------------------------------------


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _format(value, kind: str) -> str:
    if not _finite(value):
        return "—"
    value = float(value)
    if kind == SHARE:
        text = f"{value:.1%}"
    elif kind in ("weeks", "count"):
        text = f"{value:.1f}"
    else:
        text = f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.%") else text  # no "-0.0%"


def _mean_ci_cell(mean, low, high, kind: str) -> str:
    text = html.escape(_format(mean, kind))
    if _finite(low) and _finite(high):
        text += (f'<br><span class="ci">[{html.escape(_format(low, kind))}, '
                 f"{html.escape(_format(high, kind))}]</span>")
    return f'<td class="n">{text}</td>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def _td(text, cls: str = "") -> str:
    attribute = f' class="{cls}"' if cls else ""
    return f"<td{attribute}>{html.escape(str(text))}</td>"


def _mean_ci(values) -> tuple[float, float, float]:
    from .compare import mean_ci

    return mean_ci(np.asarray(values, dtype=float))


# --- the sections ----------------------------------------------------------------------


def key_settings(scenario: dict) -> dict[str, str]:
    """The settings that tell strategies apart, as short text (mechanism → setting)."""
    staff = scenario.get("staff", {}) or {}
    sizes = staff.get("clinicians_per_department", 0)
    departments = staff.get("departments", 0)
    if staff.get("graph"):
        hospital = f"graph file {Path(str(staff['graph'])).name}"
    else:
        total = sum(sizes) if isinstance(sizes, list) else (sizes or 0) * (departments or 0)
        hospital = (f"{total:,} clinicians, {departments} depts, "
                    f"homophily {staff.get('profession_homophily', 0):g}")

    def on(name):
        table = scenario.get(name)
        return table if isinstance(table, dict) and table.get("enabled", True) else None

    def distribution(value) -> str:
        if isinstance(value, dict):
            kind = value.get("distribution", "")
            parts = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                              for k, v in value.items() if k != "distribution")
            return f"{kind}({parts})"
        return f"{value:g}" if isinstance(value, (int, float)) else str(value)

    def weeks(table) -> str:
        end = table.get("end_week")
        return f"wk {table.get('start_week', 1)}–{end if end is not None else 'end'}"

    settings = {"weeks": str(scenario.get("weeks", "")), "hospital": hospital}
    seeding = scenario.get("seeding", {}) or {}
    settings["seeds"] = (f"{len(seeding['nodes'])} named" if seeding.get("nodes") else
                         f"{seeding['count']} by {seeding.get('rule')}" if seeding.get("count")
                         else f"{seeding['share']:.0%} by {seeding.get('rule')}"
                         if seeding.get("share") else "none")
    table = on("broadcast")
    settings["broadcast"] = (f"{table.get('intensity', 0):g}/wk, {weeks(table)}" if table
                             else "off")
    table = on("events")
    settings["events"] = (f"weeks {table.get('weeks')}, reach {table.get('reach', 0):g}"
                          if table else "off")
    table = on("mandate")
    settings["mandate"] = (f"pressure {table.get('pressure', 0):g}, {weeks(table)}, backlash "
                           f"{table.get('backlash', 0):g}" if table else "off")
    table = on("codesign")
    settings["co-design"] = f"share {table.get('share', 0):g}" if table else "off"
    table = on("hybrids")
    if table:
        leave = (f", {table.get('leave_share', 0):.0%} leave wk {table['leave_week']}"
                 if table.get("leave_week") else "")
        settings["hybrids"] = (f"alignment {distribution(table.get('alignment'))}, capacity "
                               f"{table.get('capacity')}{leave}")
    else:
        settings["hybrids"] = "off"
    table = on("champions")
    settings["champions"] = (f"{staff.get('champions', 0)} by {table.get('rule')}" if table
                             else "off")
    table = on("peer")
    if table:
        rule = table.get("rule", "threshold")
        settings["peer"] = (f"threshold {distribution(table.get('threshold'))}"
                            if rule == "threshold" else f"{rule}, q {table.get('q', 0):g}")
    else:
        settings["peer"] = "off"
    for name in ("activation", "fatigue", "erosion"):
        table = on(name)
        key = {"activation": "rate", "fatigue": "load", "erosion": "rate"}[name]
        settings[name] = f"{key} {table.get(key, 0):g}" if table else "off"
    table = on("shock")
    settings["shock"] = (f"wk {table.get('week')}, size {table.get('size', 0):g}" if table
                         else "off")
    return settings


def _settings_section(scenarios: dict[str, dict]) -> str:
    if not scenarios:
        return '<p class="note">The manifest records no resolved scenarios.</p>'
    settings = {name: key_settings(s) for name, s in scenarios.items()}
    keys = list(next(iter(settings.values())))
    reference = next(iter(settings.values()))
    rows = []
    for name, values in settings.items():
        cells = [_td(name)]
        for key in keys:
            changed = name != next(iter(settings)) and values.get(key) != reference.get(key)
            cells.append(_td(values.get(key, ""), "changed" if changed else ""))
        rows.append(cells)
    note = ('<p class="note">Highlighted: settings that differ from the first scenario '
            f"({html.escape(next(iter(settings)))}).</p>" if len(settings) > 1 else "")
    return _table(["scenario", *keys], rows) + note


def _question_section(manifest: dict, scenarios: dict[str, dict], bases: list[Path]) -> str:
    sources = _sources(manifest)
    names = list(scenarios) or list(sources)
    if not names:
        return '<p class="note">No scenario is named in the manifest.</p>'
    rows = []
    for name in names:
        scenario = scenarios.get(name, {})
        question = scenario_question(sources.get(name), bases)
        rows.append([_td(name), _td(scenario.get("description", "") or "—"),
                     _td(question or "—"), _td(sources.get(name, "—"))])
    return _table(["scenario", "description", "question (from the scenario file)", "file"], rows)


def _compare_outcomes(folder: Path) -> str:
    table = pd.read_csv(folder / "comparison.csv")
    reference = table["scenario"].iloc[0]
    rows = []
    for _, row in table.iterrows():
        cells = [_td(row["scenario"]), f'<td class="n">{int(row.get("replications", 0))}</td>']
        for key, _, kind in OUTCOMES:
            if key in table.columns:
                cells.append(_mean_ci_cell(row[key], row.get(f"{key}_ci_low"),
                                           row.get(f"{key}_ci_high"), kind))
        rows.append(cells)
    header = ["scenario", "runs", *[label for key, label, _ in OUTCOMES if key in table.columns]]
    parts = ["<h3>Outcomes at the end of the campaign</h3>",
             '<p class="note">Mean over replications with its 95 % confidence interval '
             "(t-based) in brackets. Shares are of all clinicians.</p>",
             _table(header, rows)]
    difference_keys = [k for k in DIFFERENCES if f"diff_{k}" in table.columns]
    if difference_keys and len(table) > 1:
        labels = dict((k, label) for k, label, _ in OUTCOMES)
        kinds = dict((k, kind) for k, _, kind in OUTCOMES)
        rows = []
        for _, row in table.iloc[1:].iterrows():
            cells = [_td(row["scenario"])]
            for key in difference_keys:
                mean, low, high = (row[f"diff_{key}"], row.get(f"diff_{key}_ci_low"),
                                   row.get(f"diff_{key}_ci_high"))
                cell = _mean_ci_cell(mean, low, high, kinds[key])
                if _finite(low) and _finite(high) and (low > 0 or high < 0):
                    cell = cell.replace('class="n"', 'class="n changed"')
                cells.append(cell)
            rows.append(cells)
        parts += [f"<h3>Paired differences to {html.escape(str(reference))}</h3>",
                  '<p class="note">Replicate i of every scenario uses the same seed (same staff '
                  "graph, clinicians and weekly draws), so differences are paired. Highlighted: "
                  "the 95 % CI excludes zero.</p>",
                  _table(["scenario", *[labels[k] for k in difference_keys]], rows)]
    parts.append(_across_draws(table))
    for prefix, heading, note in CHANNEL_CREDIT:
        channel_columns = [f"{prefix}:{c}" for c in CHANNELS if f"{prefix}:{c}" in table]
        if not channel_columns:
            continue
        rows = [[_td(row["scenario"]), *[_mean_ci_cell(row[c], row.get(f"{c}_ci_low"),
                                                      row.get(f"{c}_ci_high"), SHARE)
                                         for c in channel_columns]]
                for _, row in table.iterrows()]
        parts += [f"<h3>{html.escape(heading)}</h3>", f'<p class="note">{html.escape(note)}</p>',
                  _table(["scenario", *[c.split(":", 1)[1] for c in channel_columns]], rows)]
    return "".join(parts)


def _across_draws(table: pd.DataFrame) -> str:
    """A comparison across a posterior's draws (`compare --posterior`): per strategy and
    headline outcome, the probability of benefit and the spread of the per-draw effects;
    "" for a comparison on one parameter set."""
    keys = [c.removeprefix("prob_benefit_") for c in table.columns
            if c.startswith("prob_benefit_")]
    if not keys or len(table) < 2:
        return ""
    labels = {k: label for k, label, _ in OUTCOMES}
    kinds = {k: kind for k, _, kind in OUTCOMES}
    rows = []
    for _, row in table.iloc[1:].iterrows():
        cells = [_td(row["scenario"])]
        for key in keys:
            low, high = row.get(f"diff_{key}_draws_low"), row.get(f"diff_{key}_draws_high")
            spread = (f'<br><span class="ci">{html.escape(_format(low, kinds[key]))} … '
                      f'{html.escape(_format(high, kinds[key]))}</span>'
                      if _finite(low) and _finite(high) else "")
            cells.append(f'<td class="n">{html.escape(_format(row[f"prob_benefit_{key}"], SHARE))}'
                         f"{spread}</td>")
        rows.append(cells)
    draws = int(table["draws"].max()) if "draws" in table else "?"
    return (f"<h3>Across the accepted set: probability of benefit ({draws} parameter sets)</h3>"
            '<p class="note">Each strategy ran on parameter sets drawn by weight from the '
            "calibration's accepted set (the posterior), with common random numbers within "
            "each draw. Per outcome: the share of draws in which the strategy's mean effect "
            "beats the reference (for the enrolment–engagement gap: is lower), and below it "
            "the 10–90 % range of the per-draw mean effects. The confidence intervals above "
            "pool all draws; this spread is what is not known about the world.</p>"
            + _table(["scenario", *[labels.get(k, k) for k in keys]], rows))


def _run_outcomes(folder: Path) -> str:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    rows = [[_td(label), f'<td class="n">{html.escape(_format(summary.get(key), kind))}</td>']
            for key, label, kind in OUTCOMES if key in summary]
    for key, label in (("hazard_share_enrolments", "enrolments by channel (share of the hazard)"),
                       ("enrolments_needing_channel", "enrolments that needed the channel")):
        channels = summary.get(key, {})
        rows.append([_td(label),
                     _td(", ".join(f"{c} {v}" for c, v in channels.items() if v) or "none")])
    return ("<h3>Outcomes at the end of the campaign</h3>"
            f'<p class="note">One run (seed {html.escape(str(summary.get("seed")))}, '
            f"{html.escape(str(summary.get('clinicians')))} clinicians, "
            f"{html.escape(str(summary.get('weeks')))} weeks): no confidence intervals; "
            "<code>campaignsim compare</code> replicates.</p>"
            + _table(["outcome", "value"], rows))


def _read_runs(folder: Path, manifest: dict) -> pd.DataFrame | None:
    if manifest.get("kind") == "sweep":
        try:  # the sweep's own reader (runs.parquet and any parts)
            from .sweep import load_runs

            runs = load_runs(folder)
            if len(runs):
                return runs
        except Exception:  # another layout than this version's sweep writes: read the files
            pass
    for name, reader in (("runs.parquet", pd.read_parquet), ("runs.csv", pd.read_csv)):
        if (folder / name).is_file():
            return reader(folder / name)
    return None


def _grouping_columns(runs: pd.DataFrame, manifest: dict) -> list[str]:
    """Columns that identify a grid point of a sweep (or a scenario of a comparison)."""
    named: list[str] = []
    places = [manifest, manifest.get("design"), manifest.get("sweep")]
    for place in (p for p in places if isinstance(p, dict)):
        for key in ("parameters", "grid", "axes", "factors", "swept"):
            value = place.get(key)
            if isinstance(value, dict):
                named += list(value)
            elif isinstance(value, list):
                named += [v if isinstance(v, str) else str(v.get("path", v.get("name", "")))
                          for v in value if isinstance(v, (str, dict))]
    columns = list(dict.fromkeys(c for c in named if c in runs.columns))
    if not columns:
        for key in ("grid_point", "point", "scenario"):
            if key in runs.columns:
                return [key]
    outcome_keys = {k for k, _, _ in OUTCOMES}
    if not columns:
        excluded = outcome_keys | {"seed", "replicate", "run", "run_id", "scenario_index",
                                   "index", "elapsed", "seconds"}
        columns = [c for c in runs.columns if c not in excluded and not c.startswith("channel")
                   and runs[c].nunique(dropna=False) <= max(1, len(runs) // 2)
                   and runs[c].nunique(dropna=False) > 1]
    return columns[:6]


def _sweep_outcomes(folder: Path, manifest: dict) -> str:
    runs = _read_runs(folder, manifest)
    if runs is None:
        return '<p class="note">No runs table (runs.parquet or runs.csv) in this folder.</p>'
    outcomes = [(k, label, kind) for k, label, kind in OUTCOMES if k in runs.columns]
    if not outcomes:
        return (f'<p class="note">The runs table has {len(runs)} rows but none of the outcome '
                f"columns ({', '.join(k for k, _, _ in OUTCOMES)}).</p>")
    groups = _grouping_columns(runs, manifest)
    rows = []
    grouped = runs.groupby(groups, dropna=False, sort=True) if groups else [((), runs)]
    for key, members in grouped:
        key = key if isinstance(key, tuple) else (key,)
        cells = [_td(_short(v)) for v in key]
        cells.append(f'<td class="n">{len(members)}</td>')
        for column, _, kind in outcomes:
            cells.append(_mean_ci_cell(*_mean_ci(members[column].to_numpy(dtype=float)), kind))
        rows.append(cells)
    note = (f'<p class="note">{len(runs)} runs grouped by {", ".join(groups) or "nothing"} '
            "(the swept parameters): mean and 95 % CI over the replications of each point. "
            "Every other setting is the base scenario's (Key settings).</p>")
    design = manifest.get("design")
    if isinstance(design, dict) and isinstance(design.get("parameters"), list):
        swept = []
        for parameter in design["parameters"]:
            if isinstance(parameter, dict) and "path" in parameter:
                values = parameter.get("values", parameter.get("range", "?"))
                text = ", ".join(map(_short, values)) if isinstance(values, list) else str(values)
                swept.append(f"<code>{html.escape(str(parameter['path']))}</code> "
                             f"{html.escape(text)}")
        if swept:
            kind = html.escape(str(design.get("method") or design.get("kind") or "design"))
            note += f'<p class="note">Swept ({kind}): {"; ".join(swept)}.</p>'
    limit = 400
    more = (f'<p class="note">First {limit} of {len(rows)} grid points shown; the runs table '
            "holds them all.</p>" if len(rows) > limit else "")
    return ("<h3>Outcomes by grid point</h3>" + note
            + _table([*groups, "runs", *[label for _, label, _ in outcomes]], rows[:limit])
            + more)


def _fit_outcomes(manifest: dict) -> str:
    """A fit folder: credible intervals per fitted field, the generations, the patterns."""
    parameters = manifest.get("parameters") or {}
    if manifest.get("status") != "complete" or not parameters:
        return ('<p class="warn">This fit has not finished (no posterior yet); run the same '
                "`campaignsim fit` command again to resume it.</p>")
    level = f"{manifest.get('credible', 0.9):.0%}"
    rows = []
    for path, entry in parameters.items():
        if "mode" in entry:
            shares = ", ".join(f"{k} {v:.0%}" for k, v in entry["probabilities"].items())
            rows.append([_td(path), _td(entry["mode"]), _td(shares), _td("choice"), _td("")])
            continue
        ratio = entry.get("width_ratio")
        rows.append([_td(path), _td(f"{entry['median']:.4g}"),
                     _td(f"{entry['low']:.4g} … {entry['high']:.4g}"),
                     _td(f"{entry['prior_low']:.4g} … {entry['prior_high']:.4g}"),
                     _td("" if ratio is None else f"{ratio:.0%}")])
    parts = [_table(["field", "posterior median", f"{level} credible interval", "prior range",
                     "interval / prior width"], rows)]
    parts.append(_table(["generation", "epsilon", "acceptance rate", "simulations"], [
        [_td(g["t"] + 1), _td(f"{g['epsilon']:.4g}"), _td(f"{g['acceptance']:.1%}"),
         _td(g["samples"])] for g in manifest.get("generations", [])]))
    met = manifest.get("patterns_met")
    if met:
        parts.append("<p>Share of posterior-predictive runs meeting each pattern:</p>")
        parts.append(_table(["pattern", "met"], [[_td(k), _td(f"{v:.0%}")]
                                                 for k, v in met.items()]))
    return "".join(parts)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _figures_section(folder: Path) -> str:
    images = [p for place in (folder, folder / "plots") if place.is_dir()
              for p in sorted(place.iterdir())
              if p.suffix.lower() in (".png", ".svg") and p.is_file()]
    images.sort(key=lambda p: (FIGURE_ORDER.index(p.name) if p.name in FIGURE_ORDER
                               else len(FIGURE_ORDER), p.name))
    if not images:
        return '<p class="note">No figures in this folder.</p>'
    parts = []
    captions = {
        "adoption.png": "Share of clinicians in each state by week, and enrolment by role.",
        "effects_compare.png": "Each strategy's effect: the paired difference to the baseline "
                               "at the end of the campaign, mean and 95 % CI.",
        "adoption_compare.png": "Enrolled (incl. active) and active shares by week, each "
                                "strategy against the baseline (grey): mean over replications "
                                "with 95 % CI bands.",
        "adoption_fans.png": "Adoption curves across the sweep's design points.",
        "heatmap.png": "Outcomes over the two swept parameters.",
        "posterior.png": "Posterior marginals (bars) against the prior (outline), pairs below.",
        "predictive.png": "Posterior-predictive runs against the data or the pattern ranges.",
        "epsilon.png": "The ABC-SMC epsilon schedule and acceptance rate by generation.",
        "curve.png": "The optimised choice against the alternatives on held-out seeds (and "
                     "the search).",
        "who.png": "The staff network by department and profession, the chosen champions "
                   "marked in order of choice.",
    }
    for path in images:
        mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        name = path.relative_to(folder).as_posix()
        caption = captions.get(path.name) or (
            f"Outcomes against {path.stem.removeprefix('outcomes_vs_')}."
            if path.name.startswith("outcomes_vs_") else name)
        parts.append(f'<figure><img alt="{html.escape(name)}" '
                     f'src="data:{mime};base64,{data}"><figcaption>{html.escape(caption)} '
                     f"<span class=\"ci\">({html.escape(name)})</span></figcaption></figure>")
    return "".join(parts)


def _safely(title: str, build) -> str:
    try:
        return build()
    except Exception as err:  # a part that cannot be read must not sink the report
        return (f'<p class="warn">Could not build “{html.escape(title)}”: '
                f"{html.escape(type(err).__name__)}: {html.escape(str(err))}</p>")


def build_report(folder: str | Path) -> str:
    """The report of a results folder as one HTML document (a string)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = str(manifest.get("kind", "unknown"))
    if kind == "sweep" and isinstance(manifest.get("design"), dict):
        from .sweep import require_intact

        require_intact(folder)   # this version's store: never a report of part of it
    scenarios = resolved_scenarios(manifest)
    bases = [Path.cwd(), folder.resolve().parent, folder.resolve().parent.parent,
             Path(__file__).resolve().parents[2]]
    title = {"run": "Run", "compare": "Strategy comparison", "sweep": "Parameter sweep",
             "fit": "Calibration (ABC-SMC)",
             "optimise": "Optimisation (champions or levers)"}.get(kind, f"Results ({kind})")
    if kind == "fit":
        outcomes = lambda: _fit_outcomes(manifest)  # noqa: E731
    elif kind == "optimise":
        from .optimise.outputs import report_section

        outcomes = lambda: report_section(manifest)  # noqa: E731
    elif kind == "compare" or (folder / "comparison.csv").is_file():
        outcomes = lambda: _compare_outcomes(folder)  # noqa: E731
    elif kind == "run" or (folder / "summary.json").is_file():
        outcomes = lambda: _run_outcomes(folder)  # noqa: E731
    else:
        outcomes = lambda: _sweep_outcomes(folder, manifest)  # noqa: E731
    facts = []
    for key, label in (("scenario", "scenarios"), ("replications", "replications"),
                       ("seed", "seed"), ("identity", "identity")):
        if key in manifest:
            facts.append(f"<b>{label}</b>: {html.escape(_short(manifest[key]))}")
    versions = manifest.get("versions", {})
    if isinstance(versions, dict) and versions:
        facts.append("<b>versions</b>: " + html.escape(", ".join(
            f"{k} {v}" for k, v in versions.items() if v)))
    manifest_text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        GENERATOR,
        f"<title>campaignsim report: {html.escape(title)} ({html.escape(folder.name)})</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>campaignsim: {html.escape(title)}</h1>",
        f'<p class="note">From the results folder <code>{html.escape(str(folder))}</code> '
        f"(kind “{html.escape(kind)}”). An agent-based model of a hospital quality-improvement "
        "campaign after Waring &amp; Crompton (2017), “A ‘movement for improvement’?”. "
        "Results are model outputs under the stated assumptions, not measurements.</p>",
        f'<p class="note">{"<br>".join(facts)}</p>' if facts else "",
        "<h2>The question</h2>",
        _safely("the question", lambda: _question_section(manifest, scenarios, bases)),
        "<h2>Key settings</h2>",
        _safely("the settings", lambda: _settings_section(scenarios)),
        "<h2>Outcomes</h2>",
        _safely("the outcomes", outcomes),
        "<h2>Figures</h2>",
        _safely("the figures", lambda: _figures_section(folder)),
        "<h2>Manifest</h2>",
        '<p class="note">Everything needed to reproduce these results: the resolved scenarios, '
        "seeds, content hashes, library versions and the command.</p>",
        f"<details><summary>manifest.json ({len(manifest_text):,} characters)</summary>"
        f"<pre>{html.escape(manifest_text)}</pre></details>",
        "</body></html>",
    ])


#: Marks an HTML file as a campaignsim report, which a later report may replace.
GENERATOR = '<meta name="generator" content="campaignsim report">'


def written_by_campaignsim(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return GENERATOR.encode() in handle.read(4096)
    except OSError:
        return False


def write_report(folder: str | Path, out: str | Path | None = None, force: bool = False) -> Path:
    """Write the report of `folder` to `out` (default: folder/report.html); return the path.

    An existing file is replaced only if it is a campaignsim report (it carries GENERATOR
    in its head), or with `force`."""
    from .folders import claim_file
    from .results_io import write_text

    folder = Path(folder)
    target = claim_file(out if out else folder / "report.html", written_by_campaignsim, force)
    document = build_report(folder)
    write_text(target, document)
    return Path(out) if out else folder / "report.html"
