"""The `campaignsim` command: a thin shell over the Python API.

Bad input (a scenario file, a field, a graph file, an output folder) ends with one
message naming the file and field and what is allowed, and exit status 2; a failure of
the environment (disk full, read-only folder, out of memory) with one message and exit
status 1; Ctrl-C with 130. Every command that writes goes through `folders.Claim`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from . import kernels
from .budget import add_memory_flags, check_memory_budget, sweep_scenarios
from .limits import (DRAWS_MAX, REPLICATIONS_MAX, SEED_MAX, WEEKS_MAX, WORKERS_MAX,
                     ScenarioError, whole_number)


def load_scenario(path):
    """scenario.load_scenario, loaded on first use: `--help` and a usage error need no
    schema (pydantic), so they answer at once."""
    from .scenario import load_scenario as load

    return load(path)

#: The scenario run and app use when none is named: a bundled name (see bundled.py).
DEFAULT_SCENARIO = "baseline"
#: Most runs per sweep chunk a flag accepts.
CHUNK_MAX = 1_000_000


def whole_number_flag(low: int, high: int):
    """An argparse type for every integer flag: a whole number in [low, high], else a usage
    error naming the flag and the range (exit 2), before any work starts."""
    def parse(text: str) -> int:
        try:
            return whole_number(int(text), "", low, high)
        except (ValueError, ScenarioError):
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r} (allowed: a whole "
                                             f"number from {low} to {high})") from None
    return parse


def _format_summary(summary: dict) -> str:
    def share(value):
        return "—" if value is None else f"{value:.1%}"

    def weeks(value):
        return "never" if value is None else f"week {value}"

    def number(value):
        return "—" if value is None else f"{value:.2f}"

    channels = ", ".join(f"{c} {v}" for c, v in summary["hazard_share_enrolments"].items() if v)
    needed = ", ".join(f"{c} {v}" for c, v in summary["enrolments_needing_channel"].items() if v)
    return "\n".join([
        f"scenario {summary['scenario']}  seed {summary['seed']}  "
        f"{summary['clinicians']} clinicians  {summary['weeks']} weeks",
        f"  enrolled (incl. active) {share(summary['final_enrolled_share'])}   "
        f"active {share(summary['active_share'])}   gap {share(summary['enrolment_engagement_gap'])}   "
        f"disengaged {share(summary['disengaged_share'])}   aware {share(summary['aware_share'])}",
        f"  25% enrolled: {weeks(summary['weeks_to_25'])}   50%: {weeks(summary['weeks_to_50'])}   "
        f"75%: {weeks(summary['weeks_to_75'])}",
        f"  enrolments by channel (share of the hazard): {channels or 'none'}",
        f"  enrolments that needed the channel: {needed or 'none'}",
        f"  mean ownership at enrolment {number(summary['mean_ownership_at_enrolment'])}, "
        f"of the enrolled now {number(summary['mean_ownership_of_enrolled_now'])}   "
        f"ideas co-produced {summary['ideas']:.1f}",
    ])


def command_run(args) -> int:
    scenario = load_scenario(args.file)
    overrides = {k: v for k, v in (("seed", args.seed), ("weeks", args.steps)) if v is not None}
    if overrides:
        scenario = scenario.with_overrides(**overrides)
    size = check_memory_budget([scenario], 1, 1, args.max_memory, args.yes)  # before heavy imports

    from . import plots
    from .folders import Claim, results_check
    from .results_io import manifest, write_json, write_text
    from .runner import run

    out = Path(args.out) if args.out is not None else Path("results") / scenario.name
    identity = scenario.content_hash()
    # The claim (lock, checked contents) is held for the whole command: no other run can
    # write into the folder between the check and the last file.
    check = results_check("run", identity, {"seed": scenario.seed}, args.force)
    # one run: under `auto`, numpy unless it is big enough to repay loading numba
    with kernels.for_one_run(size.clinicians * scenario.weeks), Claim(out, check) as claim:
        result = run(scenario)
        folder = claim.folder
        write_text(folder / "timeseries.csv",
                   result.timeseries.to_csv(index=False, float_format="%.10g"))
        write_json(folder / "summary.json", result.summary)
        plots.save_figure(plots.adoption_figure(
            result.timeseries, f"{scenario.name} (seed {scenario.seed})"), folder / "adoption.png")
        write_json(folder / "manifest.json", manifest(
            "run", identity, scenario=scenario.name, source=str(args.file), seed=scenario.seed,
            scenario_hash=scenario.content_hash(exclude=()), resolved=scenario.to_dict()))
    print(_format_summary(result.summary))
    print(f"wrote {out}/: timeseries.csv summary.json adoption.png manifest.json")
    return 0


def command_compare(args) -> int:
    from . import compare_plots, plots
    from .compare import by_effect, bundled_scenarios, compare, comparison_table, format_table
    from .folders import Claim, results_check
    from .results_io import manifest, write_json, write_text

    from .bundled import bundled_folder

    files = [Path(f) for f in args.files] or bundled_scenarios(bundled_folder())
    if not files:
        raise ScenarioError(bundled_folder(), None, "no scenario files found; name them")
    scenarios = []
    for file in files:
        try:
            scenarios.append(load_scenario(file))
        except ScenarioError as err:
            raise ScenarioError(err.source or file, err.field, err.message) from None
    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        scenarios = [s.with_overrides(name=f"{s.name}-{i + 1}") if s.name in duplicates else s
                     for i, s in enumerate(scenarios)]
    across = _posterior_draws(args, files, scenarios)
    replications = args.replications or (across["replications"] if across else 20)
    runs = len(scenarios) * replications * (across["draws"] if across else 1)
    check_memory_budget(scenarios, runs, args.workers, args.max_memory, args.yes)
    out = Path(args.out) if args.out is not None else Path("results") / "compare"
    identity = hashlib.sha256(" ".join(s.content_hash() for s in scenarios).encode()).hexdigest()
    fields = {"seed": args.seed, "replications": replications}
    if across:
        fields.update(posterior_sha256=across["sha256"], draws=across["draws"])
        print(across["note"], flush=True)
    with Claim(out, results_check("compare", identity, fields, args.force)) as claim:
        started = time.perf_counter()
        comparison = compare(scenarios, replications=replications, seed=args.seed,
                             workers=args.workers, quiet=args.quiet,
                             draws=across["scenarios"] if across else None)
        elapsed = time.perf_counter() - started
        table = comparison_table(comparison)
        folder = claim.folder
        write_text(folder / "comparison.csv", table.to_csv(index=False, float_format="%.6g"))
        write_text(folder / "runs.csv", comparison.runs.to_csv(index=False, float_format="%.6g"))
        plots.save_figure(compare_plots.effects_figure(table), folder / "effects_compare.png")
        plots.save_figure(compare_plots.adoption_figure(comparison,
                                                        list(by_effect(table).index)),
                          folder / "adoption_compare.png")
        recorded = ({"posterior": {k: across[k] for k in ("file", "draws_seed",
                                                          "parameter_sets")}}
                    if across else {})
        write_json(folder / "manifest.json", manifest(
            "compare", identity, scenario=", ".join(s.name for s in scenarios),
            sources=[str(f) for f in files], **fields, **recorded,
            replicate_seeds=[int(x) for x in comparison.runs.query("scenario_index == 0")["seed"]],
            scenario_hashes={s.name: s.content_hash() for s in scenarios},
            resolved={s.name: s.to_dict() for s in scenarios}))
    print(format_table(table))
    if across:
        from .posterior import format_across

        print(format_across(table))
    shape = f"{across['draws']} draws × " if across else ""
    print(f"{len(scenarios)} scenarios × {shape}{replications} replications in {elapsed:.1f} s; "
          f"wrote {out}/: comparison.csv runs.csv effects_compare.png adoption_compare.png "
          "manifest.json")
    return 0


def _posterior_draws(args, files: list[Path], scenarios: list) -> dict | None:
    """The comparison across an accepted set, if this one runs across one: --posterior
    FILE, or the shipped posterior for the default comparison (no FILE) unless
    --no-posterior; a missing shipped file falls back with a printed note. Returns the
    posterior's file, sha256, K, R, the draws, their seed, every scenario under each draw
    and the line that says so."""
    from .posterior import (DEFAULT_DRAWS, DEFAULT_REPLICATIONS, draw_scenarios,
                            load_posterior, own_settings, shipped_posterior)

    path = Path(args.posterior) if args.posterior else None
    if path is None and not args.files and not args.no_posterior:
        path = shipped_posterior()
        if not path.is_file():
            print(f"note: the shipped accepted set {path} is missing; comparing on the "
                  "baseline's own parameter set", flush=True)
            path = None
    if path is None:
        if args.draws is not None:
            raise ScenarioError(None, "--draws", "needs a posterior: --posterior FILE, or the "
                                "default comparison (no FILE) with the shipped one")
        return None
    posterior = load_posterior(path)
    draws = args.draws or DEFAULT_DRAWS
    replications = args.replications or DEFAULT_REPLICATIONS
    parameter_sets = posterior.draws(draws, args.seed)
    own = [own_settings(file, files[0]) for file in files]
    default = "" if args.draws or args.replications else (
        " (the default, sized to finish in under a minute on two cores)")
    return {"file": str(path), "sha256": posterior.sha256, "draws": draws,
            "replications": replications, "draws_seed": args.seed,
            "parameter_sets": parameter_sets,
            "scenarios": draw_scenarios(scenarios, posterior, parameter_sets, own),
            "note": f"across the accepted set {path}: {draws} parameter sets drawn by weight "
                    f"(seed {args.seed}) × {replications} replications of each strategy"
                    f"{default}; --no-posterior compares on one parameter set"}


def command_validate(args) -> int:
    from .budget import estimate_run, format_bytes
    from .checks import check_scenario

    scenario = load_scenario(args.file)
    check_scenario(scenario)  # what the model checks at construction, without building it
    sized = [scenario]
    if scenario.sweep is not None:
        from .sweep import plan_sweep

        sized = sweep_scenarios(plan_sweep(scenario))  # checks the design as sweep does
    estimate = max((estimate_run(s) for s in sized), key=lambda e: e.bytes)
    print(json.dumps(scenario.to_dict(), indent=2, allow_nan=False))
    print(f"{args.file}: valid; {'the largest' if len(sized) > 1 else 'a'} run needs about "
          f"{format_bytes(estimate.bytes)} of memory ({estimate.sizes()})", file=sys.stderr)
    return 0


def command_sweep(args) -> int:
    from .sweep import (SweepFailed, default_folder, format_points, load_runs, plan_sweep,
                        point_table, run_sweep, stored_note)

    from .workers import chosen_executor

    executor = chosen_executor(args)
    plan = plan_sweep(args.file)
    # on a remote Dask cluster the runs are not in this machine's memory: check one run only
    check_memory_budget(sweep_scenarios(plan), plan.runs, 1 if args.scheduler else args.workers,
                        args.max_memory, args.yes)
    out = Path(args.out) if args.out is not None else default_folder(plan)
    try:
        outcome = run_sweep(plan, out, workers=args.workers, executor=executor,
                            scheduler=args.scheduler, quiet=args.quiet,
                            yes=args.yes, chunk=args.chunk,
                            announce=None if args.quiet else lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print(f"campaignsim: interrupted; {stored_note(out.resolve())}", file=sys.stderr)
        return 130
    except SweepFailed as err:
        print(f"campaignsim: error: {err}; {stored_note(out.resolve())}", file=sys.stderr)
        return 1
    runs = load_runs(outcome.folder)
    paths = [p.path for p in plan.design().parameters]
    print(format_points(point_table(runs, paths), paths))
    if outcome.ran:
        print(f"{outcome.ran:,} runs in {outcome.seconds:.1f} s ({outcome.runs_per_second:.1f} "
              f"runs/s); {len(runs):,} of {outcome.total:,} runs in {out}/: runs.parquet "
              "timeseries/ manifest.json")
    else:
        print(f"nothing to run: all {outcome.total:,} runs are in {out}/")
    return 0


def command_fit(args) -> int:
    from .fit.command import fit_command

    return fit_command(args, lambda scenarios, runs, workers: check_memory_budget(
        scenarios, runs, 1 if args.scheduler else workers, args.max_memory, args.yes))


def command_optimise(args) -> int:
    from .optimise.command import optimise_command

    return optimise_command(args, lambda scenarios, runs, workers: check_memory_budget(
        scenarios, runs, 1 if args.scheduler else workers, args.max_memory, args.yes))


def command_plot(args) -> int:
    from . import plots
    from .folders import Claim

    with Claim(args.folder, create=False, flag="DIR") as claim:
        written = plots.sweep_figures(claim.folder)
    print(f"wrote {len(written)} figures to {Path(args.folder) / 'plots'}/: "
          + " ".join(p.name for p in written))
    return 0


def command_sensitivity(args) -> int:
    from . import plots
    from .folders import Claim
    from .results_io import write_text
    from .sweep import format_sensitivity, sensitivity

    with Claim(args.folder, create=False, flag="DIR") as claim:
        result = sensitivity(claim.folder, tuple(args.outcome) if args.outcome else None)
        print(format_sensitivity(result))
        if result.table.empty:
            return 0
        write_text(claim.folder / "sensitivity.csv",
                   result.table.to_csv(index=False, float_format="%.6g"))
        plots.save_figure(plots.sensitivity_figure(result), claim.folder / "sensitivity.png")
    print(f"wrote {args.folder}/: sensitivity.csv sensitivity.png")
    return 0


def command_app(args) -> int:
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        raise ScenarioError(None, "app", "the teaching page needs the optional extra; install "
                            "it with: python3 -m pip install -e '.[app]'")
    file = args.file
    load_scenario(file)  # a bad file ends here with its message, not in the browser
    # No telemetry; and quiet about the session cookie over plain http on 127.0.0.1
    # (Solara warns on every page load; it falls back to SameSite=Lax, which is right here).
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONWARNINGS=warnings,
               CAMPAIGNSIM_APP_FILE=str(Path(file).resolve()))
    command = [sys.executable, "-m", "solara", "run", "campaignsim.app", "--host", args.host,
               "--port", str(args.port), "--production", "--no-open", "--no-check-version"]
    print(f"campaignsim app: serving http://{args.host}:{args.port}/ (Ctrl-C stops it)",
          flush=True)
    sys.stderr.flush()
    os.execve(sys.executable, command, env)  # the server replaces this process
    return 0  # not reached


def command_report(args) -> int:
    from .report import write_report

    out = write_report(Path(args.folder), None if args.out is None else Path(args.out),
                       force=args.force)
    print(f"wrote {out}")
    return 0


def command_scenarios(args) -> int:
    from .bundled import copy_scenario, format_listing

    if args.action is None:
        print(format_listing())
        return 0
    written = copy_scenario(args.name, args.folder, force=args.force)
    print(f"wrote {len(written)} files to {args.folder}/: "
          + " ".join(str(p.relative_to(Path(args.folder).resolve())) for p in written))
    print(f"edit them, then: campaignsim run {Path(args.folder) / written[0].name}")
    return 0


def add_executor_flags(parser, processes: str) -> None:
    """--executor and --scheduler, read by `workers.chosen_executor` (sweep, fit, optimise);
    `processes` says what the default executor is for this command."""
    parser.add_argument("--executor", choices=("processes", "dask"), default=None,
                        help=f"{processes} or dask.distributed (needs the 'dask' extra)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="join the Dask cluster at ADDRESS (tcp://host:8786); without "
                             "it, --executor dask starts a local cluster on 127.0.0.1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campaignsim",
        description="Simulate a hospital quality-improvement campaign spreading through its "
                    "staff, and compare mobilisation strategies.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and write its results",
                              description="Run one scenario; write timeseries.csv, summary.json, "
                                          "adoption.png and manifest.json to --out.")
    run.add_argument("file", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"scenario TOML file or bundled name (default: {DEFAULT_SCENARIO}; "
                          "see campaignsim scenarios)")
    run.add_argument("--seed", type=whole_number_flag(0, SEED_MAX),
                     help="seed, 0 to 2**32 - 1 (default: the scenario's)")
    run.add_argument("--steps", type=whole_number_flag(1, WEEKS_MAX),
                     help=f"weeks to simulate, 1 to {WEEKS_MAX} (default: the scenario's)")
    run.add_argument("--out", help="results folder (default: results/<scenario name>/)")
    run.add_argument("--force", action="store_true",
                     help="overwrite a folder holding another scenario's results")
    add_memory_flags(run)
    run.set_defaults(handler=command_run)

    compare = commands.add_parser(
        "compare", help="compare scenarios side by side (default: the bundled strategies)",
        description="Run each scenario R times with common random numbers (replicate i of "
                    "every scenario uses the same seed: same staff graph, same clinicians) and "
                    "write comparison.csv, runs.csv, effects_compare.png (the paired "
                    "differences to the first scenario) and adoption_compare.png. Across a "
                    "posterior (--posterior, and by default with no FILE the shipped one) "
                    "every scenario runs R times on each of K parameter sets drawn from it, "
                    "and the tables add the spread of the per-draw effects and the share of "
                    "draws in which each strategy beats the first (probability of benefit).")
    compare.add_argument("files", nargs="*", metavar="FILE",
                         help="scenario files or bundled names (default: every bundled "
                              "strategy, baseline first); the first is the reference for "
                              "differences")
    compare.add_argument("--replications", "-r", type=whole_number_flag(1, REPLICATIONS_MAX),
                         default=None,
                         help="replications per scenario, per draw with a posterior "
                              "(default: 20; 2 per draw across a posterior)")
    across = compare.add_mutually_exclusive_group()
    across.add_argument("--posterior", metavar="FILE",
                        help="run every strategy on parameter sets drawn from this accepted "
                             "set (posterior.parquet of campaignsim fit, or a CSV); default "
                             "without FILE arguments: the shipped "
                             "scenarios/calibration/baseline_posterior.parquet")
    across.add_argument("--no-posterior", action="store_true",
                        help="compare on the scenarios' own parameter set only")
    compare.add_argument("--draws", "-k", type=whole_number_flag(1, DRAWS_MAX), default=None,
                         metavar="K", help="parameter sets drawn from the posterior "
                                           "(default: 20)")
    compare.add_argument("--seed", type=whole_number_flag(0, SEED_MAX), default=0,
                         help="comparison seed, 0 to 2**32 - 1 (default: 0)")
    compare.add_argument("--workers", type=whole_number_flag(1, WORKERS_MAX),
                         default=None,
                         help="processes (default: all cores); results do not depend on it")
    compare.add_argument("--out", help="results folder (default: results/compare/)")
    compare.add_argument("--force", action="store_true",
                         help="overwrite a folder holding another comparison's results")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    add_memory_flags(compare)
    compare.set_defaults(handler=command_compare)

    validate = commands.add_parser("validate", help="check a scenario file and print it resolved",
                                   description="Print the resolved scenario (after extends and "
                                               "defaults) or the errors.")
    validate.add_argument("file", help="scenario TOML file or bundled name")
    validate.set_defaults(handler=command_validate)

    sweep = commands.add_parser(
        "sweep", help="run a scenario's [sweep]: a grid or sampled design × replications",
        description="Run every design point of the scenario's [sweep] table, `replications` "
                    "times each with common random numbers (replicate i of every point has "
                    "the same seed). Writes runs.parquet (one row per run), timeseries/ (a "
                    "Parquet dataset, long format) and manifest.json to --out, in chunks; "
                    "run the same command again to resume an interrupted sweep.")
    sweep.add_argument("file", help="scenario TOML file with a [sweep] table, or bundled name "
                                    "(sweeps/hybrid_alignment)")
    sweep.add_argument("--workers", type=whole_number_flag(1, WORKERS_MAX), default=None,
                       metavar="N",
                       help="processes (default: all cores; 1 runs in this process); with "
                            "--executor dask, the local cluster's workers. Results do not "
                            "depend on it")
    add_executor_flags(sweep, "processes on this machine (default)")
    sweep.add_argument("--out", metavar="DIR",
                       help="results folder (default: results/<scenario name>-sweep/)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    add_memory_flags(sweep, yes="go ahead with a design that will write a lot to disk or "
                     "needs more memory than the machine has")
    sweep.add_argument("--chunk", type=whole_number_flag(1, CHUNK_MAX), default=None,
                       metavar="N",
                       help="runs per chunk written to disk (default: about 1/20 of the "
                            "design, 50-2000); a crash loses only the runs not yet written: "
                            "at most a chunk, and the tasks running")
    sweep.set_defaults(handler=command_sweep)

    fit = commands.add_parser(
        "fit", help="calibrate a scenario's [fit] priors to observed data or patterns (ABC-SMC)",
        description="Approximate Bayesian computation (ABC-SMC, pyABC) over the scenario's "
                    "[fit.priors]: which values are consistent with [fit.data] (a CSV of "
                    "weekly counts or shares) or [fit.patterns]. Writes history.db, "
                    "posterior.parquet, fitted.toml, posterior.png, predictive.png, "
                    "epsilon.png and manifest.json to --out; run the same command again to "
                    "resume. Needs the 'fit' extra; see docs/calibration.md.")
    fit.add_argument("file", help="scenario TOML file with a [fit] table")
    fit.add_argument("--data", metavar="CSV", help="observed data (replaces [fit.data] file)")
    fit.add_argument("--workers", type=whole_number_flag(1, WORKERS_MAX), default=1,
                     metavar="N", help="processes (default 1: reproducible run for run); "
                                       "with --executor dask, the local cluster's workers")
    add_executor_flags(fit, "pyABC's multicore sampler (default)")
    fit.add_argument("--seed", type=whole_number_flag(0, SEED_MAX),
                     help="seed of the fit (default: the scenario's)")
    fit.add_argument("--out", metavar="DIR", help="results folder (default: "
                                                  "results/<scenario name>-fit/)")
    fit.add_argument("--quiet", action="store_true", help="no progress lines")
    add_memory_flags(fit)
    fit.set_defaults(handler=command_fit)

    optimise = commands.add_parser(
        "optimise", help="choose champions (CELF greedy) or a lever mix within a budget "
                         "(Optuna TPE), checked on held-out seeds",
        description="Choose whom to appoint as champions ([optimise.champions]: CELF lazy "
                    "greedy over pre-screened candidates, against random, degree, "
                    "betweenness, diffusion-centrality and hybrids' picks) or how to spend a "
                    "budget on the levers ([optimise.levers]: Optuna's TPE sampler), every "
                    "candidate on the same replicate seeds; the choice is checked on "
                    "held-out seeds. Writes choice.toml, evaluations.parquet, curve.png, "
                    "who.png, manifest.json. See docs/optimise.md.")
    optimise.add_argument("file", help="scenario TOML file with an [optimise] table, or "
                                       "bundled name (optimise/champions)")
    optimise.add_argument("--workers", type=whole_number_flag(1, WORKERS_MAX), default=None,
                          help="worker processes (default: all cores); results do not "
                               "depend on it")
    add_executor_flags(optimise, "local worker processes (default)")
    optimise.add_argument("--seed", type=whole_number_flag(0, SEED_MAX),
                          help="seed of the search and held-out replicates (default: the "
                               "scenario's)")
    optimise.add_argument("--out", metavar="DIR", help="results folder (default: "
                                                       "results/<scenario name>-optimise/)")
    optimise.add_argument("--force", action="store_true",
                          help="overwrite a folder holding other results")
    optimise.add_argument("--quiet", action="store_true", help="no progress lines")
    add_memory_flags(optimise)
    optimise.set_defaults(handler=command_optimise)

    plot = commands.add_parser(
        "plot", help="plot a sweep folder: outcomes against parameters, heatmaps, fans",
        description="Write DIR/plots/: each outcome against each swept parameter (mean and 95 % "
                    "CI), a heatmap per outcome for a two-parameter grid, and adoption-curve "
                    "fans.")
    plot.add_argument("folder", metavar="DIR", help="a sweep results folder")
    plot.set_defaults(handler=command_plot)

    sensitivity = commands.add_parser(
        "sensitivity", help="rank a sweep's levers: Sobol, Morris or RBD-FAST indices (SALib)",
        description="Sensitivity indices of the outcomes to the swept parameters, from the "
                    "means over replications: Sobol' S1/ST (sample method sobol), Morris μ*/σ "
                    "(morris), RBD-FAST S1 (latin), all with SALib; for a full-factorial grid, "
                    "the exact variance decomposition over its levels. Prints the table and "
                    "writes DIR/sensitivity.csv and DIR/sensitivity.png.")
    sensitivity.add_argument("folder", metavar="DIR", help="a finished sweep results folder")
    sensitivity.add_argument("--outcome", action="append", metavar="NAME",
                             help="outcome column of runs.parquet (repeatable; default: the "
                                  "headline outcomes)")
    sensitivity.set_defaults(handler=command_sensitivity)

    app = commands.add_parser(
        "app", help="open the teaching page (a Mesa SolaraViz app) in the browser",
        description="Serve the interactive teaching page: the staff network coloured by state, "
                    "adoption curves, enrolments by channel, sliders for the main levers and a "
                    "scenario picker over FILE's folder. Needs the 'app' extra; works offline.")
    app.add_argument("file", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"scenario shown first, a file or bundled name (default: "
                          f"{DEFAULT_SCENARIO})")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: 127.0.0.1, this machine only)")
    app.add_argument("--port", type=whole_number_flag(0, 65535), default=8765,
                     help="port (default: 8765)")
    app.set_defaults(handler=command_app)

    scenarios = commands.add_parser(
        "scenarios", help="list the bundled scenarios and their questions; copy one to edit",
        description="List the scenarios installed with campaignsim, each with the question "
                    "it asks; any command takes their names in place of a file. `scenarios "
                    "copy NAME DIR` writes an editable copy (and the files it extends).")
    actions = scenarios.add_subparsers(dest="action", metavar="ACTION")
    copy = actions.add_parser("copy", help="copy a bundled scenario into a folder to edit it")
    copy.add_argument("name", metavar="NAME", help="bundled scenario name (e.g. baseline)")
    copy.add_argument("folder", metavar="DIR", help="folder to copy into (made if missing)")
    copy.add_argument("--force", action="store_true", help="overwrite files of the same name")
    scenarios.set_defaults(handler=command_scenarios)

    report = commands.add_parser(
        "report", help="write a self-contained HTML report of a run, compare or sweep folder",
        description="Write one HTML file (plots embedded, no network needed) from a results "
                    "folder: the question, the scenarios' key settings, the outcome table with "
                    "confidence intervals, the adoption curves and the manifest.")
    report.add_argument("folder", metavar="DIR", help="results folder (campaignsim run, compare "
                                                      "or sweep)")
    report.add_argument("--out", help="HTML file to write (default: DIR/report.html)")
    report.add_argument("--force", action="store_true",
                        help="overwrite an existing file that campaignsim did not write")
    report.set_defaults(handler=command_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        kernels.chosen()  # a wrong CAMPAIGNSIM_KERNEL is refused before any work
        _name_files(args)
        return args.handler(args)
    except ScenarioError as err:
        if err.source is None:
            err = ScenarioError(getattr(args, "file", None), err.field, err.message)
        print(f"campaignsim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("campaignsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # the reader left (`campaignsim scenarios | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print("campaignsim: error: out of memory; make the scenario smaller or free memory",
              file=sys.stderr)
        return 1
    except OSError as err:   # the environment (disk full, read-only folder), not the input
        print(f"campaignsim: error: {_describe(err)}", file=sys.stderr)
        return 1


def _name_files(args) -> None:
    """Scenario arguments that name a bundled scenario ("baseline") become its file."""
    from .bundled import scenario_path

    if args.command in ("run", "validate", "sweep", "app", "optimise"):
        args.file = str(scenario_path(args.file))
    if args.command == "compare":
        args.files = [str(scenario_path(f)) for f in args.files]


def _describe(error: OSError) -> str:
    """One line for an environment failure: what, where, and the system's reason."""
    import errno

    where = f" {error.filename}" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full{' at' + where if where else ''}; free space and run again"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write{where or ' there'}: {error.strerror or error} (a read-only "
                "or protected folder); choose another --out")
    return f"{error.strerror or error}{':' + where if where else ''}"


if __name__ == "__main__":
    sys.exit(main())
