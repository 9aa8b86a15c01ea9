"""Validation 1: the model beside the Bass (1969) diffusion model.

A complete graph of clinicians with full trust, broadcast at p and the Bass peer rule at
q, against the discrete Bass recursion and the continuous closed form, with derived
bounds for the two deliberate deviations (weekly steps; the share of the N − 1 others).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario
from .runs import Check, replicate, scenario
from .tables import max_abs

#: Bass coefficients: the memo's average p = 0.03 and q = 0.38 per year (Sultan, Farley &
#: Lehmann meta-analysis), scaled to weeks as the memo says (p/52, q/52).
BASS_P = 0.03 / 52
BASS_Q = 0.38 / 52
#: The CI test's Bass size (tests/test_validation_theory.py): the page's 20 runs (seeds
#: 0–19) up to week 340, just past the steepest point (week 322).
TEST_BASS_RUNS, TEST_BASS_WEEKS = 20, 340


def bass_scenario(clinicians: int, p: float, q: float, weeks: int) -> Scenario:
    """Complete graph of clinicians, full trust, broadcast at p and the bass peer rule at q."""
    staff = {"departments": 1, "clinicians_per_department": clinicians,
             "within_department_density": 1.0, "hybrids_per_department": 0, "managers": 1}
    return scenario("bass", weeks, staff, clinicians={"trust_in_management": 1.0},
                    broadcast={"intensity": p}, peer={"rule": "bass", "q": q})


def bass_recursion(p: float, q: float, weeks: int, clinicians: int | None = None) -> np.ndarray:
    """Discrete Bass: F(t+1) = F(t) + (1 − F(t))·(1 − (1 − p)(1 − q·F(t))), F(0) = 0.

    With `clinicians` = N, the imitation term uses the model's share of the *other*
    N − 1 clinicians, F·N/(N − 1): the model's own mean-field recursion.
    """
    factor = 1.0 if clinicians is None else clinicians / (clinicians - 1)
    share = np.zeros(weeks + 1)
    for t in range(weeks):
        f = share[t]
        share[t + 1] = f + (1 - f) * (1 - (1 - p) * (1 - q * min(1.0, factor * f)))
    return share


def bass_closed_form(p: float, q: float, weeks: int) -> np.ndarray:
    """Continuous Bass: F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t})."""
    decay = np.exp(-(p + q) * np.arange(weeks + 1))
    return (1 - decay) / (1 + (q / p) * decay)


def bass_peak_rate(p: float, q: float) -> float:
    """Largest adoption rate f(F) = (1 − F)(p + qF) over F (for q ≥ p): (p + q)²/(4q)."""
    return (p + q) ** 2 / (4 * q) if q >= p else p


def bass_discretisation_bound(p: float, q: float, weeks: int) -> float:
    """Bound on |discrete recursion − closed form| over weeks 0 … `weeks`, for small p, q.

    Both curves climb the same S; the discrete one lags in time. A week of the recursion
    moves F by Δ = f(F) − pqF(1 − F), f(F) = (1 − F)(p + qF); the continuous curve needs
    ∫ dx/f(x) over [F, F + Δ] = 1 − pqF/(p + qF) − f'(F)/2 + O((p + q)²) weeks for that.
    Summing over t weeks, the lag is Σ pqF/(p + qF) + ½ Σ f'(F) + remainder
    ≤ p·t + ½ ln(f_max/p) + t(p + q)², since Σ f'(F_t) ≈ ∫ f'/f dF = ln(f(F)/f(0)) and
    f(0) = p. A lag L moves F by at most f_max·L, so
    |F_disc − F_cont| ≤ f_max·(p·T + ½ ln((p + q)²/(4pq)) + T(p + q)²),
    f_max = (p + q)²/(4q).
    """
    peak = bass_peak_rate(p, q)
    return peak * (p * weeks + 0.5 * max(0.0, np.log(peak / p)) + weeks * (p + q) ** 2)


def bass_neighbour_bound(p: float, q: float, weeks: int, clinicians: int) -> float:
    """Bound on the recursion's change when the share counts N − 1 others, not N.

    The model's imitation hazard is q·F·N/(N − 1): q raised by δq = q/(N − 1). For the
    Bass curve ∂F/∂q = f(F(t))·∫₀ᵗ F/(p + qF) ds ≤ f_max·t/q, so
    |ΔF| ≤ δq·f_max·T/q = f_max·T/(N − 1).
    """
    return bass_peak_rate(p, q) * weeks / (clinicians - 1)


@dataclass
class BassResult:
    """Runs of the Bass scenario and the theory curves they are compared with."""

    p: float
    q: float
    clinicians: int
    runs: np.ndarray                 # replications × weeks + 1, enrolled share
    recursion: np.ndarray            # the discrete recursion (share of N)
    recursion_model: np.ndarray      # the same with the model's N − 1 share
    closed_form: np.ndarray
    tolerance: float = 0.02          # sampling tolerance of the replication mean

    @property
    def weeks(self) -> int:
        return len(self.recursion) - 1

    @property
    def mean(self) -> np.ndarray:
        return self.runs.mean(axis=0)

    def checks(self) -> list[Check]:
        weeks, n = self.weeks, self.clinicians
        discretisation = bass_discretisation_bound(self.p, self.q, weeks)
        neighbours = bass_neighbour_bound(self.p, self.q, weeks, n)
        return [
            Check("Bass: model mean vs discrete recursion", "F(t+1) = F + (1−F)(1−(1−p)(1−qF))",
                  max_abs(self.mean - self.recursion), self.tolerance,
                  f"mean of {len(self.runs)} runs, N = {n}, weeks 0–{weeks}"),
            Check("Bass: model mean vs closed form", "(1−e^{−(p+q)t})/(1+(q/p)e^{−(p+q)t})",
                  max_abs(self.mean - self.closed_form),
                  self.tolerance + discretisation + neighbours,
                  "0.02 + discretisation bound + N−1 bound"),
            Check("Bass: recursion vs closed form (no model)", "derived discretisation bound",
                  max_abs(self.recursion - self.closed_form), discretisation),
            Check("Bass: N−1 share vs N share (no model)", "derived bound f_max·T/(N−1)",
                  max_abs(self.recursion_model - self.recursion), neighbours),
        ]


def bass_check(clinicians: int = 1000, weeks: int = 1040, replications: int = 20,
               workers: int = 1, p: float = BASS_P, q: float = BASS_Q) -> BassResult:
    """Run the Bass scenario `replications` times (seeds 0, 1, …) beside its theory."""
    runs = replicate(bass_scenario(clinicians, p, q, weeks), range(replications), workers)
    return BassResult(p, q, clinicians, runs, bass_recursion(p, q, weeks),
                      bass_recursion(p, q, weeks, clinicians), bass_closed_form(p, q, weeks))
