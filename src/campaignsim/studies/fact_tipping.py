"""Fact 4: Tipping points.

Criterion: in peer-only campaigns, fewer than 5 % of runs peak between 20 % and 80 %
enrolled (bimodal), and the critical mass (smallest random-seed share at which at least
half the runs reach 50 %) lies within 10–40 %; the bundled campaign is judged by whether
it ever fails to cascade.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..compare import mean_ci
from ..plots import plt
from .arms import SEED_SHARES, THRESHOLD_SDS
from .runs import COLOURS, Fact, Section, Study, per_run
from .tables import Metric, fmt, format_ci, wilson

#: A run "cascades" when its enrolled share ever reaches this.
CASCADE_SHARE = 0.5


def critical_mass(seed_shares, peaks: np.ndarray) -> float | None:
    """Smallest seed share at which at least half the runs cascade (None if none does).

    Examples:
        >>> critical_mass([0.0, 0.1, 0.2], np.array([[0.0, 0.1], [0.9, 0.1], [0.9, 0.9]]))
        0.1
    """
    for share, row in zip(seed_shares, peaks):
        if np.mean(row >= CASCADE_SHARE) >= 0.5:
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
        return "not reached" if share is None else "0 % (no seeds needed)" if share == 0 else fmt(share)

    counts = ["| random seeds | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    means = list(counts)
    for i, share in enumerate(SEED_SHARES):
        cells, peak_cells = [], []
        for label in columns:
            hits = int(np.sum(peaks[label][i] >= CASCADE_SHARE))
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
               Metric("weeks to 50 %", per_run(sub, "weeks_to_50"), "weeks")]
    table, markdown = study.table(sd_names, metrics)
    bundled_peaks = sub.enrolled.max(axis=2)

    all_peaks = np.concatenate([p.ravel() for p in peaks.values()])
    intermediate = float(np.mean((all_peaks > 0.2) & (all_peaks < 0.8)))
    figure, (curve, histogram, full) = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    for colour, (label, peak) in zip(COLOURS, peaks.items()):
        curve.plot(np.array(SEED_SHARES) * 100, np.mean(peak >= CASCADE_SHARE, axis=1), marker="o",
                   color=colour, label=label, linestyle="--" if label == mixed else "-")
    curve.set(xlabel="random seeds (% of clinicians)", ylabel="share of runs that cascade",
              title=f"Peer influence only: P(enrolled share ever ≥ {CASCADE_SHARE:.0%})",
              ylim=(-0.03, 1.03))
    curve.legend(fontsize=8)
    histogram.hist(all_peaks, bins=np.linspace(0, 1, 41), color=COLOURS[0])
    histogram.set(xlabel="peak enrolled share", ylabel="runs",
                  title=f"Peer influence only: all {len(all_peaks)} runs of the grid")
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
    in_range = [label for label, c in criticals.items() if c is not None and 0.10 <= c <= 0.40]
    ordered = [criticals[label] if criticals[label] is not None else np.inf for label in sd_labels]
    sd_effect = ("falls as the threshold sd grows" if all(a >= b for a, b in zip(ordered, ordered[1:]))
                 else "is not monotone in the threshold sd")
    clustering_effect = (
        "not measurable" if criticals[mixed] is None or criticals[clustered] is None else
        "higher without clustering" if criticals[mixed] > criticals[clustered] else
        "lower without clustering" if criticals[mixed] < criticals[clustered] else "the same")
    bimodal = intermediate < 0.05
    verdict = (f"partly: {'bimodal, ' if bimodal else ''}tipping in peer-only campaigns, "
               f"critical mass {'within' if in_range else 'below'} 10–40 %; "
               "no tipping in the bundled campaign")
    density = study.arms[columns[mixed][0]].scenario.staff.within_department_density
    text = f"""\
Tipping needs a campaign that only peers can carry, so these arms switch off broadcast,
events and hybrids and start the baseline's threshold cascade from a share of random
seeds (`[seeding] share`, `rule = "random"`), for threshold sd
{", ".join(str(sd) for sd in THRESHOLD_SDS)} (mean {threshold_mean}), and, at sd
{baseline_sd}, on a staff graph with the same expected number of ties but no department
clustering (within- and between-department density both {density}). A run *cascades*
when its enrolled share ever reaches {100 * CASCADE_SHARE:.0f} %.

**Bimodal: {"yes" if bimodal else "not clearly"}.** Of all {len(all_peaks)} peer-only runs,
{fmt(intermediate)} peak between 20 % and 80 % enrolled: a run either stays near its seeds
or takes almost everyone, and near the critical seed share the same arm does both in
different replications (middle panel).

**Seed size and threshold variance: sensitive.** The critical mass — the smallest seed
share at which at least half the runs cascade — is
{"; ".join(f"{label}: {mass(label)}" for label in sd_labels)}: it {sd_effect}, as in
Granovetter. Thresholds are normal clipped at 0, so a share Φ(−mean/sd) of clinicians —
{", ".join(f"{fmt(instigators[sd])} at sd {sd}" for sd in THRESHOLD_SDS)} — has threshold 0
and enrols in week 1 with no enrolled neighbour (the model credits these enrolments to the
peer channel){f"; at sd {THRESHOLD_SDS[-1]} they alone start the cascade" if criticals[sd_labels[-1]] == 0 else ""}.

**Clustering:** the critical mass is {mass(mixed)} without department clustering against
{mass(clustered)} with it ({clustering_effect}){": dense departments let a local share of enrolled neighbours build up, as in Centola's complex contagion" if clustering_effect == "higher without clustering" else ""}.

**Critical mass ~10–40 %:** {"matched for " + ", ".join(in_range) if in_range else "not matched"}.
{"With these thresholds the model tips at a much smaller seed share than 10 %, because a threshold is a share of one's own neighbours and a clinician's neighbours are mostly in one dense department." if not in_range else ""}

**In the bundled campaign there is no tipping point:** in week 1 the launch event, the
broadcast and the hybrids together enrol {fmt(week1)} of clinicians (mean), {"above" if week1 > max(c or 0 for c in criticals.values()) else "not above"} every critical mass in the table, so
{bundled_cascades} of {bundled_peaks.size} baseline runs (threshold sd
{", ".join(str(sd) for sd in THRESHOLD_SDS)}) cascade and the outcome is unimodal (right
panel). The bundled strategies therefore differ in speed, ownership, fidelity and erosion,
not in whether the campaign takes off.
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
