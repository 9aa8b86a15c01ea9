"""Fact 4: Tipping points.

Criterion: in peer-only campaigns, a run *cascades* when it enrols at least half of the
clinicians who were not seeds; the critical mass is the smallest random-seed share at
which at least half the runs cascade. "yes" when fewer than 5 % of runs spread to between
20 % and 80 % of the non-seeds (bimodal) and the critical mass lies within 10–40 % for
some threshold sd; "partly" when some peer-only arm of the grid (seeds up to 50 %) tips,
but not so; "no" when none does. The bundled campaign is reported beside: whether it
ever reaches half of the clinicians.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..compare import mean_ci
from ..plots import plt
from .arms import SEED_SHARES, THRESHOLD_SDS
from .runs import COLOURS, HALF_YEAR, Fact, Section, Study, per_run, weeks_to_half_reached
from .tables import Metric, fmt, format_ci, wilson

#: A run "cascades" when it ever enrols this share of the clinicians who were not seeds.
CASCADE_SHARE = 0.5


def spread(seed_share: float, peaks: np.ndarray) -> np.ndarray:
    """The share of the non-seeds a run enrolled at its peak (seeds alone give 0).

    Examples:
        >>> spread(0.5, np.array([0.5, 0.75]))
        array([0. , 0.5])
    """
    return (np.asarray(peaks) - seed_share) / (1 - seed_share)


def critical_mass(seed_shares, peaks: np.ndarray) -> float | None:
    """Smallest seed share at which at least half the runs cascade (None if none does).

    Examples:
        >>> critical_mass([0.0, 0.1, 0.2], np.array([[0.0, 0.1], [0.9, 0.1], [0.9, 0.9]]))
        0.1
        >>> critical_mass([0.5], np.array([[0.5, 0.52]])) is None   # the seeds alone
        True
    """
    for share, row in zip(seed_shares, peaks):
        if np.mean(spread(share, row) >= CASCADE_SHARE - 1e-12) >= 0.5:
            return share
    return None


def analyse(study: Study) -> Section:
    baseline = study.arms["baseline"].scenario
    baseline_sd, threshold_mean = baseline.peer.threshold.sd, baseline.peer.threshold.mean
    mixed = f"sd {baseline_sd}, no clustering"
    columns = {f"threshold sd {sd}": [f"peer_only_seeds{s}_sd{sd}" for s in SEED_SHARES]
               for sd in THRESHOLD_SDS}
    columns[mixed] = [f"peer_only_mixed_seeds{s}" for s in SEED_SHARES]
    peaks = {label: study.sub(group).enrolled.max(axis=2) for label, group in columns.items()}
    replications = study.replications
    criticals = {label: critical_mass(SEED_SHARES, peak) for label, peak in peaks.items()}

    def mass(label: str) -> str:
        share = criticals[label]
        return (f"not reached (seeds up to {100 * SEED_SHARES[-1]:.0f} %)" if share is None else
                "0 % (no seeds needed)" if share == 0 else fmt(share))

    counts = ["| random seeds | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    means = list(counts)
    for i, share in enumerate(SEED_SHARES):
        cells, peak_cells = [], []
        for label in columns:
            hits = int(np.sum(spread(share, peaks[label][i]) >= CASCADE_SHARE - 1e-12))
            low, high = wilson(hits, replications)
            cells.append(f"{hits}/{replications} [{100 * low:.0f}–{100 * high:.0f} %]")
            peak_cells.append(format_ci(mean_ci(peaks[label][i])))
        counts.append(f"| {share:.1%} | " + " | ".join(cells) + " |")
        means.append(f"| {share:.1%} | " + " | ".join(peak_cells) + " |")
    counts.append("| **critical mass** (cascade in ≥ half the runs) | "
                  + " | ".join(mass(label) for label in columns) + " |")

    sd_names = ["baseline"] + [f"baseline_threshold_sd{sd}" for sd in THRESHOLD_SDS
                               if sd != baseline_sd]
    sub = study.sub(sd_names)
    metrics = [Metric("enrolled, week 52", per_run(sub, "final_enrolled_share")),
               Metric("peak enrolled", sub.enrolled.max(axis=2)),
               Metric(HALF_YEAR, weeks_to_half_reached(sub.open), "weeks")]
    table, markdown = study.table(sd_names, metrics)
    bundled_peaks = sub.enrolled.max(axis=2)

    spreads = {label: np.array([spread(s, row) for s, row in zip(SEED_SHARES, peak)])
               for label, peak in peaks.items()}
    all_spreads = np.concatenate([p.ravel() for p in spreads.values()])
    intermediate = float(np.mean((all_spreads > 0.2) & (all_spreads < 0.8)))
    figure, (curve, histogram, full) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    for colour, (label, peak) in zip(COLOURS, peaks.items()):
        curve.plot(np.array(SEED_SHARES) * 100,
                   np.mean(spreads[label] >= CASCADE_SHARE - 1e-12, axis=1), marker="o",
                   color=colour, label=label, linestyle="--" if label == mixed else "-")
    curve.set(xlabel="random seeds (% of clinicians)", ylabel="share of runs that cascade",
              title=f"Peer influence only: P(≥ {CASCADE_SHARE:.0%} of non-seeds enrol)",
              ylim=(-0.03, 1.03))
    curve.legend(fontsize=8)
    histogram.hist(all_spreads, bins=np.linspace(0, 1, 41), color=COLOURS[0])
    histogram.set(xlabel="share of non-seeds enrolled at the peak", ylabel="runs",
                  title=f"Peer influence only: all {len(all_spreads)} runs of the grid")
    full.hist(list(bundled_peaks), bins=np.linspace(0, 1, 41), stacked=True,
              color=COLOURS[:len(sd_names)], label=[study.arms[n].label for n in sd_names])
    full.set(xlabel="peak enrolled share", ylabel="runs",
             title="Full baseline campaign, by threshold sd")
    full.legend(fontsize=8)
    figure.suptitle("Fact 4: tipping points — seeds, threshold variance, clustering")

    sd_labels = [f"threshold sd {sd}" for sd in THRESHOLD_SDS]
    clustered = f"threshold sd {baseline_sd}"
    instigators = {sd: stats.norm.cdf(-threshold_mean / sd) for sd in THRESHOLD_SDS}
    week1 = float(np.nanmean(sub.enrolled[0][:, 1]))
    bundled_cascades = int(np.sum(bundled_peaks >= CASCADE_SHARE))
    peer_needed = float(np.nanmean(per_run(sub, "needed_share:peer")[0]))
    reached = {label: c for label, c in criticals.items() if c is not None}
    in_range = [label for label, c in reached.items() if 0.10 <= c <= 0.40]
    ordered = [criticals[label] if criticals[label] is not None else np.inf for label in sd_labels]
    sd_effect = ("does not change with the threshold sd" if len(set(ordered)) == 1 else
                 "falls as the threshold sd grows, as in Granovetter"
                 if all(a >= b for a, b in zip(ordered, ordered[1:]))
                 else "is not monotone in the threshold sd")
    clustering_effect = (
        "not measurable" if criticals[mixed] is None or criticals[clustered] is None else
        "higher without clustering" if criticals[mixed] > criticals[clustered] else
        "lower without clustering" if criticals[mixed] < criticals[clustered] else "the same")
    took_most = float(np.mean(all_spreads >= 0.8))
    # bimodal: few runs in the middle, and some at each end
    bimodal = intermediate < 0.05 and took_most > 0 and bool(np.any(all_spreads <= 0.2))
    largest = SEED_SHARES[-1]
    if in_range and bimodal:
        verdict = "yes"
    elif reached:
        verdict = (f"partly: {'bimodal ' if bimodal else ''}tipping in peer-only campaigns, "
                   f"critical mass {'within' if in_range else 'outside'} 10–40 %")
    else:
        verdict = (f"no: with the calibrated thresholds (mean {threshold_mean}) peers alone "
                   f"never tip, even from {100 * largest:.0f} % seeds")
    outside = ("" if in_range or not reached else
               "The model tips at a much smaller seed share than 10 %, because a threshold is "
               "a share of one's own neighbours and a clinician's neighbours are mostly in one "
               "dense department." if max(reached.values()) < 0.10 else
               "The model needs more seeds than 40 % to tip.")
    if bundled_cascades == 0:
        bundled = (f"**The bundled campaign does not tip either:** none of its "
                   f"{bundled_peaks.size} runs (threshold sd "
                   f"{', '.join(str(sd) for sd in THRESHOLD_SDS)}) ever has half of the "
                   f"clinicians enrolled. The launch event, the broadcast and the hybrids enrol "
                   f"{fmt(week1)} in week 1, far below any share from which peers spread, and "
                   f"peers were needed for {fmt(peer_needed)} of the baseline's enrolments: "
                   "with thresholds this high the campaign's own channels enrol clinicians one "
                   "at a time, and the outcome is unimodal (right panel). The patterns the "
                   "baseline was fitted to leave peer influence almost no room "
                   "(docs/calibration.md), so this is a consequence of the calibration, not "
                   "evidence against tipping in hospitals.")
    else:
        bundled = (f"**The bundled campaign:** in week 1 the launch event, the broadcast and "
                   f"the hybrids together enrol {fmt(week1)} of clinicians (mean), and "
                   f"{bundled_cascades} of {bundled_peaks.size} baseline runs (threshold sd "
                   f"{', '.join(str(sd) for sd in THRESHOLD_SDS)}) reach half of the "
                   f"clinicians; peers were needed for {fmt(peer_needed)} of the baseline's "
                   "enrolments (right panel).")
    density = study.arms[columns[mixed][0]].scenario.staff.within_department_density
    text = f"""\
