"""Stylised facts: run the experiments behind docs/findings.md and write the page.

    python -m campaignsim.studies.findings [--replications R] [--seed S] [--out docs] [--facts 1,8]

For each stylised fact of shared/research/paper_memo.md (d) 1–8 (one module each,
`fact_*.py`) this runs the bundled scenarios that speak to it and, where the bundled set
has no arm for it, small variants of a bundled file (arms.py; each shown on the page as
the `extends` file that reproduces it). All arms run in one `compare` call with common
random numbers, so replicate i of every arm has the same staff graph, clinicians and
weekly draws, and differences to a fact's reference arm are paired. Every number on the
page is computed from these runs, and every verdict by its fact's stated criterion: the
page is generated, never edited by hand. Parameters are the scenario files' own; nothing
here is tuned to make a fact appear.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__
from ..compare import compare
from ..plots import save_figure
from ..results_io import write_text
from . import (fact_alignment, fact_context, fact_fatigue, fact_gap, fact_hybrids,
               fact_leaders, fact_scurves, fact_tipping)
from .arms import LATE_ARMS, SCENARIOS, Arm, build_arms, toml_snippet
from .runs import Fact, Section, Study, details, per_run, weeks_to_half_reached
from .tables import Metric, ci_text, fmt, interval, metric_table, template

MODULE = "campaignsim.studies.findings"
FACTS = {module.FACT.number: module.FACT for module in (
    fact_gap, fact_hybrids, fact_alignment, fact_tipping, fact_leaders, fact_scurves,
    fact_fatigue, fact_context)}


def commands_for(fact: Fact, arms: dict[str, Arm], replications: int, seed: int) -> str:
    """How a user explores a fact: the variant files to save, and the compare command."""
    present = list(dict.fromkeys(n for n in fact.arms if n in arms))
    variants = [arms[n] for n in present if arms[n].overrides is not None]
    options = f"-r {replications} --seed {seed}"
    findings = (f"`python -m {MODULE} --facts {fact.number} {options} "
                f"--out /tmp/fact{fact.number}` runs every arm of this fact and writes its page.")
    lines = []
    if variants:
        shown = variants if len(variants) <= 7 else variants[:2]
        extended = ("baseline" if all(arm.bundled == "baseline" for arm in variants)
                    else "bundled files")
        lines.append(f"The {'variant' if len(variants) == 1 else f'{len(variants)} variants'} of "
                     f"the {extended} below are built in `{MODULE}`; to run one with "
                     "`campaignsim compare`, save it as `explore/<name>.toml` (a folder next to "
                     "`scenarios/`, so the bundled set stays as it is).")
        lines += [f"<details><summary><code>{arm.name}</code>: {arm.scenario.description}"
                  f"</summary>\n\n```toml\n{toml_snippet(arm)}\n```\n\n</details>"
                  for arm in shown]
        if len(shown) < len(variants):
            lines.append(f"…and {len(variants) - len(shown)} more of the same form (the grid in "
                         "the tables below).")
    if len(variants) <= 7:
        files = " ".join(arms[n].file if arms[n].overrides is None else f"explore/{n}.toml"
                         for n in present)
        lines.append(f"```bash\ncampaignsim compare {files} {options}\n```")
    lines.append(findings)
    return "\n\n".join(lines)


def read_this_first(study: Study) -> str:
    """The opening paragraph: how the baseline's enrolment unfolds, and what that leaves to
    act on for the strategies that act after the first weeks."""
    arms = study.arms
    base = study.sub(list(LATE_ARMS))
    base_curve = np.nanmean(base.enrolled[0], axis=0)
    half = weeks_to_half_reached(base.open)[0]
    peak_week = int(np.argmax(base_curve))
    open10 = float(np.nanmean(study.detail["baseline"]["open_curve"][:, 10]))
    late = metric_table(list(LATE_ARMS), [Metric("enrolled", per_run(base, "final_enrolled_share")),
                                          Metric("active", per_run(base, "active_share"))])
    leave, shock = (arms[n].scenario for n in LATE_ARMS[1:])
    effects = {name: any(not low <= 0 <= high for low, high in
                         (interval(late, name, label) for label in ("enrolled", "active")))
               for name in LATE_ARMS[1:]}
    late_text = "; ".join(
        f"`{name}` ({what} in week {week}): Δ enrolled at week 52 "
        f"{ci_text(late, name, 'enrolled', diff=True)}, Δ active {ci_text(late, name, 'active', diff=True)}"
        for name, what, week in (("hybrids_leave", "half the hybrids leave", leave.hybrids.leave_week),
                                 ("serious_incident_shock", "a serious incident", shock.shock.week)))
    saturated = open10 < 0.05
    verdict = ("what acts on the not-yet-enrolled after the first weeks has nothing left to act "
               "on" if saturated and not any(effects.values()) else
               "strategies that act later still have people to act on"
               + ("" if all(effects.values()) else ", though not every one of them changes the "
                  "year-end outcome"))
    return (f"The bundled baseline takes the posterior medians of its pattern-oriented fit "
            f"(docs/calibration.md). In it the enrolled share peaks at "
            f"{fmt(base_curve.max())} in week {peak_week} (mean curve), half of the year's "
            f"enrolment is reached in week {np.nanmean(half):.1f} on average, and at week 10 "
            f"{fmt(open10)} of clinicians are not yet enrolled, so {verdict} — {late_text}.")


def write_page(study: Study, sections: dict[int, Section], out: Path, command: str) -> Path:
    header = template("findings.md").format(
        command=command, replications=study.replications, seed=study.seed,
        arms=len(study.comparison.scenarios),
        runs=len(study.comparison.scenarios) * study.replications, version=__version__,
        module=MODULE)
    summary = ["## Read this first", "", read_this_first(study),
               "", "| # | fact | does the model show it? | key numbers |", "|---|---|---|---|"]
    body = []
    for number, section in sections.items():
        fact = FACTS[number]
        summary.append(f"| {number} | [{fact.title}](#{number}-{_anchor(fact.title)}) "
                       f"| {section.verdict} | {section.key_numbers} |")
        figure = f"figures/findings_{number}_{section.slug}.png"
        body += [f"## {number}. {fact.title}", "",
                 f"> {fact.claim} ({fact.source}; paper_memo (d) {number})", "",
                 "**Scenarios and command.**", "",
                 commands_for(fact, study.arms, study.replications, study.seed), "",
                 f"![Fact {number}]({figure})", "", "**What the model shows.**", "",
                 section.text.strip(), "", "**Measured.**", "", section.table, ""]
    page = out / "findings.md"
    write_text(page, header + "\n" + "\n".join(summary) + "\n\n" + "\n".join(body))
    return page


def _anchor(title: str) -> str:
    """GitHub's heading anchor for '<n>. <title>' minus the number."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return keep.replace(" ", "-")


