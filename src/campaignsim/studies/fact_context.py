"""Fact 8: context — the same hybrid strategy in a high- and a poor-performing organisation.

Currie, Burgess & Tuck (2016) found hybrid nurse managers acting as "organizing"
professionals in a high-performing organisation and as "controlled" ones in a
poor-performing one. The model has no organisational-performance switch; the pair
scenarios/context/high_performing.toml and poor_performing.toml change only the
organisation around the baseline campaign (trust in management, recovery from fatigue,
erosion, the hybrids' time), each size a labelled choice. Each organisation also runs
without hybrids, so the hybrids' effect is a paired difference within each organisation.

Criterion, on the week-52 enrolled and active shares (paired by replicate, 95 % CIs):
"yes" when for at least one of them the hybrids' effect (with − without hybrids) is
larger in the high-performing organisation than in the poor-performing one, the CI of
the difference of the two effects above 0 — the strategy performs differently, in
Currie's direction; "partly" when that CI is below 0 (it performs differently, but better
in the poor-performing organisation), or when no such CI excludes 0 but the same campaign
does worse in the poor-performing organisation (poor − high CI below 0: context matters,
the hybrids' effect does not differ); else "no".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compare import mean_ci
from ..plots import plt
from .arms import distribution_mean
from .runs import (COLOURS, HALF_YEAR, Fact, Section, Study, curve_band, per_run,
                   weeks_to_half_reached)
from .tables import Metric, fmt, format_ci

HIGH, POOR = "high_performing", "poor_performing"
ARMS = (HIGH, f"{HIGH}_no_hybrids", POOR, f"{POOR}_no_hybrids")
#: The headline outcomes judged: (label, key of compare's runs).
OUTCOMES = (("enrolled, week 52", "final_enrolled_share"), ("active, week 52", "active_share"))


@dataclass(frozen=True)
class Judgement:
    """Paired estimates (mean, low, high) for one outcome."""

    outcome: str
    context: tuple[float, float, float]       # poor − high, both with hybrids
    hybrids_high: tuple[float, float, float]  # with − without hybrids, high-performing
    hybrids_poor: tuple[float, float, float]  # with − without hybrids, poor-performing
    difference: tuple[float, float, float]    # hybrids_high − hybrids_poor


def judge(outcome: str, high, high_without, poor, poor_without) -> Judgement:
    """The paired estimates of one outcome from its per-replicate values in the four arms.

    Examples:
        >>> j = judge("x", [0.6, 0.7], [0.5, 0.6], [0.4, 0.5], [0.4, 0.5])
        >>> [round(e[0], 3) for e in (j.context, j.hybrids_high, j.hybrids_poor, j.difference)]
        [-0.2, 0.1, 0.0, 0.1]
    """
    high, high_without, poor, poor_without = (np.asarray(a, dtype=float) for a in
                                              (high, high_without, poor, poor_without))
    return Judgement(outcome, mean_ci(poor - high), mean_ci(high - high_without),
                     mean_ci(poor - poor_without),
                     mean_ci((high - high_without) - (poor - poor_without)))


def verdict(judgements: list[Judgement]) -> str:
    """The fact's verdict by the criterion in the module docstring."""
    larger_in_high = [j.outcome for j in judgements if j.difference[1] > 0]
    larger_in_poor = [j.outcome for j in judgements if j.difference[2] < 0]
    worse_in_poor = [j.outcome for j in judgements if j.context[2] < 0]
    if larger_in_high:
        return ("yes: the hybrids' effect is more favourable in the high-performing "
                "organisation ("
                + "; ".join(larger_in_high) + ")")
    if larger_in_poor:
        return ("partly: the hybrids' effect differs, but it is more favourable in the "
                "poor-performing organisation (" + "; ".join(larger_in_poor) + ")")
    if worse_in_poor:
        return ("partly: the same campaign does worse in the poor-performing organisation ("
                + "; ".join(worse_in_poor) + "), but its hybrids' effect does not differ")
    return "no: neither the campaign's outcome nor its hybrids' effect differs"


