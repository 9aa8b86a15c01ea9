"""The `campaignsim` command: a thin shell over the Python API.

Bad input (a scenario file, a field, a graph file, an output folder) ends with one
message naming the file and field and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .scenario import ScenarioError, load_scenario

DEFAULT_SCENARIO = "scenarios/baseline.toml"


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
