"""The `campaignsim` command: a thin shell over the Python API.

Bad input (a scenario file, a field, a graph file, an output folder) ends with one
message naming the file and field and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from .scenario import ScenarioError, load_scenario

DEFAULT_FOLDER = "scenarios"
DEFAULT_SCENARIO = f"{DEFAULT_FOLDER}/baseline.toml"


def _format_summary(summary: dict) -> str:
    def share(value):
        return "—" if value is None else f"{value:.1%}"

    def weeks(value):
        return "never" if value is None else f"week {value}"

    channels = ", ".join(f"{c} {v}" for c, v in summary["enrolments_by_channel"].items() if v)
    mean_ownership = summary["mean_ownership"]
    return "\n".join([
        f"scenario {summary['scenario']}  seed {summary['seed']}  "
        f"{summary['clinicians']} clinicians  {summary['weeks']} weeks",
        f"  enrolled (incl. active) {share(summary['final_enrolled_share'])}   "
        f"active {share(summary['active_share'])}   gap {share(summary['enrolment_engagement_gap'])}   "
        f"disengaged {share(summary['disengaged_share'])}   aware {share(summary['aware_share'])}",
        f"  25% enrolled: {weeks(summary['weeks_to_25'])}   50%: {weeks(summary['weeks_to_50'])}   "
        f"75%: {weeks(summary['weeks_to_75'])}",
        f"  enrolments by channel: {channels or 'none'}",
        f"  mean ownership {'—' if mean_ownership is None else f'{mean_ownership:.2f}'}   "
        f"ideas co-produced {summary['ideas']:.1f}",
    ])


def command_run(args) -> int:
    from . import plots
    from .results_io import claim_folder, manifest, write_json, write_text
    from .runner import run

    scenario = load_scenario(args.file)
    overrides = {k: v for k, v in (("seed", args.seed), ("weeks", args.steps)) if v is not None}
    if overrides:
        scenario = scenario.with_overrides(**overrides)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    identity = scenario.content_hash()
    claim_folder(out, "run", identity, force=args.force)
    result = run(scenario)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "timeseries.csv", result.timeseries.to_csv(index=False, float_format="%.10g"))
    write_json(out / "summary.json", result.summary)
    plots.save_figure(plots.adoption_figure(result.timeseries, f"{scenario.name} (seed {scenario.seed})"),
                      out / "adoption.png")
    write_json(out / "manifest.json", manifest(
        "run", identity, scenario=scenario.name, source=str(args.file), seed=scenario.seed,
        scenario_hash=scenario.content_hash(exclude=()), resolved=scenario.to_dict()))
    print(_format_summary(result.summary))
    print(f"wrote {out}/: timeseries.csv summary.json adoption.png manifest.json")
    return 0


def command_compare(args) -> int:
    from . import plots
    from .compare import bundled_scenarios, compare, comparison_table, format_table
    from .results_io import claim_folder, manifest, write_json, write_text

    if args.replications < 1:
        raise ScenarioError(None, "--replications", "must be at least 1")
    files = [Path(f) for f in args.files] or bundled_scenarios(Path(DEFAULT_FOLDER))
    if not files:
        raise ScenarioError(DEFAULT_FOLDER, None, "no scenario files found; name them")
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
    out = Path(args.out) if args.out else Path("results") / "compare"
    identity = hashlib.sha256(" ".join(s.content_hash() for s in scenarios).encode()).hexdigest()
    claim_folder(out, "compare", identity, force=args.force)
    started = time.perf_counter()
    comparison = compare(scenarios, replications=args.replications, seed=args.seed,
                         workers=args.workers)
    elapsed = time.perf_counter() - started
    table = comparison_table(comparison)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "comparison.csv", table.to_csv(index=False, float_format="%.6g"))
    write_text(out / "runs.csv", comparison.runs.to_csv(index=False, float_format="%.6g"))
    plots.save_figure(plots.compare_adoption_figure(comparison), out / "adoption_compare.png")
    plots.save_figure(plots.outcomes_figure(table), out / "outcomes_compare.png")
    write_json(out / "manifest.json", manifest(
        "compare", identity, scenario=", ".join(s.name for s in scenarios),
        sources=[str(f) for f in files], replications=args.replications, seed=args.seed,
        replicate_seeds=[int(x) for x in comparison.runs.query("scenario_index == 0")["seed"]],
        scenario_hashes={s.name: s.content_hash() for s in scenarios},
        resolved={s.name: s.to_dict() for s in scenarios}))
    print(format_table(table))
    print(f"{len(scenarios)} scenarios × {args.replications} replications in {elapsed:.1f} s; "
          f"wrote {out}/: comparison.csv runs.csv adoption_compare.png outcomes_compare.png "
          "manifest.json")
    return 0


def command_validate(args) -> int:
    scenario = load_scenario(args.file)
    print(json.dumps(scenario.to_dict(), indent=2))
    print(f"{args.file}: valid", file=sys.stderr)
    return 0


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
                     help=f"scenario TOML file (default: {DEFAULT_SCENARIO})")
    run.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    run.add_argument("--steps", type=int, help="weeks to simulate (default: the scenario's)")
    run.add_argument("--out", help="results folder (default: results/<scenario name>/)")
    run.add_argument("--force", action="store_true",
                     help="overwrite a folder holding another scenario's results")
    run.set_defaults(handler=command_run)

    compare = commands.add_parser(
        "compare", help="compare scenarios side by side (default: the bundled strategies)",
        description="Run each scenario R times with common random numbers (replicate i of "
                    "every scenario uses the same seed: same staff graph, same clinicians) and "
                    "write comparison.csv, runs.csv, adoption_compare.png, outcomes_compare.png.")
    compare.add_argument("files", nargs="*", metavar="FILE",
                         help=f"scenario files (default: every {DEFAULT_FOLDER}/*.toml, "
                              "baseline first); the first is the reference for differences")
    compare.add_argument("--replications", "-r", type=int, default=20,
                         help="replications per scenario (default: 20)")
    compare.add_argument("--seed", type=int, default=0, help="comparison seed (default: 0)")
    compare.add_argument("--workers", type=int, default=None,
                         help="processes (default: all cores); results do not depend on it")
    compare.add_argument("--out", help="results folder (default: results/compare/)")
    compare.add_argument("--force", action="store_true",
                         help="overwrite a folder holding another comparison's results")
    compare.set_defaults(handler=command_compare)

    validate = commands.add_parser("validate", help="check a scenario file and print it resolved",
                                   description="Print the resolved scenario (after extends and "
                                               "defaults) or the errors.")
    validate.add_argument("file", help="scenario TOML file")
    validate.set_defaults(handler=command_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as err:
        if err.source is None:
            err = ScenarioError(getattr(args, "file", None), err.field, err.message)
        print(f"campaignsim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("campaignsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