def _sign_note(judgement: Judgement, study: Study) -> str:
    """What the signs of the two hybrid effects say (empty when they are not both clear)."""
    high, poor = judgement.hybrids_high, judgement.hybrids_poor
    specs = [study.arms[name].scenario for name in (HIGH, POOR)]
    reach = (f"the hybrids of the high-performing organisation approach "
             f"{specs[0].hybrids.capacity} clinicians a week, those of the poor-performing one "
             f"{specs[1].hybrids.capacity}")
    hybrids, peer = specs[0].hybrids, specs[0].peer
    owned = (hybrids.ownership_base + hybrids.ownership_mediation * (1 - hybrids.alignment)
             if isinstance(hybrids.alignment, float) else None)
    if high[2] < 0 and poor[2] < 0:
        why = (f" — a hybrid enrolment carries ownership {owned:.2f}, below a peer enrolment's "
               f"{peer.ownership}, and low ownership erodes faster (fact 2) —"
               if owned is not None and owned < peer.ownership else "")
        return (f" In both organisations the hybrids *lower* the week-52 active share{why} "
                f"and {reach}.")
    if high[1] > 0 and poor[1] > 0:
        return f" In both organisations the hybrids raise the week-52 active share; {reach}."
    return ""


def _setting_table(study: Study) -> str:
    """What the pair changes, beside the baseline."""
    specs = [study.arms[name].scenario for name in ("baseline", HIGH, POOR)]
    rows = [("mean trust in management",
             lambda s: f"{distribution_mean(s.clinicians.trust_in_management):.2f}"),
            ("hybrids: clinicians approached a week", lambda s: f"{s.hybrids.capacity}"),
            ("fatigue: weekly recovery", lambda s: f"{s.fatigue.recovery:g}"),
            ("erosion: weekly rate", lambda s: f"{s.erosion.rate:g}")]
    lines = ["| organisational setting | baseline | high-performing | poor-performing |",
             "|---|---|---|---|"]
    lines += [f"| {label} | " + " | ".join(get(s) for s in specs) + " |" for label, get in rows]
    return "\n".join(lines)


