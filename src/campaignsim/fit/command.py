"""`campaignsim fit FILE`: plan, claim the results folder, run or resume pyABC, write the
posterior, fitted.toml, figures and manifest, print the credible intervals."""

from __future__ import annotations

import time
from pathlib import Path

from ..folders import Claim, results_check
from ..results_io import manifest, versions, write_json, write_text
from ..scenario import ScenarioError
from ..workers import chosen_executor
from .engine import generations, pyabc_prior, run_fit
from .outputs import (CREDIBLE, fitted_toml, intervals, posterior_table, predictive,
                      write_posterior)
from .plan import plan_fit

FILES = ("history.db", "posterior.parquet", "fitted.toml", "posterior.png", "predictive.png",
         "epsilon.png", "manifest.json")


def default_folder(plan) -> Path:
    return Path("results") / f"{plan.name}-fit"


def _check_flags(args) -> str:
    executor = chosen_executor(args)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise ScenarioError(None, "fit", "needs pyABC: pip install 'campaignsim[fit]'") from None
    return executor



def fit_command(args, check_memory) -> int:
    executor = _check_flags(args)
    plan = plan_fit(args.file, args.data)
    seed = plan.scenario.seed if args.seed is None else args.seed
    workers = args.workers or 1
    check_memory([plan.scenario], plan.fit.population, workers)
    out = Path(args.out) if args.out is not None else default_folder(plan)
    identity = plan.identity(seed)
    check = results_check("fit", identity, {"seed": seed}, force=False,
                          remedy="a folder holds one fit; choose another --out")
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    with Claim(out, check) as claim:
        folder = claim.folder
        fields = dict(scenario=plan.name, source=str(args.file), seed=seed,
                      data=str(getattr(plan.target, "file", "")) or None,
                      population=plan.fit.population, resolved=plan.scenario.to_dict())
        if claim.existing is None:
            write_json(folder / "manifest.json", manifest("fit", identity, status="running",
                                                          **fields))
        claim.keep = True   # a stopped fit keeps history.db and its manifest, to resume
        resumed = len(generations(folder / "history.db"))
        if resumed:
            say(f"resuming from generation {resumed} in {out}/")
        started = time.perf_counter()
        done = run_fit(plan, folder, seed, workers, executor, args.scheduler, progress=say)
        if not done:
            raise ScenarioError(args.file, "fit", "no generation was completed: the "
                                "acceptance rate fell below min_acceptance_rate at once")
        table = posterior_table(plan, folder / "history.db")
        write_posterior(table, folder / "posterior.parquet")
        found = intervals(plan, table)
        write_text(folder / "fitted.toml", fitted_toml(plan, found, folder, seed, len(done)))
        say(f"posterior-predictive check: {plan.fit.predictive_runs} particles …")
        predicted = predictive(plan, table, seed)
        _figures(plan, table, predicted, done, seed, folder)
        summary = {"generations": [dict(t=g.t, epsilon=g.epsilon, samples=g.samples,
                                        acceptance=g.acceptance) for g in done],
                   "parameters": found, "credible": CREDIBLE,
                   "patterns_met": predicted.get("met"),
                   "seconds_this_invocation": round(time.perf_counter() - started, 1)}
        record = manifest("fit", identity, status="complete", **fields, **summary)
        record["versions"] = versions("pyabc")
        write_json(folder / "manifest.json", record)
    print(format_intervals(found))
    if predicted.get("met"):
        print("patterns met in posterior-predictive runs: " + ", ".join(
            f"{name} {share:.0%}" for name, share in predicted["met"].items()))
    print(f"wrote {out}/: {' '.join(FILES)}")
    return 0


def _figures(plan, table, predicted, done, seed, folder: Path) -> None:
    from ..plots import save_figure
    from .figures import epsilon_figure, posterior_figure, predictive_figure

    save_figure(posterior_figure(plan, table, pyabc_prior(plan), seed), folder / "posterior.png")
    save_figure(predictive_figure(plan, predicted), folder / "predictive.png")
    save_figure(epsilon_figure(plan, done), folder / "epsilon.png")


def format_intervals(found: dict) -> str:
    lines = [f"{'field':<28} {'median':>10} {CREDIBLE:.0%} credible interval   prior"]
    for path, entry in found.items():
        if "mode" in entry:
            shares = ", ".join(f"{k} {v:.0%}" for k, v in entry["probabilities"].items())
            lines.append(f"{path:<28} {str(entry['mode']):>10}   ({shares})")
            continue
        narrow = entry["width_ratio"]
        lines.append(f"{path:<28} {entry['median']:>10.4g}   {entry['low']:.4g} … "
                     f"{entry['high']:.4g}   {entry['prior_low']:.4g} … "
                     f"{entry['prior_high']:.4g}"
                     + (f"  ({narrow:.0%} of the prior's width)" if narrow is not None else ""))
    return "\n".join(lines)
