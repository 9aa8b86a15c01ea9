"""Mutation testing of the model's core: run mutmut, print the score per file and the survivors.

mutmut (PyPI, 3.x; `pip install -e .[verify]`) copies src/ into ./mutants, makes many
small changes ("mutants") to the functions of rules.py, dynamics.py (with approaches.py
and population.py, split from it), agents.py, model.py and outcomes.py, and runs the fast tests that reach each changed function (the selection
in pyproject `[tool.mutmut]`: test_rules, test_mechanisms*, test_engines, test_model).
A mutant is *killed* when a test fails. Survivors are listed in docs/verification.md with
the reason each is equivalent or harmless.

    python3 benchmarks/mutation.py                 # every file, rules.py first
    python3 benchmarks/mutation.py rules           # one file
    python3 benchmarks/mutation.py --report        # score of the last run, no new run
    python3 benchmarks/mutation.py --fresh --max-children 2

Slow (tens of minutes on two cores): it is not part of .ci/run or of the pytest run.
Exit status: 0 when the targets are met (≥ 90 % killed in rules.py, ≥ 80 % overall),
1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("rules", "dynamics", "approaches", "population", "agents", "model",
         "outcomes")
TARGETS = {"rules": 0.90, "overall": 0.80}
# mutmut's exit codes (mutmut/stats.py): 1 and 3 kill, 0 survives, None was not run
KILLED, SURVIVED, NOT_RUN = {1, 3}, {0}, {None}


def run_mutmut(files: list[str], max_children: int, log: Path) -> None:
    """Run mutmut on each file in turn (its progress display goes to `log`)."""
    with log.open("w", encoding="utf-8") as out:
        for name in files:
            print(f"mutmut: campaignsim/{name}.py ...", flush=True)
            subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                            str(max_children), f"campaignsim.{name}.*"],
                           cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)


def results(files: list[str]) -> dict[str, dict[str, int | None]]:
    """Exit code by mutant name, per file, from mutmut's result files."""
    found = {}
    for name in files:
        meta = ROOT / "mutants" / "src" / "campaignsim" / f"{name}.py.meta"
        found[name] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return found


def report(found: dict[str, dict[str, int | None]], show_diffs: bool) -> bool:
    """Print the score table and the survivors; True when the targets are met."""
    print(f"{'file':<14}{'mutants':>9}{'killed':>8}{'survived':>10}{'other':>7}{'score':>9}")
    killed_all = tested_all = 0
    scores, survivors = {}, []
    for name, codes in found.items():
        killed = sum(code in KILLED for code in codes.values())
        survived = [m for m, code in codes.items() if code in SURVIVED]
        other = len(codes) - killed - len(survived)  # not run, timeouts, suspicious
        tested = len(codes) - sum(code in NOT_RUN for code in codes.values())
        scores[name] = killed / tested if tested else float("nan")
        killed_all, tested_all = killed_all + killed, tested_all + tested
        survivors += sorted(survived, key=_natural)
        print(f"{name + '.py':<14}{len(codes):>9}{killed:>8}{len(survived):>10}{other:>7}"
              f"{scores[name]:>9.1%}")
    overall = killed_all / tested_all if tested_all else float("nan")
    print(f"{'overall':<14}{'':>9}{killed_all:>8}{'':>10}{'':>7}{overall:>9.1%}")
    print(f"\nsurvivors ({len(survivors)}):")
    for mutant in survivors:
        print(" ", mutant)
        if show_diffs:
            diff = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=ROOT,
                                  capture_output=True, text=True).stdout
            print("".join(f"      {line}\n" for line in diff.splitlines()
                          if line[:1] in "+-" and line[:3] not in ("+++", "---")))
    met = scores.get("rules", 1.0) >= TARGETS["rules"] and overall >= TARGETS["overall"]
    print(f"\ntargets (rules.py ≥ 90 %, overall ≥ 80 %): {'met' if met else 'NOT met'}")
    return met


def _natural(mutant: str):
    head, _, number = mutant.rpartition("_")
    return head, int(number) if number.isdigit() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=list(FILES), metavar="FILE",
                        help=f"modules to mutate, of {', '.join(FILES)} (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="parallel test workers")
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--fresh", action="store_true", help="delete ./mutants first")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's change")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.files) - set(FILES))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; allowed: {', '.join(FILES)}")
    files = [f for f in FILES if f in args.files]  # rules.py first, whatever the order given
    if args.fresh and not args.report:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if not args.report:
        (ROOT / "mutants").mkdir(exist_ok=True)
        run_mutmut(files, args.max_children, ROOT / "mutants" / "run.log")
    return 0 if report(results(files), args.diffs) else 1


if __name__ == "__main__":
    sys.exit(main())
