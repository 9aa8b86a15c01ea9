"""Validation 2: the model beside Granovetter's (1978) threshold model.

Uniform thresholds on 100 fully tied clinicians (exact, week by week), and normal
thresholds on a dense random graph against the mean field, with the critical spread σ_c.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
from scipy.stats import binom, norm

from ..runner import RunResult, run
from ..scenario import Scenario
from .runs import Check, parallel_map, scenario, write_graph_csv
from .tables import max_abs

#: Granovetter's normal thresholds: mean 0.25 (his mean 25 of 100).
THRESHOLD_MEAN = 0.25
#: The normal-threshold runs: N clinicians, mean degree, and weeks (long enough for a
#: cascade near the critical σ).
SWEEP_CLINICIANS, SWEEP_DEGREE, SWEEP_WEEKS = 10_000, 100, 200
#: The model's final share must be this close to the random-graph mean field, away from σ_c.
SWEEP_TOLERANCE = 0.01


def complete_graph_thresholds(thresholds: np.ndarray, weeks: int) -> np.ndarray:
    """Granovetter's synchronous dynamics on a complete graph: enrolled count per week.

    Clinician i acts in week t + 1 when the share of the *other* n − 1 who acted by week t
    reaches its threshold (computed as k/(n − 1), the very division the model does).
    """
    n = len(thresholds)
    enrolled = np.zeros(n, dtype=bool)
    counts = [0]
    for _ in range(weeks):
        share = (enrolled.sum() - enrolled) / (n - 1)
        enrolled |= share >= thresholds
        counts.append(int(enrolled.sum()))
    return np.array(counts)


def granovetter_uniform(directory: str | Path, raised: bool = False,
                        weeks: int = 110) -> tuple[RunResult, np.ndarray]:
    """100 fully tied clinicians with thresholds k/99 (k = 0 … 99); `raised` moves 1/99 to 2/99.

    Returns the run and the thresholds (indexed by node id = k).
    """
    thresholds = np.arange(100) / 99
    if raised:
        thresholds[1] = 2 / 99
    graph = nx.complete_graph(100)
    staff = write_graph_csv(graph, directory, "granovetter" + ("_raised" if raised else ""),
                            threshold=dict(enumerate(thresholds)))
    spec = scenario("granovetter_uniform", weeks, staff, peer={"rule": "threshold"})
    return run(spec, seed=0), thresholds


def threshold_cdf(x: np.ndarray, sd: float, mean: float = THRESHOLD_MEAN) -> np.ndarray:
    """P(threshold ≤ x) for thresholds Normal(mean, sd) clipped to [0, 1], as the model draws."""
    x = np.asarray(x, dtype=float)
    inside = norm.cdf((x - mean) / sd) if sd > 0 else (x >= mean).astype(float)
    return np.where(x >= 1.0, 1.0, np.where(x < 0.0, 0.0, inside))


def mean_field_final_share(sd: float, mean: float = THRESHOLD_MEAN, degree: float | None = None,
                           clinicians: int | None = None, weeks: int = SWEEP_WEEKS) -> float:
    """Share enrolled after `weeks` of Granovetter's r(t + 1) = P(threshold ≤ share(t)), r(0) = 0.

    Without `degree`: his infinitely large, fully mixed crowd, share = r. With a mean
    `degree` on a random graph of `clinicians`: degrees K ~ Binomial(N − 1, degree/(N − 1))
    and share = Binomial(K, r)/K (clinicians without ties never enrol).
    """
    if degree is None:
        def step(r):
            return float(threshold_cdf(r, sd, mean))
    else:
        n = clinicians - 1
        spread = 10 * np.sqrt(degree)
        ks = np.arange(max(1, int(degree - spread)), int(degree + spread) + 1)
        weights = binom.pmf(ks, n, degree / n)  # ±10 s.d.: the rest weighs < 1e-20
        js = np.arange(ks.max() + 1)
        cdf = threshold_cdf(js[None, :] / ks[:, None], sd, mean) * (js[None, :] <= ks[:, None])

        def step(r):
            r = min(r, 1.0)  # rounding can push the sum past 1, where the pmf is nan
            return float(weights @ (binom.pmf(js[None, :], ks[:, None], r) * cdf).sum(axis=1))
    share = 0.0
    for _ in range(weeks):
        new = step(share)
        if abs(new - share) < 1e-13:
            break
        share = new
    return share


def critical_sd(mean: float = THRESHOLD_MEAN, low: float = 0.05, high: float = 0.2,
                **kwargs) -> float:
    """σ at which the mean-field final share jumps past one half (bisection to 1e-4)."""
    while high - low > 1e-4:
        middle = (low + high) / 2
        if mean_field_final_share(middle, mean, **kwargs) > 0.5:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def threshold_sweep_scenario(sd: float, clinicians: int = SWEEP_CLINICIANS,
                             degree: float = SWEEP_DEGREE, weeks: int = SWEEP_WEEKS) -> Scenario:
    """One department, a dense random graph (mean degree `degree`), normal thresholds."""
    staff = {"departments": 1, "clinicians_per_department": clinicians,
             "within_department_density": degree / (clinicians - 1),
             "hybrids_per_department": 0, "managers": 0}
    threshold = {"distribution": "normal", "mean": THRESHOLD_MEAN, "sd": sd}
    return scenario(f"granovetter_sd_{sd:g}", weeks, staff,
                    peer={"rule": "threshold", "threshold": threshold})


def _final_share(spec: Scenario, seed: int) -> float:
    return float(run(spec, seed=seed).summary["final_enrolled_share"])


def threshold_sweep(sds, clinicians: int = SWEEP_CLINICIANS, degree: float = SWEEP_DEGREE,
                    seed: int = 0, workers: int = 1) -> np.ndarray:
    """Final enrolled share of the normal-threshold scenario at each σ in `sds`."""
    specs = [threshold_sweep_scenario(float(sd), clinicians, degree) for sd in sds]
    return np.array(parallel_map(_final_share, specs, [seed] * len(specs), workers=workers))


def threshold_sweep_check(sds, workers: int = 1) -> tuple[Check, dict]:
    """The sweep beside both mean fields, compared away from the jump (σ_c ± 0.005)."""
    sds = np.asarray(sds, dtype=float)
    graph = {"degree": SWEEP_DEGREE, "clinicians": SWEEP_CLINICIANS}
    fine = np.linspace(sds.min(), sds.max(), 61)
    sweep = {
        "sds": sds, "model": threshold_sweep(sds, workers=workers), "fine": fine,
        "crowd": np.array([mean_field_final_share(sd) for sd in fine]),
        "graph": np.array([mean_field_final_share(sd, **graph) for sd in fine]),
        "crowd_at_sds": np.array([mean_field_final_share(sd) for sd in sds]),
        "graph_at_sds": np.array([mean_field_final_share(sd, **graph) for sd in sds]),
        "critical": critical_sd(), "critical_graph": critical_sd(**graph),
    }
    low, high = sorted((sweep["critical"], sweep["critical_graph"]))
    sweep["window"] = (low - 0.005, high + 0.005)
    sweep["off"] = (sds < sweep["window"][0]) | (sds > sweep["window"][1])
    deviation = max_abs((sweep["model"] - sweep["graph_at_sds"])[sweep["off"]])
    check = Check("Granovetter: normal thresholds, final share", "mean field on the random graph",
                  deviation, SWEEP_TOLERANCE,
                  f"N = {SWEEP_CLINICIANS:,}, degree {SWEEP_DEGREE}, σ outside "
                  f"[{sweep['window'][0]:.3f}, {sweep['window'][1]:.3f}]")
    return check, sweep