Tipping needs a campaign that only peers can carry, so these arms switch off broadcast,
events and hybrids and start the baseline's threshold cascade from a share of random
seeds (`[seeding] share`, `rule = "random"`, up to {100 * largest:.0f} %), for threshold sd
{", ".join(str(sd) for sd in THRESHOLD_SDS)} (mean {threshold_mean}), and, at sd
{baseline_sd}, on a staff graph with the same expected number of ties but no department
clustering (within- and between-department density both {density}). A run *cascades*
when it enrols at least {100 * CASCADE_SHARE:.0f} % of the clinicians who were not seeds.

**Bimodal: {"yes" if bimodal else "no" if took_most > 0 else "not shown"}.** Of all {len(all_spreads)} peer-only runs,
{fmt(intermediate)} spread to between 20 % and 80 % of the non-seeds and {fmt(took_most)}
to more than 80 %{": a run either stays near its seeds or takes almost everyone" if bimodal else ": no run takes off, so there is nothing to be bimodal" if took_most == 0 else ""}{", and near the critical seed share the same arm does both in different replications" if bimodal and reached else ""} (middle panel).

**Seed size and threshold variance.** The critical mass — the smallest seed share at
which at least half the runs cascade — is
{"; ".join(f"{label}: {mass(label)}" for label in sd_labels)}: it {sd_effect}.
Thresholds are normal clipped at 0, so a share Φ(−mean/sd) of clinicians —
{", ".join(f"{fmt(instigators[sd])} at sd {sd}" for sd in THRESHOLD_SDS)} — has threshold 0
and enrols in week 1 with no enrolled neighbour (the model credits these enrolments to the
peer channel){f"; at sd {THRESHOLD_SDS[-1]} they alone start the cascade" if criticals[sd_labels[-1]] == 0 else ""}.
With mean {threshold_mean}, a clinician joins only when about {100 * threshold_mean:.0f} % of her
colleagues have.

