"""Campaign dynamics: the weekly push, the channel hazards and the vectorised clinician step.

Everything here works on whole arrays: one sparse product for peer influence, the
channel hazards elementwise, and one uniform draw per clinician that decides its
transition (and, for an enrolment, its channel). The equations are in docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from .scenario import CHANNELS, Scenario

CHANNEL = {name: code for code, name in enumerate(CHANNELS)}


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
        self.enrolments = np.zeros(len(CHANNELS), dtype=np.int64)  # cumulative, by channel

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


class Approaches:
    """This week's personal approaches: by hybrids and by champions."""

    def __init__(self, n: int):
        self.hybrid_hazard = np.zeros(n)
        self.hybrid_alignment = np.zeros(n)
        self.hybrid_touched = np.zeros(n, dtype=bool)
        self.champion_hazard = np.zeros(n)

    def by_hybrid(self, chosen: np.ndarray, hazard: np.ndarray, alignment: float) -> None:
        self.hybrid_hazard[chosen] = hazard
        self.hybrid_alignment[chosen] = alignment
        self.hybrid_touched[chosen] = True

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
    model.approaches.champion_hazard = 1.0 - (1.0 - champions.persuasion) ** times


def peer_hazard(rule: str, share: np.ndarray, count: np.ndarray, threshold: np.ndarray,
                q: float, has_neighbours: np.ndarray) -> np.ndarray:
    """Weekly peer hazard by rule (Granovetter threshold, independent cascade, Bass).

    Examples:
        >>> import numpy as np
        >>> peer_hazard("threshold", np.array([0.5, 0.4]), np.array([1., 1.]),
        ...             np.array([0.5, 0.5]), 0.0, np.array([True, True])).tolist()
        [1.0, 0.0]
    """
    if rule == "threshold":
        return ((share >= threshold) & has_neighbours).astype(np.float64)
    if rule == "cascade":
        return 1.0 - (1.0 - q) ** np.maximum(count, 0.0)
    return q * np.maximum(share, 0.0)


