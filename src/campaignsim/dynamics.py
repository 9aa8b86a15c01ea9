"""Campaign dynamics: the weekly push, the approaches, and one week of clinician decisions.

A week of the vectorised (default) engine: `start_week` snapshots last week's states and
draws one uniform number per clinician; `decide_all` decides for everyone at once (one
sparse product for peer influence, the rules of rules.py elementwise, no Python loop over
clinicians); `commit_week` applies the decisions. The reference engine (reference.py)
shares only the approaches, the draws' generator and the state arrays. The equations
are in docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from .rules import (CHANNEL, Terms, commitment, enrol_probability, enrolment_fidelity,
                    enrolment_ownership, erosion_hazard, needed_counts, next_fatigue,
                    peer_hazard, pick_channel)
from .scenario import CHANNELS, Scenario


@dataclass(frozen=True)
class Push:
    """What the managers push at clinicians in one week."""

    broadcast: float = 0.0  # weekly hazard of a fully resonant broadcast
    event: float = 0.0      # reach of this week's event (0 = no event)
    mandate: float = 0.0    # mandate pressure (0 = no mandate)

    @property
    def tempo(self) -> float:
        """The week's campaign load, which feeds fatigue."""
        return self.broadcast + self.event + self.mandate


@dataclass(frozen=True)
class Schedule:
    """The managers' campaign schedule, read from the scenario."""

    scenario: Scenario

    def push(self, week: int) -> Push:
        """The push for `week` (weeks count from 1)."""
        s = self.scenario
        broadcast, events, mandate = s.on("broadcast"), s.on("events"), s.on("mandate")

        def running(table) -> bool:
            return table.start_week <= week and (table.end_week is None or week <= table.end_week)

        return Push(
            broadcast=broadcast.intensity if broadcast and running(broadcast) else 0.0,
            event=events.reach if events and week in events.weeks else 0.0,
            mandate=mandate.pressure if mandate and running(mandate) else 0.0,
        )

    def shock(self, week: int) -> float:
        """Resonance added by a serious incident, halving every `half_life` weeks."""
        shock = self.scenario.on("shock")
        if shock is None or week < shock.week:
            return 0.0
        return shock.size * 2.0 ** (-(week - shock.week) / shock.half_life)


@dataclass
class Population:
    """The clinicians' state, one row per clinician (index order = graph order)."""

    nodes: list
    department: np.ndarray        # int codes into department_names
    department_names: list
    profession: np.ndarray        # int codes into profession_names
    profession_names: list
    champion: np.ndarray          # bool
    trust: np.ndarray             # trust in management, [0, 1]
    threshold: np.ndarray         # peer threshold, [0, 1]
    adjacency: sp.csr_matrix      # clinician–clinician ties (symmetric, 0/1)
    terms: Terms                  # the scenario's constants (for what enrolment fixes)
    state: np.ndarray = field(init=False)
    ownership: np.ndarray = field(init=False)
    fidelity: np.ndarray = field(init=False)
    channel: np.ndarray = field(init=False)
    enrolled_week: np.ndarray = field(init=False)
    fatigue: np.ndarray = field(init=False)
    resonance: np.ndarray = field(init=False)

    def __post_init__(self):
        n = len(self.nodes)
        self.state = np.zeros(n, dtype=np.int8)
        self.ownership = np.zeros(n)
        self.fidelity = np.zeros(n)
        self.channel = np.full(n, -1, dtype=np.int8)
        self.enrolled_week = np.full(n, -1, dtype=np.int32)
        self.fatigue = np.zeros(n)
        self.resonance = np.zeros(n)
        self.erosion_base = np.zeros(n)   # fixed at enrolment with ownership (rules.commitment)
        self.activation = np.zeros(n)     # weekly activation probability, likewise
        # cumulative over the run: enrolments by channel (the hazard-share pick), the
        # enrolments that needed each channel, and the sums of ownership and fidelity at
        # the campaign's enrolments (seeds excluded)
        self.enrolments = np.zeros(len(CHANNELS), dtype=np.int64)
        self.needed = np.zeros(len(CHANNELS), dtype=np.int64)
        self.ownership_at_enrolment = self.fidelity_at_enrolment = 0.0

    def __len__(self) -> int:
        return len(self.nodes)

    def enrol(self, index: np.ndarray, week: int, channel: str | np.ndarray,
              ownership, fidelity) -> None:
        """Record enrolments: state, week, channel, ownership and fidelity."""
        codes = np.broadcast_to(CHANNEL[channel] if isinstance(channel, str) else channel,
                                np.shape(index))
        self.state[index] = ENROLLED
        self.enrolled_week[index] = week
        self.channel[index] = codes
        self.enrolments += np.bincount(codes, minlength=len(CHANNELS))
        self.ownership[index] = ownership
        self.fidelity[index] = fidelity
        self.erosion_base[index], self.activation[index] = commitment(self.terms,
                                                                      self.ownership[index])
        campaign = codes != CHANNEL["seed"]
        # numpy's pairwise sum of the week's enrolments in index order (the reference
        # engine sums the same array the same way)
        self.ownership_at_enrolment += float(np.sum(self.ownership[index][campaign]))
        self.fidelity_at_enrolment += float(np.sum(self.fidelity[index][campaign]))


