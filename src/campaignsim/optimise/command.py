"""`campaignsim optimise FILE`: plan, claim the results folder, search (champions or
levers) on the search seeds, check on held-out seeds, write choice.toml,
evaluations.parquet, the figures and the manifest, print the verdict."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..folders import Claim, results_check
from ..results_io import manifest, versions, write_json, write_text
from ..scenario import ScenarioError
from ..workers import chosen_executor
from ..world import StaffWorld
from .evaluate import Evaluator, Pool
from .outputs import (STAFF_EDGES, STAFF_NODES, choice_toml, curve_figure, levers_figure,
                      who_figure, write_evaluations, write_staff)
from .plan import plan_optimise


def default_folder(plan) -> Path:
    return Path("results") / f"{plan.name}-optimise"


def _check_flags(args, plan) -> str:
    executor = chosen_executor(args)
    if plan.mode == "levers":
        try:
            import optuna  # noqa: F401
        except ImportError:
            raise ScenarioError(plan.source, "optimise.levers", "needs Optuna: pip install "
                                "'campaignsim[optimise]'") from None
    return executor


def _posterior_record(plan) -> dict | None:
    """The robust objective's posterior in the manifest: file, sha256, K, the score and the
    parameter sets drawn (evaluations.parquet's `draw` indexes them)."""
    if plan.posterior is None:
        return None
    spec = plan.spec
    return {"file": str(plan.posterior.source), "sha256": plan.posterior.sha256,
            "draws": len(plan.parameter_sets), "robust": spec.robust,
            "quantile": spec.quantile if spec.robust == "quantile" else None,
            "parameter_sets": plan.parameter_sets}



def optimise_command(args, check_memory) -> int:
    plan = plan_optimise(args.file)
    executor = _check_flags(args, plan)
    seed = plan.scenario.seed if args.seed is None else args.seed
    plan.use_draws(seed)
    workers = args.workers or os.cpu_count() or 1
    check_memory([plan.scenario], plan.spec.search_replications, workers)
    out = Path(args.out) if args.out is not None else default_folder(plan)
    identity = plan.identity(seed)
    check = results_check("optimise", identity, {"seed": seed}, force=args.force,
                          remedy="a folder holds one optimisation; choose another --out or "
                                 "pass --force")
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    started = time.perf_counter()
    with Claim(out, check) as claim:
        folder = claim.folder
        world = None
        if plan.mode == "champions":
            world = StaffWorld.build(plan.base_scenario.staff, plan.scenario.seed)
            if not plan.scenario.staff.graph:   # this hospital, for every replicate
                plan.on_staff(*write_staff(world, folder))
        with Pool(workers, executor, args.scheduler) as pool:
            evaluator = Evaluator(pool, plan.spec.objective, records=[])
            if plan.mode == "champions":
                from .choose import closing_note, run_champions

                found = run_champions(plan, seed, evaluator, say)
                note = closing_note(found, plan.spec.objective, plan.spec.direction)
            else:
                from .levers import closing_note, run_levers

                found = run_levers(plan, seed, evaluator, say)
                note = closing_note(found, plan.spec.objective, plan.spec.direction,
                                    plan.spec.levers.budget)
        written = _write(plan, folder, seed, found, world, evaluator)
        record = manifest("optimise", identity, scenario=plan.name, source=str(args.file),
                          seed=seed, mode=plan.mode, objective=plan.spec.objective,
                          direction=plan.spec.direction,
                          evaluations=evaluator.evaluations, note=note,
                          seconds=round(time.perf_counter() - started, 1),
                          resolved=plan.scenario.to_dict(), result=found,
                          posterior=_posterior_record(plan))
        record["versions"] = versions("optuna")
        write_json(folder / "manifest.json", record)
    print(note)
    print(f"wrote {out}/: {' '.join(written)} manifest.json")
    return 0


def _write(plan, folder: Path, seed: int, found: dict, world, evaluator) -> list[str]:
    from ..plots import save_figure

    write_evaluations(evaluator.records, folder / "evaluations.parquet")
    objective = plan.spec.objective
    if plan.mode == "champions":
        settings = {"champions.enabled": True, "champions.nodes": found["chosen"],
                    "staff.champions": 0}
        if (folder / STAFF_EDGES).is_file():
            settings = {"staff.graph": STAFF_EDGES, "staff.nodes": STAFF_NODES, **settings}
        header = [f"The {len(found['chosen'])} champions chosen by {found['method']} "
                  f"({objective}, {plan.spec.direction}, R = {len(found['search_seeds'])})."]
        save_figure(curve_figure(found, objective), folder / "curve.png")
        save_figure(who_figure(world, found["chosen"], f"{plan.name}: the {len(found['chosen'])} "
                               "chosen champions (numbered in order of choice)"),
                    folder / "who.png")
        figures = ["curve.png", "who.png"]
    else:
        chosen = found["chosen"]
        settings = dict(chosen["values"])
        header = [f"The lever mix chosen by TPE within the budget "
                  f"{plan.spec.levers.budget:g}: cost {chosen['cost']:g} ({objective})."]
        save_figure(levers_figure(found, objective, plan.spec.levers.budget),
                    folder / "curve.png")
        figures = ["curve.png"]
    write_text(folder / "choice.toml", choice_toml(plan, folder, seed, settings, header))
    staff = [STAFF_EDGES, STAFF_NODES] if (folder / STAFF_EDGES).is_file() else []
    return ["choice.toml", "evaluations.parquet", *figures, *staff]