def _judgement_table(judgements: list[Judgement]) -> str:
    lines = ["| outcome | poor − high (same campaign) | hybrids' effect, high-performing "
             "| hybrids' effect, poor-performing | difference of the effects (high − poor) |",
             "|---|---|---|---|---|"]
    for j in judgements:
        cells = [format_ci(e, diff=True) for e in (j.context, j.hybrids_high, j.hybrids_poor,
                                                     j.difference)]
        lines.append(f"| {j.outcome} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(study: Study, judgements: list[Judgement]):
    sub = study.sub(list(ARMS))
    figure, (enrolled, active, effects) = plt.subplots(1, 3, figsize=(15, 4.3),
                                                       constrained_layout=True)
    weeks = np.arange(sub.enrolled.shape[2])
    for i, name in enumerate(ARMS):
        style = "--" if name.endswith("_no_hybrids") else "-"
        colour = COLOURS[0 if name.startswith(HIGH) else 3]
        curve_band(enrolled, weeks, sub.enrolled[i], colour, study.arms[name].label, style)
        curve_band(active, weeks, sub.active[i], colour, study.arms[name].label, style)
    for axis, label in ((enrolled, "enrolled"), (active, "active")):
        axis.set(xlabel="week", ylabel=f"share {label} (mean, 95 % CI)", ylim=(0, 1),
                 title=f"{label.capitalize()} (dashed: without hybrids)")
    enrolled.legend(fontsize=7)
    rows = [(f"{j.outcome}: {what}", estimate, colour) for j in judgements
            for what, estimate, colour in (("hybrids, high", j.hybrids_high, COLOURS[0]),
                                           ("hybrids, poor", j.hybrids_poor, COLOURS[3]),
                                           ("difference, high − poor", j.difference, "black"))]
    for position, (_, (mean, low, high), colour) in enumerate(rows):
        effects.errorbar(100 * mean, -position, xerr=[[100 * (mean - low)], [100 * (high - mean)]],
                         fmt="o", color=colour, capsize=3)
    effects.axvline(0, color="grey", linewidth=0.8)
    effects.set_yticks(-np.arange(len(rows)), [label for label, _, _ in rows], fontsize=8)
    effects.set(xlabel="paired difference (points)",
                title="Hybrids' effect (with − without hybrids)")
    figure.suptitle("Fact 8: the same campaign in a high- and a poor-performing organisation")
    return figure


def analyse(study: Study) -> Section:
    sub = study.sub(list(ARMS))
    judgements = [judge(label, *per_run(sub, key)) for label, key in OUTCOMES]
    metrics = [Metric(label, per_run(sub, key)) for label, key in OUTCOMES] + [
        Metric(HALF_YEAR, weeks_to_half_reached(sub.open), "weeks"),
        Metric("hybrid share of enrolments", per_run(sub, "hazard_share:hybrid")),
        Metric("mean ownership", per_run(sub, "mean_ownership_of_enrolled_now"), "score")]
    table, markdown = study.table(list(ARMS), metrics)
    result = verdict(judgements)
    enrolled, active = judgements
    alignment = study.arms[HIGH].scenario.hybrids.alignment
    capacities = [study.arms[name].scenario.hybrids.capacity for name in (HIGH, POOR)]
    capacity_note = ("" if capacities[0] == capacities[1] else
                     f" The pair gives the hybrids different time ({capacities[0]} and "
                     f"{capacities[1]} clinicians a week), which by itself makes their effect "
                     "differ: a \"yes\" here follows partly from that choice of sizes, and "
                     "the direction, not the size, is what the sources support.")
    text = f"""\
The same campaign — the baseline's broadcast, launch event, peers and hybrids with
alignment {alignment} — runs in two organisations that differ from the baseline only in
the settings below, and in each with and without its hybrids. The hybrids' alignment is
part of the campaign and stays fixed: what Currie et al. describe as "controlled" against
"organizing" hybrids enters only through the hybrids' time and the trust, tempo and
erosion around them. The sizes are choices; the sources give only directions.

Against the high-performing organisation, the same campaign in the poor-performing one
changes the week-52 enrolled share by {format_ci(enrolled.context, diff=True)} and the
active share by {format_ci(active.context, diff=True)} (paired differences). The
hybrids' own effect on the week-52 active share is
{format_ci(active.hybrids_high, diff=True)} in the high-performing organisation and
{format_ci(active.hybrids_poor, diff=True)} in the poor-performing one (difference
{format_ci(active.difference, diff=True)}); on the enrolled share
{format_ci(enrolled.hybrids_high, diff=True)} and {format_ci(enrolled.hybrids_poor, diff=True)}
(difference {format_ci(enrolled.difference, diff=True)}).{_sign_note(active, study)}

**Verdict: {result}.** The criterion (module `fact_context`): "yes" needs the difference
of the hybrids' effects, high − poor, to have a 95 % CI above 0 on the week-52 enrolled or
active share; the pair's arms share their seeds by replicate, so every difference here is
paired.{capacity_note}
"""
    key = (f"poor − high: active {fmt(active.context[0], diff=True)}; hybrids' effect on "
           f"active, high − poor {fmt(active.difference[0], diff=True)}")
    table_md = ("What the pair changes\n\n" + _setting_table(study)
                + "\n\nPaired effects (points, 95 % CI)\n\n" + _judgement_table(judgements)
                + "\n\nThe four arms (reference: the high-performing organisation)\n\n" + markdown)
    return Section(result, key, text, table_md, _figure(study, judgements), "context")


FACT = Fact(
    8, "Context",
    "The same hybrid strategy performs differently in high- vs poor-performing organisations.",
    "Currie, Burgess & Tuck 2016", ARMS, analyse)