class Approaches:
    """This week's personal approaches: by hybrids and by champions."""

    def __init__(self, n: int, state: np.ndarray | None = None):
        # who may still be approached by a hybrid this week: neither enrolled nor
        # disengaged, and not yet approached by another hybrid
        self.approachable = state <= AWARE if state is not None else np.zeros(n, dtype=bool)
        self.hybrid_hazard = np.zeros(n)
        self.hybrid_alignment = np.zeros(n)
        self.hybrid_touched = np.zeros(n, dtype=bool)
        self.champion_hazard = np.zeros(n)
        self.any_hybrid = self.any_champion = False

    def by_hybrid(self, chosen: np.ndarray, hazard: np.ndarray, alignment: float) -> None:
        self.hybrid_hazard[chosen] = hazard
        self.hybrid_alignment[chosen] = alignment
        self.hybrid_touched[chosen] = True
        self.approachable[chosen] = False
        self.any_hybrid = self.any_hybrid or len(chosen) > 0

    def by_champions(self, hazard: np.ndarray) -> None:
        self.champion_hazard = hazard
        self.any_champion = bool(hazard.any())

    @property
    def touched(self) -> np.ndarray:
        return self.hybrid_touched | (self.champion_hazard > 0)


def choose_among_neighbours(adjacency: sp.csr_matrix, rows: np.ndarray, eligible: np.ndarray,
                            capacity: int, rng: np.random.Generator) -> np.ndarray:
    """For each row, up to `capacity` eligible neighbours chosen at random (vectorised).

    Returns the chosen neighbour indices, one entry per (row, neighbour) pair, so a
    clinician approached by two rows appears twice.
    """
    starts, ends = adjacency.indptr[rows], adjacency.indptr[rows + 1]
    lengths = ends - starts
    if capacity == 0 or lengths.sum() == 0:
        return np.empty(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    targets = adjacency.indices[np.repeat(starts, lengths) + offsets]
    keep = eligible[targets]
    targets, owner = targets[keep], owner[keep]
    keys = rng.random(len(targets))
    order = np.lexsort((keys, owner))
    targets, owner = targets[order], owner[order]
    first = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
    rank = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
    return targets[rank < capacity]


def champion_approaches(model) -> None:
    """Champions who are enrolled or active approach non-enrolled neighbours."""
    champions = model.spec.on("champions")
    population = model.population
    if champions is None:
        return
    state = population.state
    rows = np.flatnonzero(population.champion & ((state == ENROLLED) | (state == ACTIVE)))
    chosen = choose_among_neighbours(population.adjacency, rows, state <= AWARE,
                                     champions.capacity, model.rng)
    times = np.bincount(chosen, minlength=len(population))
    model.approaches.by_champions(1.0 - (1.0 - champions.persuasion) ** times)


# --- one week: shared inputs, the decisions (by either engine), the commit -----------


@dataclass
class Week:
    """What every clinician's decision this week reads, computed once before anyone decides."""

    number: int
    previous: np.ndarray          # last week's states (decisions read these: synchronous)
    draws: np.ndarray             # the one uniform draw per clinician
    campaign_exposure: bool       # a broadcast, event or mandate reached everyone this week
    idea_openness: np.ndarray     # σ + (1 − σ)(1 − department's mean hybrid alignment)
    new_state: np.ndarray = field(init=False)
    channel: np.ndarray = field(init=False)
    ownership: np.ndarray = field(init=False)
    fidelity: np.ndarray = field(init=False)
    ideas: np.ndarray = field(init=False)
    fatigue: np.ndarray = field(init=False)
    needed: np.ndarray = field(init=False)  # this week's enrolments that needed each channel

    def __post_init__(self):
        n = len(self.previous)
        self.needed = np.zeros(len(CHANNELS), dtype=np.int64)
        self.new_state = self.previous.copy()
        self.channel = np.full(n, -1, dtype=np.int8)
        self.ownership = np.zeros(n)
        self.fidelity = np.zeros(n)
        self.ideas = np.zeros(n)
        self.fatigue = np.zeros(n)  # the vectorised engine replaces it with its own array


def start_week(model, week: int) -> Week:
    """Snapshot last week's states and draw this week's uniforms."""
    terms = model.terms
    alignment = model.department_alignment()
    return Week(number=week, previous=model.population.state.copy(),
                draws=model.weekly_draws.random(len(model.population)),
                campaign_exposure=model.push.tempo > 0,
                idea_openness=terms.sigma + (1.0 - terms.sigma) * (1.0 - alignment))


def decide_all(model, week: Week) -> None:
    """The vectorised engine: every clinician's decision at once, as arrays.

    Order: peer influence from last week's states (one sparse product) → the channel
    hazards → with the one draw u: enrol if u < P(enrol) = 1 − Π(1 − h_c), the channel
    picked by u / P; otherwise a mandate's backlash may disengage; any exposure makes the
    unaware aware. The enrolled and active erode or activate by the same u.
    """
    terms, pop, push, approaches = model.terms, model.population, model.push, model.approaches
    state, u = week.previous, week.draws
    receptive = 1.0 - pop.fatigue
    hazards = [None] * len(CHANNELS)  # None: the channel reaches nobody this week
    if push.broadcast:
        hazards[CHANNEL["broadcast"]] = push.broadcast * pop.resonance * receptive
    if push.event:
        hazards[CHANNEL["event"]] = push.event * pop.resonance * receptive
    if push.mandate:
        hazards[CHANNEL["mandate"]] = push.mandate * receptive
    if approaches.any_hybrid:
        hazards[CHANNEL["hybrid"]] = approaches.hybrid_hazard
    if approaches.any_champion:
        hazards[CHANNEL["champion"]] = approaches.champion_hazard
    exposed_by_peers = enrolled_weight = False
    peer = model.spec.on("peer")
    if peer is not None:
        enrolled = (state == ENROLLED) | (state == ACTIVE)
        enrolled_weight_of = model.peer_weight * enrolled
        if peer.cynicism == 0:  # one sparse product: count and enrolled weight coincide
            count = enrolled_weight = pop.adjacency @ enrolled_weight_of
        else:
            sums = pop.adjacency @ np.column_stack([
                model.peer_weight * (enrolled - peer.cynicism * (state == DISENGAGED)),
                enrolled_weight_of])
            count, enrolled_weight = sums[:, 0], sums[:, 1]
        if model.weighted_degrees_positive:
            share = count / model.weighted_degree
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(model.has_neighbours, count / model.weighted_degree, 0.0)
        hazards[CHANNEL["peer"]] = peer_hazard(peer.rule, share, count, pop.threshold, peer.q,
                                               model.has_neighbours)
        exposed_by_peers = enrolled_weight > 0

    # a channel that reaches nobody would multiply 1 − P by exactly 1: skip it
    probability = enrol_probability([h for h in hazards if h is not None])
    if np.ndim(probability) == 0:  # no channel reaches anyone this week
        probability = np.zeros(len(pop))
    open_to_enrol = state <= AWARE
    enrols = open_to_enrol & (u < probability)
    index = np.flatnonzero(enrols)
    if len(index):
        _record_enrolments(model, week, hazards, index, u[index] / probability[index],
                           enrolled_weight_of if peer is not None else None, enrolled_weight)

    new = week.new_state
    new[enrols] = ENROLLED
    stays_open = open_to_enrol & ~enrols  # here u >= P
    if push.mandate:
        backlash = push.mandate * terms.backlash * (1.0 - pop.trust)
        backlashes = stays_open & (u - probability < (1.0 - probability) * backlash)
        new[backlashes] = DISENGAGED
        stays_open &= ~backlashes
    unaware = stays_open & (state == UNAWARE)
    if not week.campaign_exposure:
        unaware &= approaches.touched | exposed_by_peers
    new[unaware] = AWARE

    is_enrolled, is_active = state == ENROLLED, state == ACTIVE
    erode = 0.0
    if terms.erosion_rate > 0:
        erode = erosion_hazard(terms, pop.erosion_base, pop.fatigue, is_active)
        erodes = (is_enrolled | is_active) & (u < erode)
        new[erodes] = DISENGAGED
        is_enrolled &= ~erodes
    if terms.activation_on:
        new[is_enrolled & (u < erode + (1.0 - erode) * pop.activation)] = ACTIVE
        week.ideas = np.where(is_active, terms.ideas_rate * pop.ownership
                              * week.idea_openness[pop.department], 0.0)
    if terms.recovery > 0:
        new[(state == DISENGAGED) & (u < terms.recovery)] = AWARE
    week.fatigue = next_fatigue(terms, pop.fatigue, push.tempo)


def _record_enrolments(model, week: Week, hazards: list, index: np.ndarray, pick: np.ndarray,
                       enrolled_weight_of, enrolled_weight) -> None:
    """Channel, ownership and fidelity of this week's enrolments (rows `index`)."""
    terms, pop, approaches = model.terms, model.population, model.approaches
    hazards = [None if h is None else h[index] for h in hazards]  # of these rows only
    channel = pick_channel([0.0 if h is None else h for h in hazards], pick)
    week.needed += needed_counts(hazards, week.draws[index])
    alignment = approaches.hybrid_alignment[index]
    neighbour_fidelity = np.full(len(index), 1.0 - terms.sigma)
    if enrolled_weight_of is not None:
        # the enrolled neighbours' mean fidelity, only for those who enrol this week through
        # a colleague (row by row in CSR order, as the reference engine sums it)
        learns = np.flatnonzero((channel == CHANNEL["peer"]) | (channel == CHANNEL["champion"]))
        learns = learns[enrolled_weight[index[learns]] > 0]
        if len(learns):
            rows = index[learns]
            fidelity_sum = pop.adjacency[rows] @ (enrolled_weight_of * pop.fidelity)
            neighbour_fidelity[learns] = fidelity_sum / enrolled_weight[rows]
    week.channel[index] = channel
    week.ownership[index] = enrolment_ownership(terms, channel, alignment)
    week.fidelity[index] = enrolment_fidelity(terms, channel, alignment, neighbour_fidelity)


def commit_week(model, week: Week) -> None:
    """Apply the week's decisions: states, enrolment records, ideas, fatigue."""
    pop = model.population
    index = np.flatnonzero(week.channel >= 0)
    pop.state[:] = week.new_state
    if len(index):
        pop.enrol(index, week.number, week.channel[index], week.ownership[index],
                  week.fidelity[index])
    pop.needed += week.needed
    model.ideas += float(np.sum(week.ideas))
    if week.fatigue is not pop.fatigue:
        pop.fatigue[:] = week.fatigue