def advance_week(model, week: int) -> None:
    """One synchronous week for every clinician: hazards from last week's state, one draw each.

    Order: peer influence from last week's states → the channel hazards → one uniform
    draw u per clinician. For the not-yet-enrolled, u < P(enrol) = 1 − Π(1 − h_c)
    enrols, and u / P picks the channel in proportion to h_c; otherwise a mandate's
    backlash may disengage them, and any exposure makes the unaware aware. For the
    enrolled and active, the same u decides erosion and activation.
    """
    s, pop, push, approaches = model.spec, model.population, model.push, model.approaches
    state = pop.state
    n = len(pop)
    open_to_enrol = state <= AWARE
    receptive = 1.0 - pop.fatigue
    codesign = s.on("codesign")
    sigma = codesign.share if codesign else 0.0

    hazards = np.zeros((len(CHANNELS), n))
    hazards[CHANNEL["broadcast"]] = push.broadcast * pop.resonance * receptive
    hazards[CHANNEL["event"]] = push.event * pop.resonance * receptive
    hazards[CHANNEL["mandate"]] = push.mandate * receptive
    hazards[CHANNEL["hybrid"]] = approaches.hybrid_hazard
    hazards[CHANNEL["champion"]] = approaches.champion_hazard

    peer = s.on("peer")
    neighbour_fidelity = None
    exposed_by_peers = np.zeros(n, dtype=bool)
    if peer is not None:
        enrolled = (state == ENROLLED) | (state == ACTIVE)
        influence = model.peer_weight * (enrolled - peer.cynicism * (state == DISENGAGED))
        sums = pop.adjacency @ np.column_stack([influence, model.peer_weight * enrolled * pop.fidelity,
                                                model.peer_weight * enrolled])
        count, fidelity_sum, enrolled_weight = sums[:, 0], sums[:, 1], sums[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(model.has_neighbours, count / model.weighted_degree, 0.0)
            neighbour_fidelity = np.where(enrolled_weight > 0, fidelity_sum / enrolled_weight,
                                          1.0 - sigma)
        hazards[CHANNEL["peer"]] = peer_hazard(peer.rule, share, count, pop.threshold,
                                               peer.q, model.has_neighbours)
        exposed_by_peers = enrolled_weight > 0

    enrol_probability = 1.0 - np.prod(1.0 - hazards, axis=0)
    u = model.weekly_draws.random(n)  # the one draw per clinician this week
    enrols = open_to_enrol & (u < enrol_probability)

    # --- who enrols, through which channel, with what ownership and fidelity ---------
    index = np.flatnonzero(enrols)
    if len(index):
        channel_hazards = hazards[:, index]
        cumulative = np.cumsum(channel_hazards, axis=0) / channel_hazards.sum(axis=0)
        pick = u[index] / enrol_probability[index]
        channel = np.minimum((cumulative <= pick).sum(axis=0), len(CHANNELS) - 1)
        ownership, fidelity = _ownership_and_fidelity(
            s, channel, approaches.hybrid_alignment[index], sigma,
            None if neighbour_fidelity is None else neighbour_fidelity[index])
        pop.enrol(index, week, channel.astype(np.int8), ownership, fidelity)

    # --- the not-enrolled: backlash, awareness ---------------------------------------
    stays_open = open_to_enrol & ~enrols
    mandate = s.on("mandate")
    if mandate is not None and push.mandate > 0:
        backlash = push.mandate * mandate.backlash * (1.0 - pop.trust)
        gap = u - enrol_probability
        disengages = stays_open & (gap >= 0) & (gap < (1.0 - enrol_probability) * backlash)
        state[disengages] = DISENGAGED
        stays_open &= ~disengages
    exposed = (push.tempo > 0) | approaches.touched | exposed_by_peers
    state[stays_open & exposed & (state == UNAWARE)] = AWARE

    # --- after enrolment: erosion, activation, ideas, recovery -----------------------
    _after_enrolment(model, s, pop, u, was_enrolled=(~enrols) & (state == ENROLLED),
                     was_active=state == ACTIVE, was_disengaged=(state == DISENGAGED) & ~open_to_enrol,
                     sigma=sigma)

    fatigue = s.on("fatigue")
    if fatigue is not None:
        np.clip(pop.fatigue * (1.0 - fatigue.recovery) + fatigue.load * push.tempo, 0.0, 1.0,
                out=pop.fatigue)


def _ownership_and_fidelity(s: Scenario, channel: np.ndarray, alignment: np.ndarray,
                            sigma: float, neighbour_fidelity: np.ndarray | None):
    """Ownership and fidelity of new enrolments, by channel (see docs/model.md)."""
    tables = {"broadcast": s.broadcast, "event": s.events, "mandate": s.mandate}
    ownership = np.zeros(len(channel))
    fidelity = np.full(len(channel), 1.0 - sigma)
    for name, table in tables.items():
        if table is not None:
            ownership[channel == CHANNEL[name]] = table.ownership
    hybrid = channel == CHANNEL["hybrid"]
    if s.hybrids is not None:
        ownership[hybrid] = s.hybrids.ownership_base + s.hybrids.ownership_mediation * (
            1.0 - alignment[hybrid])
        fidelity[hybrid] = (1.0 - sigma) * alignment[hybrid]
    peer_like = (channel == CHANNEL["peer"]) | (channel == CHANNEL["champion"])
    if s.peer is not None:
        ownership[channel == CHANNEL["peer"]] = s.peer.ownership
    if s.champions is not None:
        ownership[channel == CHANNEL["champion"]] = s.champions.convert_ownership
    if neighbour_fidelity is not None:
        fidelity[peer_like] = neighbour_fidelity[peer_like]
    codesign = s.on("codesign")
    if codesign is not None:
        ownership += (1.0 - ownership) * sigma * codesign.ownership_boost
    return ownership, fidelity


def _after_enrolment(model, s: Scenario, pop: Population, u: np.ndarray, was_enrolled,
                     was_active, was_disengaged, sigma: float) -> None:
    """Erosion and activation of last week's enrolled/active; recovery of the disengaged."""
    state = pop.state
    erosion, activation = s.on("erosion"), s.on("activation")
    erode = np.zeros(len(pop))
    if erosion is not None:
        erode = erosion.rate * (1.0 - pop.ownership) * (1.0 + pop.fatigue)
        erode = np.where(was_active, erode * erosion.active_factor, erode)
    if activation is not None:
        active = was_active
        model.ideas += float(np.sum(activation.ideas_rate * pop.ownership[active] * (
            sigma + (1.0 - sigma) * (1.0 - model.department_alignment()[pop.department[active]]))))
        activate = np.minimum(activation.rate * pop.ownership, 1.0)
        becomes_active = was_enrolled & (u >= erode) & (u < erode + (1.0 - erode) * activate)
    else:
        becomes_active = np.zeros(len(pop), dtype=bool)
    state[(was_enrolled | was_active) & (u < erode)] = DISENGAGED
    state[becomes_active] = ACTIVE
    if erosion is not None and erosion.recovery > 0:
        state[was_disengaged & (u < erosion.recovery)] = AWARE
