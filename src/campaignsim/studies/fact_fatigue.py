"""Fact 7: Fatigue.

Criterion: over an all-year broadcast intensity sweep, the week-52 active share peaks
at an intermediate intensity and falls beyond it ("yes"); if it is highest without any
broadcast, more pushes lower engagement from the first one ("partly").
"""

from __future__ import annotations

import numpy as np

from ..plots import plt
from .arms import INTENSITIES, sweep_name
from .runs import (COLOURS, HALF_YEAR, Fact, Section, Study, curve_band, per_run,
                   weeks_to_half_reached)
from .tables import Metric, ci_text, direction, fmt, interval, value


def analyse(study: Study) -> Section:
    names = ["baseline", "pledge_day_blitz", "paced_campaign"]
    sweep = [sweep_name("intensity", i, "broadcast_") for i in INTENSITIES]
    no_fatigue = "broadcast_0.16_no_fatigue"
    tables, markdowns = [], []
    late = slice(26, 53)
    for group in (names, ["baseline"] + [n for n in sweep if n != "baseline"] + [no_fatigue]):
        sub = study.sub(group)
        metrics = [Metric("active, week 52", per_run(sub, "active_share")),
                   Metric("mean active, weeks 26–52", np.nanmean(sub.active[:, :, late], axis=2)),
                   Metric("disengaged, week 52", per_run(sub, "disengaged_share")),
                   Metric(HALF_YEAR, weeks_to_half_reached(sub.open), "weeks"),
                   Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score")]
        table, markdown = study.table(group, metrics)
        tables.append(table)
        markdowns.append(markdown)
    tempo, sweep_table = tables
    figure, (curves, dose) = plt.subplots(1, 2, figsize=(13, 4.3), constrained_layout=True)
    sub = study.sub(names)
    weeks = np.arange(sub.enrolled.shape[2])
    for i, name in enumerate(names):
        curve_band(curves, weeks, sub.active[i], COLOURS[i], f"{name}: active")
        curves.plot(weeks, np.nanmean(sub.enrolled[i], axis=0), color=COLOURS[i], linestyle=":",
                    linewidth=1.2, label=f"{name}: enrolled")
    curves.set(xlabel="week", ylabel="share of clinicians", ylim=(0, 1),
               title="Tempo: blitz vs paced vs baseline")
    curves.legend(fontsize=7, ncol=2)
    for colour, label in zip(COLOURS, ("active, week 52", "disengaged, week 52")):
        means = np.array([value(sweep_table, n, label) for n in sweep])
        bounds = np.array([interval(sweep_table, n, label, diff=False) for n in sweep])
        dose.errorbar(INTENSITIES, means, yerr=np.abs(bounds.T - means), marker="o", color=colour,
                      capsize=3, label=label)
        dose.plot([0.16], [value(sweep_table, no_fatigue, label)], marker="x", markersize=10,
                  color=colour, linestyle="none", label=f"{label}, fatigue off (0.16)")
    dose.set_xscale("symlog", linthresh=0.01)
    dose.set(xlabel="broadcast intensity all year (per week; baseline 0.02)",
             ylabel="share of clinicians", ylim=(0, 1), title="Dose: broadcast intensity")
    dose.legend(fontsize=8)
    figure.suptitle("Fact 7: tempo, fatigue and erosion")

    actives = [value(sweep_table, n, "active, week 52") for n in sweep]
    blitz = study.arms["pledge_day_blitz"].scenario
    blitz_speed = direction(tempo, "pledge_day_blitz", HALF_YEAR, "later, not earlier",
                            "earlier", "no faster")
    best = INTENSITIES[int(np.argmax(actives))]
    most_disengaged = INTENSITIES[int(np.argmax(
        [value(sweep_table, n, "disengaged, week 52") for n in sweep]))]
    monotone = all(a >= b for a, b in zip(actives, actives[1:]))
    explanation = (
        "Each push adds fatigue and low-ownership enrolments; where the campaign would enrol "
        "as many without it, every extra push costs sustained engagement, so there is no "
        "threshold tempo." if best == INTENSITIES[0] else
        f"Sustained engagement rises up to intensity {best}, where a push still adds "
        "enrolments that last, and falls beyond it, where fatigue and erosion take more "
        "than the push adds.")
    fatigue = study.arms["baseline"].scenario.fatigue
    verdict = ("partly: more pushes lower sustained engagement, but from the first push on, "
               "with no threshold tempo" if best == INTENSITIES[0]
               else f"yes: engagement peaks at intensity {best} and falls beyond")
    text = f"""\
**Blitz vs paced.** Against the baseline, `pledge_day_blitz` changes the active share at
week 52 by {ci_text(tempo, "pledge_day_blitz", "active, week 52", diff=True)} and
`paced_campaign` by {ci_text(tempo, "paced_campaign", "active, week 52", diff=True)}
(disengaged: {ci_text(tempo, "pledge_day_blitz", "disengaged, week 52", diff=True)} and
{ci_text(tempo, "paced_campaign", "disengaged, week 52", diff=True)}). The blitz's week of
half of its year's enrolment differs from the baseline's by
{ci_text(tempo, "pledge_day_blitz", HALF_YEAR, "weeks", diff=True)} weeks
({blitz_speed}): its pledge day is in week {blitz.events.weeks[0]} and its broadcast
{f"ends after week {blitz.broadcast.end_week}" if blitz.broadcast.end_week is not None else "runs all year"}, while the baseline's launch event is in week
{study.arms["baseline"].scenario.events.weeks[0]} and its broadcast runs all year.

**Dose.** Raising the baseline's all-year broadcast intensity from
{INTENSITIES[0]} to {INTENSITIES[-1]} moves the active share at week 52 from
{ci_text(sweep_table, sweep[0], "active, week 52")} to
{ci_text(sweep_table, sweep[-1], "active, week 52")}; the highest is at intensity {best}
({"every step up lowers it" if monotone else "not monotone"}). Turning fatigue off at
intensity 0.16 gives {ci_text(sweep_table, no_fatigue, "active, week 52")} against
{ci_text(sweep_table, "broadcast_0.16", "active, week 52")} with fatigue: that much of
the active share at week 52 is lost through fatigue (fatigue += {fatigue.load} × weekly
push, recovering {100 * fatigue.recovery:.0f} % a week; erosion × (1 + fatigue)). The
disengaged share at week 52 goes from {ci_text(sweep_table, sweep[0], "disengaged, week 52")}
at intensity {INTENSITIES[0]} to {ci_text(sweep_table, sweep[-1], "disengaged, week 52")} at
{INTENSITIES[-1]} (highest at {most_disengaged}), and a broadcast enrolment carries
ownership {study.arms["baseline"].scenario.broadcast.ownership} (a peer enrolment
{study.arms["baseline"].scenario.peer.ownership}); low ownership erodes faster.

**Verdict: {verdict}.** {explanation}
"""
    table_md = ("Tempo (reference: baseline)\n\n" + markdowns[0]
                + "\n\nBroadcast intensity all year (reference: baseline, intensity "
                f"{study.arms['baseline'].scenario.broadcast.intensity})\n\n" + markdowns[1])
    return Section(verdict, f"active at week 52: blitz "
                   f"{fmt(value(tempo, 'pledge_day_blitz', 'active, week 52', True), diff=True)}, "
                   f"paced {fmt(value(tempo, 'paced_campaign', 'active, week 52', True), diff=True)}; "
                   f"highest at broadcast {best}", text, table_md, figure, "fatigue")


FACT = Fact(
    7, "Fatigue",
    "Past some tempo, more pushes lower sustained engagement via erosion.",
    "Ozieranski et al. 2014; Oegema & Klandermans 1994",
    ("baseline", "pledge_day_blitz", "paced_campaign")
    + tuple(sweep_name("intensity", i, "broadcast_") for i in INTENSITIES)
    + ("broadcast_0.16_no_fatigue",), analyse)
