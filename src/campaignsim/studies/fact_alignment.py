"""Fact 3: Alignment–legitimacy trade-off.

Criterion: mediating hybrids (alignment 0.2) against aligned ones (1.0) enrol more
clinicians, enrol more sceptics and lower fidelity, each paired CI excluding 0 ("yes");
lower fidelity or more enrolled alone is "partly"; else "no".
"""

from __future__ import annotations

import numpy as np

from ..plots import plt
from .arms import ALIGNMENTS, sweep_name
from .runs import (COLOURS, HALF_YEAR, SCEPTIC_TRUST, Fact, Section, Study, per_run,
                   weeks_to_half_reached)
from .tables import Metric, ci_text, direction, fmt, interval, value


def analyse(study: Study) -> Section:
    names = [sweep_name("alignment", a, "hybrids_alignment_") for a in ALIGNMENTS]
    sub = study.sub(names)
    detail = study.detail
    metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
               Metric(HALF_YEAR, weeks_to_half_reached(sub.open), "weeks"),
               Metric("hybrid share of enrolments", per_run(sub, "hazard_share:hybrid")),
               Metric("sceptics enrolled by hybrids",
                      np.array([detail[n]["sceptics_by_hybrids"] for n in names])),
               Metric("mean fidelity", per_run(sub, "mean_fidelity_of_enrolled_now"), "score"),
               Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score"),
               Metric("hybrid credibility, week 52",
                      np.array([detail[n]["hybrid_credibility"] for n in names]), "score")]
    table, markdown = study.table(names, metrics)
    aligned, mediating = "hybrid_aligned", "hybrid_mediating"
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    panels = ((axes[0], ("enrolled, week 52", "hybrid share of enrolments",
                         "sceptics enrolled by hybrids"), "share"),
              (axes[1], ("mean fidelity", "mean ownership", "hybrid credibility, week 52"), "0–1"),
              (axes[2], (HALF_YEAR,), "weeks"))
    for axis, labels, unit in panels:
        for colour, label in zip(COLOURS, labels):
            means = np.array([value(table, n, label) for n in names])
            bounds = np.array([interval(table, n, label, diff=False) for n in names])
            axis.errorbar(ALIGNMENTS, means, yerr=np.abs(bounds.T - means), marker="o",
                          color=colour, capsize=3, label=label)
        axis.set(xlabel="hybrid alignment (1 = mouthpiece, 0 = mediator)", ylabel=unit)
        axis.legend(fontsize=8)
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(0, 1)
    figure.suptitle("Fact 3: hybrid alignment swept from 1 (hybrid_aligned) to 0; capacity "
                    f"{study.arms[aligned].scenario.hybrids.capacity}")

    more_enrolled = interval(table, mediating, "enrolled, week 52")[0] > 0
    less_faithful = interval(table, mediating, "mean fidelity")[1] < 0
    more_sceptics = interval(table, mediating, "sceptics enrolled by hybrids")[0] > 0
    verdict = ("yes" if more_enrolled and less_faithful and more_sceptics else
               "partly" if less_faithful or more_enrolled else "no")
    sceptic_share = float(np.nanmean(detail[aligned]["sceptic_share"]))
    trust = [float(np.nanmean(detail[n]["trust_of_hybrid_enrolled"])) for n in (aligned, mediating)]
    monotone = [label for label in ("enrolled, week 52", "sceptics enrolled by hybrids",
                                    "mean fidelity", "hybrid credibility, week 52")
                if np.all(np.diff([value(table, n, label) for n in names]) > 0)
                or np.all(np.diff([value(table, n, label) for n in names]) < 0)]
    gain = value(table, mediating, "enrolled, week 52", diff=True)
    reach = ("hybrids act only in the first weeks, before the peer cascade takes everyone, so "
             "the trade-off shows more in *whom* they enrol and *what* spreads than in how "
             "many enrol." if abs(gain) < 0.05 else
             f"{fmt(sceptic_share)} of clinicians are sceptics, whom the managers' frame hardly "
             "reaches and a mediating hybrid's adapted pitch does, so the "
             "trade-off shows in how many enrol as much as in whom and what spreads."
             if gain > 0 else "aligned hybrids enrol more.")
    direction_note = (" — in the direction \"mediation enrols more sceptics and more clinicians, "
                      "at a cost to fidelity\"" if verdict == "yes" else "")
    text = f"""\
`hybrid_mediating` (alignment 0.2) against `hybrid_aligned` (alignment 1.0), both
approaching {study.arms[aligned].scenario.hybrids.capacity} clinician(s) a week, as in the
baseline. Sceptics — clinicians whose trust in management is below
{SCEPTIC_TRUST}, {fmt(sceptic_share)} of them — enrolled by a hybrid:
{ci_text(table, aligned, "sceptics enrolled by hybrids")} with aligned hybrids,
{ci_text(table, mediating, "sceptics enrolled by hybrids")} with mediating ones (mean trust of
the hybrids' recruits {trust[0]:.2f} against {trust[1]:.2f}); mediating hybrids make
{ci_text(table, mediating, "hybrid share of enrolments")} of enrolments, aligned ones
{ci_text(table, aligned, "hybrid share of enrolments")}. Mediation
{direction(table, mediating, "mean fidelity", "raises", "lowers", "does not change")} the
fidelity of what spreads to the managers' programme
({ci_text(table, mediating, "mean fidelity", "score", diff=True)}),
{direction(table, mediating, "mean ownership", "raises", "lowers", "does not change")}
ownership ({ci_text(table, mediating, "mean ownership", "score", diff=True)}) and
{direction(table, mediating, "hybrid credibility, week 52", "raises", "lowers", "does not change")}
the hybrids' credibility ({ci_text(table, aligned, "hybrid credibility, week 52", "score")}
aligned, {ci_text(table, mediating, "hybrid credibility, week 52", "score")} mediating, at
week 52). Final enrolment differs by {ci_text(table, mediating, "enrolled, week 52", diff=True)}
and the week by which half of the year's enrolment is reached by
{ci_text(table, mediating, HALF_YEAR, "weeks", diff=True)}: {reach}
Along the sweep from alignment 1 to 0, {"; ".join(f"“{m}”" for m in monotone) if monotone else "no measure"}
{"changes" if len(monotone) == 1 else "change"} monotonically (figure).

**Verdict: {verdict}**{direction_note}.
The model's equations make this direction likely: a mediating hybrid's pitch resonates at
the fixed `adapted_resonance` ({study.arms[mediating].scenario.hybrids.adapted_resonance}),
whatever the clinician's trust, and its credibility tends to a higher target. The
direction is therefore a consequence of these modelling choices, not evidence on the open
question.
"""
    return Section(verdict, f"mediating − aligned: fidelity "
                   f"{fmt(value(table, mediating, 'mean fidelity', True), 'score', True)}, "
                   f"enrolled {fmt(value(table, mediating, 'enrolled, week 52', True), diff=True)}",
                   text, markdown, figure, "alignment")


ARMS = tuple(sweep_name("alignment", a, "hybrids_alignment_") for a in ALIGNMENTS)
FACT = Fact(
    3, "Alignment–legitimacy trade-off",
    "Aligned hybrids deliver the programme faithfully but enrol fewer sceptics; mediating "
    "hybrids enrol more but change the content. Direction is an open question.",
    "Waring & Crompton 2017; McGivern et al. 2015", ARMS, analyse, ARMS)
