"""What an optimisation writes: the hospital it chose champions in (a generated staff, as
a CSV edge list and node CSV), choice.toml (a scenario extending the optimised file with
the choice, runnable by `run` and `compare`), evaluations.parquet (every candidate
evaluated, with its replicate outcomes), curve.png and who.png.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..results_io import atomic_write, write_text
from ..world import StaffWorld

STAFF_EDGES, STAFF_NODES = "staff_edges.csv", "staff_nodes.csv"


def _csv(rows: list[list], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_staff(world: StaffWorld, folder: Path) -> tuple[Path, Path]:
    """The staff graph of a world as a CSV edge list and node CSV (every node once, in
    graph order), so that every replicate and choice.toml run on this one hospital."""
    graph = world.graph
    nodes = [[n, d["role"], d["department"], d["profession"]] for n, d in graph.nodes(data=True)]
    edges = sorted((min(u, v), max(u, v)) for u, v in graph.edges())
    write_text(folder / STAFF_NODES, _csv(nodes, ["id", "role", "department", "profession"]))
    write_text(folder / STAFF_EDGES, _csv([list(e) for e in edges], ["source", "target"]))
    return folder / STAFF_EDGES, folder / STAFF_NODES


def _toml_value(value) -> str:
    if isinstance(value, float):
        return repr(round(value, 6))
    return json.dumps(value)   # ints, strings and lists of them: JSON spells them as TOML


def choice_toml(plan, folder: Path, seed: int, settings: dict, header: list[str]) -> str:
    """A scenario extending the optimised file with `settings` (dotted path → value)."""
    source = Path(plan.source).resolve()
    lines = [f"# Chosen by `campaignsim optimise` (seed {seed}); see manifest.json.",
             *(f"# {line}" for line in header),
             "# Run it: campaignsim run choice.toml   (or compare it with other scenarios)",
             "", f"extends = {json.dumps(os.path.relpath(source, folder))}",
             f"name = {json.dumps(plan.name + '-choice')}",
             f"description = {json.dumps('The choice of campaignsim optimise for ' + plan.name)}",
             ""]
    lines += [f"{path} = {_toml_value(value)}" for path, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_evaluations(records: list[dict], path: Path) -> None:
    table = pd.DataFrame(records)
    for column in ("round", "k", "cost"):
        if column in table:
            table[column] = pd.to_numeric(table[column], errors="coerce")
    atomic_write(path, lambda p: table.to_parquet(p, index=False))


# --- figures ---------------------------------------------------------------------------

COLOURS = {"greedy": "#d62728", "random": "#7f7f7f", "degree": "#1f77b4",
           "betweenness": "#2ca02c", "diffusion": "#9467bd", "hybrids": "#ff7f0e"}


def curve_figure(found: dict, objective: str):
    """Objective against k on held-out seeds (mean, 95 % CI) for greedy and each
    heuristic; beside it, greedy minus each heuristic with paired CIs."""
    import matplotlib.pyplot as plt

    rows = pd.DataFrame(found["held_out"]["outcomes"])
    diffs = pd.DataFrame(found["held_out"]["greedy_minus"])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    none = rows[rows["method"] == "none"].iloc[0]
    for method, own in rows[rows["method"] != "none"].groupby("method", sort=False):
        ks = np.r_[0, own["k"]]
        mean = np.r_[none["mean"], own["mean"]]
        left.plot(ks, mean, marker="o", ms=3, color=COLOURS.get(method), label=method,
                  lw=2.2 if method == "greedy" else 1.2)
        left.fill_between(own["k"], own["low"], own["high"], color=COLOURS.get(method),
                          alpha=0.15)
    left.set(xlabel="champions k", ylabel=objective.replace("_", " "),
             title="held-out seeds: mean and 95 % CI")
    left.legend(fontsize=8)
    for method, own in diffs.groupby("heuristic", sort=False):
        right.errorbar(own["k"], own["mean"], yerr=[own["mean"] - own["low"],
                                                    own["high"] - own["mean"]],
                       marker="o", ms=3, capsize=2, color=COLOURS.get(method), label=method)
    right.axhline(0, color="black", lw=0.8)
    right.set(xlabel="champions k", ylabel="greedy minus heuristic",
              title="paired difference (held-out seeds), 95 % CI")
    right.legend(fontsize=8)
    figure.tight_layout()
    return figure


def who_figure(world: StaffWorld, chosen: list, title: str):
    """The staff network by department (a sector each) and profession (colour), the
    chosen champions marked with their order of choice."""
    import matplotlib.pyplot as plt

    n = len(world.nodes)
    rng = np.random.default_rng(0)   # the layout only
    departments = len(world.department_members)
    angle = 2 * np.pi * (world.department + rng.uniform(0.1, 0.9, n)) / departments
    radius = np.sqrt(rng.uniform(0.15, 1.0, n))
    xy = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    figure, axes = plt.subplots(figsize=(7.5, 7.5))
    upper = world.adjacency.tocoo()
    keep = upper.row < upper.col
    rows, cols = upper.row[keep], upper.col[keep]
    if len(rows) > 4000:
        pick = rng.choice(len(rows), 4000, replace=False)
        rows, cols = rows[pick], cols[pick]
    segments = np.stack([xy[rows], xy[cols]], axis=1)
    from matplotlib.collections import LineCollection

    axes.add_collection(LineCollection(segments, colors="#bbbbbb", linewidths=0.2, alpha=0.4))
    palette = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    for code, name in enumerate(world.profession_names):
        mine = world.profession == code
        axes.scatter(*xy[mine].T, s=6, color=palette[code % len(palette)], label=name)
    index = {str(node): i for i, node in enumerate(world.nodes)}
    marked = [index[str(node)] for node in chosen]
    axes.scatter(*xy[marked].T, s=90, facecolors="none", edgecolors="#d62728", linewidths=1.6,
                 label="chosen champion")
    for order, i in enumerate(marked, start=1):
        axes.annotate(str(order), xy[i], fontsize=7, color="#d62728", xytext=(4, 4),
                      textcoords="offset points")
    for d, name in enumerate(world.department_names):
        middle = 2 * np.pi * (d + 0.5) / departments
        axes.text(1.12 * np.cos(middle), 1.12 * np.sin(middle), f"dept {name}", ha="center",
                  va="center", fontsize=7)
    axes.set(aspect="equal", xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), title=title)
    axes.axis("off")
    axes.legend(loc="lower left", fontsize=7, markerscale=1.5)
    return figure


def levers_figure(found: dict, objective: str, budget: float):
    """Search trials (cost against outcome, the Pareto front if asked) and the held-out
    check of the chosen mix against the strategies the budget affords."""
    import matplotlib.pyplot as plt

    trials = pd.DataFrame(found["trials"])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.scatter(trials["cost"], trials["outcome"], s=12, color="#7f7f7f", label="trial")
    if found.get("front"):
        front = pd.DataFrame(found["front"])
        left.plot(front["cost"], front["outcome"], color="#1f77b4", marker="o", ms=4,
                  label="Pareto front")
    chosen = found["chosen"]
    left.scatter([chosen["cost"]], [chosen["outcome"]], s=80, color="#d62728", label="chosen")
    left.axvline(budget, color="black", lw=0.8, ls="--", label="budget")
    left.set(xlabel="cost", ylabel=objective.replace("_", " "), title="search (search seeds)")
    left.legend(fontsize=8)
    rows = pd.DataFrame(found["held_out"]["rows"])
    positions = np.arange(len(rows))
    right.errorbar(rows["mean"], positions, xerr=[rows["mean"] - rows["low"],
                                                  rows["high"] - rows["mean"]],
                   fmt="o", capsize=3, color="#1f77b4")
    right.set_yticks(positions, [f"{s} ({c:g})" for s, c in zip(rows["strategy"], rows["cost"])],
                     fontsize=8)
    right.invert_yaxis()
    right.set(xlabel=objective.replace("_", " "), title="held-out seeds: mean, 95 % CI (cost)")
    figure.tight_layout()
    return figure


# --- the report (campaignsim report DIR) ----------------------------------------------


def report_section(manifest: dict) -> str:
    """The outcomes of an optimise folder as HTML: the closing note, then the held-out
    table (champions: each method by k, and greedy minus each heuristic; levers: the mix
    and each alternative, with costs and paired differences). With a robust objective
    (posterior draws) each held-out outcome also shows the score the search maximised."""
    import html

    result = manifest.get("result") or {}
    held = result.get("held_out") or {}

    def cell(row, key: str = "") -> str:
        """mean [low, high] of the row's mean/low/high, or of key/key_low/key_high."""
        names = ("mean", "low", "high") if not key else (key, f"{key}_low", f"{key}_high")
        mean, low, high = (row.get(name) for name in names)
        if mean is None or not np.isfinite(mean):
            return "<td>—</td>"
        return f'<td class="n">{mean:.3f}<br><span class="ci">[{low:.3f}, {high:.3f}]</span></td>'

    def table(header: list[str], rows: list[str]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        return f"<table><tr>{head}</tr>{''.join(f'<tr>{r}</tr>' for r in rows)}</table>"

    robust = result.get("scored_as")     # None on one parameter set: no score to show

    def scored(row) -> str:
        return f'<td class="n">{row["score"]:.3f}</td>' if robust else ""

    parts = [f"<pre>{html.escape(str(manifest.get('note', '')))}</pre>"]
    if robust:
        parts.append(f"<p>Searched on {html.escape(robust)}; the score column is that "
                     "score on the held-out seeds.</p>")
    if manifest.get("mode") == "champions":
        outcomes = held.get("outcomes", [])
        methods = list(dict.fromkeys(r["method"] for r in outcomes if r["method"] != "none"))
        ks = sorted({r["k"] for r in outcomes if r["k"]})
        by = {(r["method"], r["k"]): r for r in outcomes}
        rows = [f"<td>{k}</td>" + "".join(cell(by[(m, k)]) + scored(by[(m, k)])
                                          for m in methods) for k in ks]
        header = [name for m in methods for name in ([m, f"{m} score"] if robust else [m])]
        parts.append(f"<h3>{html.escape(str(manifest.get('objective')))} on held-out seeds "
                     "(mean, 95 % CI)</h3>" + table(["k", *header], rows))
        diffs = {(d["heuristic"], d["k"]): d for d in held.get("greedy_minus", [])}
        others = [m for m in methods if m != "greedy"]
        rows = [f"<td>{k}</td>" + "".join(cell(diffs[(m, k)]) for m in others) for k in ks]
        parts.append("<h3>Greedy minus each heuristic (paired, 95 % CI)</h3>"
                     + table(["k", *others], rows))
        plain = result.get("plain_greedy")
        if plain:
            parts.append(f"<p>CELF used {result['evaluations']} set evaluations, plain greedy "
                         f"{plain['evaluations']}; same choice: {plain['same_choice']}.</p>")
    else:
        rows = [f"<td>{html.escape(r['strategy'])}</td><td class=\"n\">{r['cost']:g}</td>"
                + cell(r) + scored(r) + cell(r, "diff") for r in held.get("rows", [])]
        parts.append(table(["strategy", "cost", "mean (95 % CI)",
                            *(["robust score"] if robust else []), "mix minus it"], rows))
    return "".join(parts)