**Clustering:** the critical mass is {mass(mixed)} without department clustering against
{mass(clustered)} with it ({clustering_effect}){": dense departments let a local share of enrolled neighbours build up, as in Centola's complex contagion" if clustering_effect == "higher without clustering" else ""}.

**Critical mass ~10–40 %:** {"matched for " + ", ".join(in_range) if in_range else "not matched"}.
{outside}

{bundled}
"""
    table_md = ("Peer-only campaigns: runs that cascade (of R, with Wilson 95 % CI)\n\n"
                + "\n".join(counts)
                + "\n\nPeer-only campaigns: peak enrolled share (mean [95 % CI])\n\n"
                + "\n".join(means)
                + "\n\nThe full baseline campaign with other threshold sd (reference: baseline, "
                f"sd {baseline_sd})\n\n" + markdown)
    return Section(verdict, f"critical mass {mass(clustered)} at sd {baseline_sd}; "
                   f"{fmt(intermediate)} of peer-only runs intermediate; baseline cascades in "
                   f"{bundled_cascades}/{bundled_peaks.size} runs", text, table_md, figure, "tipping")


FACT = Fact(
    4, "Tipping points",
    "Final enrolment is bimodal and sensitive to seed size, clustering and threshold "
    "variance; critical mass ~10–40%.",
    "Granovetter 1978; Centola et al. 2018",
    # every sd variant is listed; the one equal to the baseline's sd is not built
    tuple(f"peer_only_seeds{s}_sd{sd}" for sd in THRESHOLD_SDS for s in SEED_SHARES)
    + tuple(f"peer_only_mixed_seeds{s}" for s in SEED_SHARES)
    + ("baseline",) + tuple(f"baseline_threshold_sd{sd}" for sd in THRESHOLD_SDS), analyse)