def study_facts(numbers: list[int], replications: int, seed: int, workers: int,
                folder: Path = SCENARIOS) -> tuple[Study, dict[int, Section]]:
    """Run the arms of the chosen facts and analyse them."""
    arms = build_arms(folder)
    chosen = [FACTS[number] for number in sorted(numbers)]
    # fact 4 lists every sd variant; the one equal to the baseline's sd is not built
    names = list(dict.fromkeys(n for f in chosen for n in LATE_ARMS + f.arms if n in arms))
    detail_names = list(dict.fromkeys(n for f in chosen for n in ("baseline",) + f.detail_arms))
    comparison = compare([arms[n].scenario for n in names], replications=replications, seed=seed,
                         workers=workers)
    detail = details([arms[n].scenario for n in detail_names], replications, seed, workers)
    study = Study(arms, comparison, detail, replications, seed)
    return study, {f.number: f.analyse(study) for f in chosen}


def main(argv: list[str] | None = None) -> int:
    every = ",".join(map(str, FACTS))
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=f"Run the experiments for the stylised facts of paper_memo (d) 1-{len(FACTS)} "
                    "and write findings.md and figures/findings_*.png to --out.")
    parser.add_argument("--replications", "-r", type=int, default=20,
                        help="replications per arm (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="comparison seed (default: 0)")
    parser.add_argument("--out", default="docs", help="folder for findings.md (default: docs)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default: 2)")
    parser.add_argument("--scenarios", default=str(SCENARIOS),
                        help="folder of the bundled scenarios (default: scenarios)")
    parser.add_argument("--facts", default=every,
                        help=f"comma-separated fact numbers to run (default: all, {every})")
    args = parser.parse_args(argv)
    try:
        numbers = sorted({int(x) for x in args.facts.split(",")})
    except ValueError:
        parser.error(f"--facts: give numbers 1-{len(FACTS)} separated by commas")
    if not set(numbers) <= set(FACTS) or args.replications < 2:
        parser.error(f"--facts takes numbers 1-{len(FACTS)}; --replications must be at least 2")
    started = time.perf_counter()
    study, sections = study_facts(numbers, args.replications, args.seed, args.workers,
                                  Path(args.scenarios))
    out = Path(args.out)
    for number, section in sections.items():
        save_figure(section.figure, out / "figures" / f"findings_{number}_{section.slug}.png")
    command = (f"python -m {MODULE} --replications {args.replications} "
               f"--seed {args.seed} --out {args.out}"
               + ("" if numbers == list(FACTS) else f" --facts {args.facts}"))
    page = write_page(study, sections, out, command)
    print(f"{len(study.comparison.scenarios)} arms × {args.replications} replications in "
          f"{time.perf_counter() - started:.1f} s; wrote {page} and "
          f"{len(sections)} figures in {out / 'figures'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
