"""Validation against diffusion theory: run the checks and write docs/validation.md.

    python -m campaignsim.studies.validation [--out docs] [--workers N]

Each check (one module per theory: check_bass.py, check_granovetter.py, check_limits.py)
builds its scenarios programmatically, runs the model, computes the theory's curve and
returns the measured deviation beside the tolerance it must meet. The tests
(tests/test_validation_theory.py) assert the checks at CI size; `main` runs them at page
size and writes validation.md (from templates/validation.md) with its figures under
figures/.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import norm

from .check_bass import (TEST_BASS_RUNS, TEST_BASS_WEEKS, BassResult, bass_check,
                         bass_closed_form, bass_discretisation_bound, bass_neighbour_bound,
                         bass_peak_rate, bass_recursion)
from .check_granovetter import (SWEEP_WEEKS, THRESHOLD_MEAN, complete_graph_thresholds,
                                granovetter_uniform, threshold_sweep_check)
from .check_limits import (limit_broadcast, limit_cascade_tree, limit_erosion,
                           limit_nothing_on, limit_threshold_front, limit_zero_threshold)
from .runs import Check
from .tables import max_abs, number, template


@dataclass
class Validation:
    """Everything the page shows."""

    bass: BassResult
    uniform: dict
    sweep: dict
    limits: dict
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0


def run_all(workers: int = 1, replications: int = 20, bass_weeks: int = 780,
            sds=None) -> Validation:
    """Run every check at page size."""
    started = time.perf_counter()
    bass = bass_check(weeks=bass_weeks, replications=replications, workers=workers)
    checks = bass.checks()
    with tempfile.TemporaryDirectory() as directory:
        uniform = {}
        for raised in (False, True):
            result, thresholds = granovetter_uniform(directory, raised)
            model = result.timeseries["enrolled"].to_numpy()
            theory = complete_graph_thresholds(thresholds, len(model) - 1)
            label = "1/99 raised to 2/99" if raised else "thresholds k/99"
            uniform[label] = {"model": model, "theory": theory}
            checks.append(Check(f"Granovetter: {label}", "final " + ("1" if raised else "100"),
                                float(np.max(np.abs(model - theory))), 0.0,
                                f"model final {model[-1]}, theory final {theory[-1]}"))
        limits = {
            "nothing": limit_nothing_on(),
            "broadcast": limit_broadcast(),
            "front": limit_threshold_front(directory),
            "zero": limit_zero_threshold(directory),
            "tree": limit_cascade_tree(directory),
            "erosion": limit_erosion(),
            "erosion_peer": limit_erosion(peer_ownership=0.2),
        }
    checks += [check for check, _ in limits.values()]
    if sds is None:
        sds = np.union1d(np.round(np.arange(0.05, 0.2001, 0.01), 3), [0.115, 0.125])
    check, sweep = threshold_sweep_check(sds, workers)
    checks.insert(6, check)  # after the other Granovetter checks
    return Validation(bass, uniform, sweep, limits, checks, time.perf_counter() - started)


def _figures(v: Validation, figures: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures.mkdir(parents=True, exist_ok=True)
    paths = {}

    def save(fig, name):
        path = figures / f"validation_{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths[name] = f"{figures.name}/{path.name}"

    b = v.bass
    weeks = np.arange(b.weeks + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    top.fill_between(weeks, b.runs.min(axis=0), b.runs.max(axis=0), color="0.85",
                     label=f"range of {len(b.runs)} runs")
    top.plot(weeks, b.mean, color="C0", lw=2, label="model, mean of runs")
    top.plot(weeks, b.recursion, "k--", lw=1.2, label="discrete Bass recursion")
    top.plot(weeks, b.closed_form, color="C3", ls=":", lw=1.5, label="continuous closed form")
    top.set_ylabel("enrolled share")
    top.set_title(f"Bass: complete graph, N = {b.clinicians}, p = 0.03/52, q = 0.38/52 per week")
    top.legend(loc="lower right")
    bottom.plot(weeks, b.mean - b.recursion, color="C0", label="model mean − recursion")
    bottom.plot(weeks, b.recursion - b.closed_form, color="C3", label="recursion − closed form")
    bottom.plot(weeks, b.recursion_model - b.recursion, color="C2",
                label="N−1 recursion − recursion")
    bottom.axhline(0.02, color="0.5", lw=0.8, ls="--")
    bottom.axhline(-0.02, color="0.5", lw=0.8, ls="--")
    bottom.set_xlabel("week")
    bottom.set_ylabel("difference")
    bottom.legend(loc="lower right", fontsize=8)
    save(fig, "bass")

    fig, ax = plt.subplots(figsize=(8, 4))
    for (label, data), colour in zip(v.uniform.items(), ("C0", "C3")):
        ax.step(np.arange(len(data["model"])), data["model"], where="post", color=colour,
                lw=2, label=f"model: {label}")
        ax.plot(np.arange(len(data["theory"])), data["theory"], "k.", ms=2.5)
    ax.plot([], [], "k.", label="Granovetter's synchronous dynamics")
    ax.set_xlabel("week")
    ax.set_ylabel("enrolled clinicians (of 100)")
    ax.set_title("Granovetter: 100 fully tied clinicians, uniform thresholds")
    ax.legend(loc="center right")
    save(fig, "granovetter_uniform")

    s = v.sweep
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(s["fine"], s["crowd"], "k-", lw=1.2, label="Granovetter, infinite crowd")
    ax.plot(s["fine"], s["graph"], color="C2", ls="--", lw=1.2,
            label="mean field on the random graph (degree 100)")
    ax.plot(s["sds"], s["model"], "o", color="C0", label="model, N = 10,000, one run each")
    ax.axvline(s["critical"], color="k", lw=0.8, ls=":", label="σ_c, infinite crowd")
    ax.axvline(s["critical_graph"], color="C2", lw=0.8, ls=":", label="σ_c, random graph")
    ax.set_xlabel("σ of the thresholds (mean 0.25)")
    ax.set_ylabel("final enrolled share")
    ax.set_title("Granovetter: final share against threshold spread")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.08))
    save(fig, "granovetter_sigma")

    fig, axes = plt.subplots(2, 2, figsize=(9, 7))
    broadcast, erosion = v.limits["broadcast"][1], v.limits["erosion"][1]
    erosion_peer = v.limits["erosion_peer"][1]
    ax = axes[0, 0]
    ax.plot(broadcast["model"], color="C0", lw=2, label="model")
    ax.plot(broadcast["theory"], "k--", label="1 − (1 − p)^t")
    ax.set_title("broadcast alone, p = 0.05")
    ax.set_xlabel("week")
    ax.set_ylabel("enrolled share")
    ax.legend()
    ax = axes[0, 1]
    ax.plot(erosion["model"], color="C0", lw=2, label="model, ownership 0.6")
    ax.plot(erosion["theory"], "k--", label="(1 − 0.1·0.4)^t")
    ax.plot(erosion_peer["model"], color="C1", lw=2, label="model, ownership 0.2")
    ax.plot(erosion_peer["theory"], "k:", label="(1 − 0.1·0.8)^t")
    ax.set_yscale("log")
    ax.set_title("erosion alone, rate 0.1")
    ax.set_xlabel("week")
    ax.set_ylabel("enrolled share (log)")
    ax.legend(fontsize=8)
    for ax, key, title, distance in (
            (axes[1, 0], "front", "threshold 1/max degree, one seed", "distance from the seed"),
            (axes[1, 1], "tree", "cascade q = 1 on a tree", "depth (distance from the root)")):
        data = v.limits[key][1]
        nodes = [n for n in data["weeks"] if n in data["distance"]]
        x = np.array([data["distance"][n] for n in nodes])
        y = np.array([data["weeks"][n] for n in nodes])
        counts = {}
        for a, c in zip(x, y):
            counts[(a, c)] = counts.get((a, c), 0) + 1
        ax.scatter([k[0] for k in counts], [k[1] for k in counts],
                   s=[8 + 8 * np.sqrt(c) for c in counts.values()], color="C0",
                   label="clinicians (bigger: more of them)")
        ax.plot([0, x.max()], [0, x.max()], "k--", lw=1, label="week = distance")
        ax.set_title(title)
        ax.set_xlabel(distance)
        ax.set_ylabel("week of enrolment")
        ax.legend(markerscale=0.5)
    save(fig, "limits")
    return paths


SMALL_BATCH = 8


def _miss_rate(bass: BassResult, size: int, draws: int = 2000) -> float:
    """Share of random subsets of `size` runs whose mean leaves the 0.02 band somewhere."""
    if len(bass.runs) <= size:
        return float("nan")
    rng = np.random.default_rng(0)
    misses = [max_abs(bass.runs[rng.choice(len(bass.runs), size, replace=False)].mean(axis=0)
                       - bass.recursion) > bass.tolerance for _ in range(draws)]
    return float(np.mean(misses))


def _table(checks: list[Check]) -> str:
    lines = ["| check | theory | setting | max abs deviation | tolerance | passes |",
             "|---|---|---|---:|---:|:---:|"]
    for c in checks:
        lines.append(f"| {c.name} | {c.theory} | {c.note} | {number(c.deviation)} "
                     f"| {number(c.tolerance)} | {'yes' if c.passed else '**no**'} |")
    return "\n".join(lines)


def _sweep_table(sweep: dict) -> str:
    lines = ["| σ | model | mean field, random graph | mean field, infinite crowd |",
             "|---:|---:|---:|---:|"]
    for row in zip(sweep["sds"], sweep["model"], sweep["graph_at_sds"], sweep["crowd_at_sds"]):
        lines.append("| " + " | ".join(f"{x:.{3 if i == 0 else 4}f}" for i, x in enumerate(row))
                     + " |")
    return "\n".join(lines)


def write_page(v: Validation, out: Path) -> Path:
    """Write `out`/validation.md and its figures under `out`/figures/."""
    out.mkdir(parents=True, exist_ok=True)
    paths = _figures(v, out / "figures")
    b = v.bass
    p, q, n, weeks = b.p, b.q, b.clinicians, b.weeks
    peak = bass_peak_rate(p, q)
    sampling = b.runs.std(axis=0, ddof=1)
    test_runs, test_weeks = min(TEST_BASS_RUNS, len(b.runs)), min(TEST_BASS_WEEKS, weeks)
    test_mean = b.runs[:test_runs, :test_weeks + 1].mean(axis=0)
    yearly = (bass_recursion(0.03, 0.38, 30), bass_closed_form(0.03, 0.38, 30))
    s = v.sweep
    low, high = s["model"] < 0.5, s["model"] >= 0.5
    by_name = {c.name: c for c in v.checks}
    text = template("validation.md").format(
        table=_table(v.checks), sweep_table=_sweep_table(s),
        bass_figure=paths["bass"], uniform_figure=paths["granovetter_uniform"],
        sigma_figure=paths["granovetter_sigma"], limits_figure=paths["limits"],
        n=n, weeks=weeks, runs=len(b.runs), last_seed=len(b.runs) - 1, p=p, q=q, peak=peak,
        peak_week=np.log(q / p) / (p + q),
        lag=0.5 * np.log(peak / p), p_lag=p * weeks, rest=weeks * (p + q) ** 2,
        bound=bass_discretisation_bound(p, q, weeks),
        neighbour_bound=bass_neighbour_bound(p, q, weeks, n),
        mean_vs_recursion=by_name["Bass: model mean vs discrete recursion"].deviation,
        mean_vs_model_recursion=max_abs(b.mean - b.recursion_model),
        mean_vs_closed=by_name["Bass: model mean vs closed form"].deviation,
        recursion_vs_closed=by_name["Bass: recursion vs closed form (no model)"].deviation,
        recursion_vs_closed_week=int(np.argmax(np.abs(b.recursion - b.closed_form))),
        neighbour=by_name["Bass: N−1 share vs N share (no model)"].deviation,
        yearly_gap=max_abs(yearly[0] - yearly[1]),
        sd_max=sampling.max(), sd_week=int(np.argmax(sampling)),
        se_max=sampling.max() / np.sqrt(len(b.runs)),
        z=b.tolerance / (sampling.max() / np.sqrt(len(b.runs))),
        small_batch=SMALL_BATCH, small_batch_misses=_miss_rate(b, SMALL_BATCH),
        test_runs=test_runs, test_runs_last=test_runs - 1, test_weeks=test_weeks,
        test_deviation=max_abs(test_mean - b.recursion[:test_weeks + 1]),
        test_z=b.tolerance / (sampling[:test_weeks + 1].max() / np.sqrt(test_runs)),
        critical=s["critical"], critical_graph=s["critical_graph"],
        sweep_weeks=SWEEP_WEEKS,
        sweep_dev=max_abs((s["model"] - s["graph_at_sds"])[s["off"]]),
        sweep_dev_crowd=max_abs((s["model"] - s["crowd_at_sds"])[s["off"]]),
        jump_from=s["model"][low][-1] if low.any() else np.nan,
        jump_from_sd=s["sds"][low][-1] if low.any() else np.nan,
        jump_to=s["model"][high][0] if high.any() else np.nan,
        jump_to_sd=s["sds"][high][0] if high.any() else np.nan,
        off_lo=s["window"][0], off_hi=s["window"][1],
        instigators_small=norm.cdf(-THRESHOLD_MEAN / 0.05) * 10_000,
        eccentricity=v.limits["front"][1]["eccentricity"], seconds=v.seconds,
    )
    page = out / "validation.md"
    kept = ""   # sections other scripts append (the fit's coverage: benchmarks/fit_coverage.py)
    if page.exists() and APPENDED in (old := page.read_text()):
        kept = "\n" + old[old.index(APPENDED):]
    page.write_text(text + kept)
    return page


#: Marks where validation.md's appended sections start; regenerating the page keeps them.
APPENDED = "<!-- appended sections -->"


def main(argv: list[str] | None = None) -> int:
    """Run every check at page size and write the page; exit status 1 if any fails."""
    parser = argparse.ArgumentParser(prog="python -m campaignsim.studies.validation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", type=Path,
                        help="folder for validation.md and figures/ (default: docs)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for the runs (default 1; more helps on an idle "
                        "machine with several CPUs)")
    args = parser.parse_args(argv)
    validation = run_all(workers=args.workers)
    page = write_page(validation, args.out)
    failed = [c for c in validation.checks if not c.passed]
    for check in validation.checks:
        print(f"{'ok  ' if check.passed else 'FAIL'} {check.name}: {number(check.deviation)} "
              f"(tolerance {number(check.tolerance)})")
    print(f"wrote {page} in {validation.seconds:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
