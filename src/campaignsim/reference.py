"""The reference engine (`engine = "agents"`): each clinician decides alone, in plain Python.

This is a second, independent implementation of the clinician's week, written from the
equations of docs/model.md (§7.3, §7.7–§7.13) and reading the scenario's tables directly.
It imports nothing from rules.py or dynamics.py: the vectorised engine (`decide_all`) and
this one are two implementations of the same equations, so a wrong formula in either
makes the engine-equivalence test (tests/test_engines.py) fail. What they share are only
the inputs that are not clinician decisions: the week's uniform draws (the same call on
the same generator), the managers' push, the hybrids' and champions' approaches (Mesa
agents' own steps) and the state arrays that both write.

Bit-identical results need the same floating-point operations in the same order, so the
formulas below are written in the order of docs/model.md, which the vectorised rules
follow too: products and cumulative sums of channel hazards in channel order, neighbour
sums over the clinician's ties in CSR order (the order of scipy's sparse product), the
cascade's power through numpy's array loop (see `_cascade_hazard`), and the week's ideas
and the ownership and fidelity of the week's enrolments summed by numpy (pairwise
summation) over arrays in clinician index order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .scenario import CHANNELS, STATES

UNAWARE, AWARE, ENROLLED, ACTIVE, DISENGAGED = (STATES.index(name) for name in (
    "unaware", "aware", "enrolled", "active", "disengaged"))
SEED = CHANNELS.index("seed")
BROADCAST, EVENT, MANDATE, HYBRID, PEER, CHAMPION = (CHANNELS.index(name) for name in (
    "broadcast", "event", "mandate", "hybrid", "peer", "champion"))


@dataclass
class Decision:
    """One clinician's decision this week, applied at the week's commit."""

    state: int
    fatigue: float
    ideas: float = 0.0
    channel: int = -1                  # the enrolment's channel (hazard share); -1: no enrolment
    needed: tuple = ()                 # channels without which this draw would not have enrolled
    ownership: float = 0.0
    fidelity: float = 0.0


@dataclass
class ReferenceWeek:
    """One week of the reference engine: last week's states, the draws, the decisions."""

    model: object
    number: int
    previous: np.ndarray = field(init=False)   # decisions read last week's states (synchronous)
    draws: np.ndarray = field(init=False)
    decisions: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        population = self.model.population
        self.previous = population.state.copy()
        # the shared random stream: one uniform per clinician, the vectorised engine's call
        self.draws = self.model.weekly_draws.random(len(population))

    # --- the decision of clinician i -------------------------------------------------

    def decide(self, i: int) -> None:
        """Clinician i's transition this week (docs/model.md §7.7–§7.13)."""
        model, spec = self.model, self.model.spec
        population, push, approaches = model.population, model.push, model.approaches
        state, u = int(self.previous[i]), float(self.draws[i])
        sigma = spec.codesign.share if spec.on("codesign") else 0.0
        fatigue = float(population.fatigue[i])
        receptive = 1.0 - fatigue
        resonance = self._resonance(sigma, float(population.trust[i]))

        hazards = [0.0] * len(CHANNELS)  # §7.8, in channel order
        hazards[BROADCAST] = push.broadcast * resonance * receptive
        hazards[EVENT] = push.event * resonance * receptive
        hazards[MANDATE] = push.mandate * receptive
        hazards[HYBRID] = float(approaches.hybrid_hazard[i])
        hazards[CHAMPION] = float(approaches.champion_hazard[i])
        neighbours = self._neighbours(i)
        if neighbours is not None:
            hazards[PEER] = neighbours.hazard

        decision = Decision(state=state, fatigue=self._next_fatigue(fatigue))
        if state in (UNAWARE, AWARE):
            self._open(decision, i, hazards, u, sigma, neighbours)
        elif state in (ENROLLED, ACTIVE):
            self._committed(decision, i, u, sigma, fatigue)
        elif state == DISENGAGED:
            erosion = spec.on("erosion")
            if erosion is not None and u < erosion.recovery:
                decision.state = AWARE  # §7.11 recovery
        self.decisions[i] = decision

    def _open(self, decision: Decision, i: int, hazards: list, u: float, sigma: float,
              neighbours: Neighbours | None) -> None:
        """§7.8–§7.10 for the unaware and aware: enrol, else backlash, else awareness."""
        spec, push, approaches = self.model.spec, self.model.push, self.model.approaches
        awareness = spec.on("awareness")
        stays = 1.0
        for hazard in hazards:
            stays = stays * (1.0 - hazard)
        probability = 1.0 - stays
        if decision.state == UNAWARE and awareness is not None and not awareness.unaware_enrol:
            probability = 0.0  # awareness first: the unaware cannot enrol this week
        trust = float(self.model.population.trust[i])
        backlash = push.mandate * spec.mandate.backlash * (1.0 - trust) if push.mandate else 0.0
        approached = bool(approaches.hybrid_touched[i] or approaches.champion_hazard[i] > 0)
        if u < probability:
            self._enrol(decision, i, hazards, u, probability, sigma, neighbours)
        elif push.mandate and u - probability < (1.0 - probability) * backlash:
            decision.state = DISENGAGED  # backlash: probability b given no enrolment
        elif decision.state != UNAWARE:
            return
        elif awareness is not None:
            # §7.10: aware with probability A, from the part of u left over
            free = 1.0 - probability
            if u - probability - free * backlash < free * (1.0 - backlash) * self._awareness(
                    awareness, approached, neighbours):
                decision.state = AWARE
        elif (push.broadcast + push.event + push.mandate > 0 or approached
              or (neighbours is not None and neighbours.enrolled > 0)):
            decision.state = AWARE

    def _awareness(self, awareness, approached: bool, neighbours: Neighbours | None) -> float:
        """§7.10: A = 1 − Π_c (1 − a_c) over the channels reaching the clinician this week
        (broadcast, event, mandate, an approach, enrolled neighbours), in that order."""
        push = self.model.push
        hazards = [awareness.broadcast if push.broadcast > 0 else 0.0,
                   awareness.event if push.event > 0 else 0.0,
                   awareness.mandate if push.mandate > 0 else 0.0,
                   awareness.approach if approached else 0.0,
                   _cascade_hazard(awareness.neighbour, neighbours.enrolled)
                   if neighbours is not None else 0.0]
        stays = 1.0
        for hazard in hazards:
            stays = stays * (1.0 - hazard)
        return 1.0 - stays

    def _committed(self, decision: Decision, i: int, u: float, sigma: float,
                   fatigue: float) -> None:
        """§7.11–§7.12 for the enrolled and active, from the ownership fixed at enrolment:
        erosion, else activation (the enrolled only); ideas from the active."""
        spec = self.model.spec
        erosion, activation = spec.on("erosion"), spec.on("activation")
        ownership = float(self.model.population.ownership[i])
        erode = 0.0
        if erosion is not None:
            erode = erosion.rate * (1.0 - ownership)
            if spec.on("fatigue"):
                erode = erode * (1.0 + fatigue)
            if decision.state == ACTIVE:
                erode = erode * erosion.active_factor
        if activation is not None and decision.state == ACTIVE:
            decision.ideas = activation.ideas_rate * ownership * self._idea_openness(
                sigma, int(self.model.population.department[i]))
        if u < erode:
            decision.state = DISENGAGED
        elif decision.state == ENROLLED and activation is not None and \
                u < erode + (1.0 - erode) * min(activation.rate * ownership, 1.0):
            decision.state = ACTIVE

    def _resonance(self, sigma: float, trust: float) -> float:
        """§7.3: ρ = clip(σ + (1 − σ)·τ + S(t), 0, 1), S(t) = size·2^(−(t − k)/half_life)."""
        shock = self.model.spec.on("shock")
        incident = 0.0
        if shock is not None and self.number >= shock.week:
            incident = shock.size * 2.0 ** (-(self.number - shock.week) / shock.half_life)
        return min(max(sigma + (1.0 - sigma) * trust + incident, 0.0), 1.0)

    def _neighbours(self, i: int) -> Neighbours | None:
        """§7.7: what clinician i's colleagues were last week, and the peer hazard (None:
        `[peer]` is off)."""
        spec = self.model.spec
        peer, champions = spec.on("peer"), spec.on("champions")
        if peer is None:
            return None
        population = self.model.population
        adjacency = population.adjacency
        count = weight_sum = enrolled_weight = fidelity_sum = 0.0
        for k in range(adjacency.indptr[i], adjacency.indptr[i + 1]):  # CSR order
            j, tie = adjacency.indices[k], float(adjacency.data[k])
            weight = champions.weight if champions is not None and population.champion[j] \
                else 1.0
            enrolled = 1.0 if self.previous[j] in (ENROLLED, ACTIVE) else 0.0
            disengaged = 1.0 if self.previous[j] == DISENGAGED else 0.0
            count += tie * (weight * (enrolled - peer.cynicism * disengaged))
            weight_sum += tie * weight
            enrolled_weight += tie * (weight * enrolled)
            fidelity_sum += tie * (weight * enrolled * float(population.fidelity[j]))
        has_ties = adjacency.indptr[i + 1] > adjacency.indptr[i]
        if not has_ties:
            share = 0.0
        elif weight_sum > 0:
            share = count / weight_sum
        else:  # ties that all weigh 0: 0/0, a share that reaches no threshold
            share = math.nan
        if peer.rule == "threshold":
            hazard = 1.0 if has_ties and share >= float(population.threshold[i]) else 0.0
        elif peer.rule == "cascade":
            hazard = _cascade_hazard(peer.q, count)
        else:
            hazard = peer.q * max(share, 0.0)  # NaN (0/0) stays NaN, as np.maximum
        return Neighbours(hazard=hazard, enrolled=enrolled_weight,
                          mean_fidelity=fidelity_sum / enrolled_weight if enrolled_weight > 0
                          else None)

    def _enrol(self, decision: Decision, i: int, hazards: list, u: float, probability: float,
               sigma: float, neighbours: Neighbours | None) -> None:
        """§7.8 channel (hazard share) and necessary channels; §7.9 ownership, fidelity."""
        spec, approaches = self.model.spec, self.model.approaches
        total, cumulative = 0.0, []
        for hazard in hazards:
            total = total + hazard
            cumulative.append(total)
        pick = u / probability
        channel = next(c for c, value in enumerate(cumulative) if value / total > pick)
        decision.channel, decision.state = channel, ENROLLED
        needed = []
        for c in range(len(CHANNELS)):  # c was necessary: without it this u would not enrol
            stays = 1.0
            for other, hazard in enumerate(hazards):
                if other != c:
                    stays = stays * (1.0 - hazard)
            if u >= 1.0 - stays:
                needed.append(c)
        decision.needed = tuple(needed)

        alignment = float(approaches.hybrid_alignment[i])
        ownership = self._channel_ownership(channel, alignment)
        if spec.on("codesign"):
            ownership = ownership + (1.0 - ownership) * sigma * spec.codesign.ownership_boost
        fidelity = 1.0 - sigma
        if channel == HYBRID:
            fidelity = (1.0 - sigma) * alignment
        elif channel in (PEER, CHAMPION) and neighbours is not None \
                and neighbours.mean_fidelity is not None:
            fidelity = neighbours.mean_fidelity
        decision.ownership, decision.fidelity = ownership, fidelity

    def _channel_ownership(self, channel: int, alignment: float) -> float:
        """§7.9: ownership by channel; a hybrid's grows as its alignment falls."""
        spec = self.model.spec
        if channel == HYBRID:
            hybrids = spec.on("hybrids")
            return hybrids.ownership_base + hybrids.ownership_mediation * (1.0 - alignment)
        if channel == CHAMPION:
            return spec.champions.convert_ownership
        table = {BROADCAST: "broadcast", EVENT: "events", MANDATE: "mandate", PEER: "peer"}
        return spec.on(table[channel]).ownership

    def _idea_openness(self, sigma: float, department: int) -> float:
        """§7.12: σ + (1 − σ)(1 − ᾱ_d), ᾱ_d the mean alignment of the department's
        campaigning hybrids (1 where there are none)."""
        alignments = [h.alignment for h in self.model.hybrids if h.department == department]
        total = 0.0
        for alignment in alignments:
            total += alignment
        mean = total / len(alignments) if alignments else 1.0
        return sigma + (1.0 - sigma) * (1.0 - mean)

    def _next_fatigue(self, fatigue: float) -> float:
        """§7.13: F ← clip(F·(1 − r) + λ·T, 0, 1)."""
        table, push = self.model.spec.on("fatigue"), self.model.push
        if table is None:
            return fatigue
        tempo = push.broadcast + push.event + push.mandate
        return min(max(fatigue * (1.0 - table.recovery) + table.load * tempo, 0.0), 1.0)

    # --- the commit ------------------------------------------------------------------

    def commit(self) -> None:
        """Write every clinician's decision into the model's state arrays, clinician by
        clinician in index order."""
        model, spec = self.model, self.model.spec
        population = model.population
        erosion, activation = spec.on("erosion"), spec.on("activation")
        ideas = np.zeros(len(population))
        campaign_ownership, campaign_fidelity = [], []
        for i, decision in sorted(self.decisions.items()):
            population.state[i] = decision.state
            population.fatigue[i] = decision.fatigue
            ideas[i] = decision.ideas
            if decision.channel < 0:
                continue
            population.enrolled_week[i] = self.number
            population.channel[i] = decision.channel
            population.ownership[i] = decision.ownership
            population.fidelity[i] = decision.fidelity
            # what ownership fixes at enrolment (§7.11): erosion before fatigue, activation
            population.erosion_base[i] = (erosion.rate if erosion else 0.0) * (
                1.0 - decision.ownership)
            population.activation[i] = min(
                (activation.rate if activation else 0.0) * decision.ownership, 1.0)
            population.enrolments[decision.channel] += 1
            for c in decision.needed:
                population.needed[c] += 1
            campaign_ownership.append(decision.ownership)
            campaign_fidelity.append(decision.fidelity)
        # numpy's pairwise sums over the same arrays in the same order as the vectorised
        # engine's (a plain running sum could differ in the last bit)
        population.ownership_at_enrolment += float(np.sum(np.array(campaign_ownership)))
        population.fidelity_at_enrolment += float(np.sum(np.array(campaign_fidelity)))
        model.ideas += float(np.sum(ideas))


@dataclass(frozen=True)
class Neighbours:
    """What a clinician's colleagues were last week (§7.7)."""

    hazard: float                 # the peer hazard
    enrolled: float               # Σ_j A_ij w_j e_j, the enrolled neighbours' weight
    mean_fidelity: float | None   # their weighted mean fidelity (None: none enrolled)


def _cascade_hazard(q: float, count: float) -> float:
    """1 − (1 − q)^max(K, 0) (the cascade's peer hazard; awareness from K enrolled
    neighbours). The power goes through numpy's array loop: on CPUs with
    AVX-512 numpy's vectorised `pow` and the scalar `pow` differ in the last bit for about
    5 % of inputs, which could flip a draw against the vectorised engine."""
    return float(1.0 - np.power(1.0 - q, np.array([max(count, 0.0)]))[0])
