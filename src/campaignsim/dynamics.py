"""Campaign dynamics: the weekly push, the approaches, and one week of clinician decisions.

A week of the vectorised (default) engine: `start_week` snapshots last week's states and
draws one uniform number per clinician; `decide_all` decides for everyone at once (one
sparse product for peer influence, the rules of rules.py elementwise, no Python loop over
clinicians); `commit_week` applies the decisions. The reference engine (reference.py)
shares only the approaches, the draws' generator and the state arrays. The equations
are in docs/model.md.

The same functions step a batch of design points that share a world and the weekly
draws (batch.py): the per-clinician arrays are then (points, clinicians), each point's
row contiguous, the constants that differ between points are (points, 1) columns
(`Terms.stack`, `Push.stack`), and everything broadcasts; one sparse product and one
draw serve all points. A single run is the batch of one point, with (clinicians,)
arrays.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field

import numpy as np
import scipy.sparse as sp

from .agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from .rules import (CHANNEL, Terms, awareness_probability, becomes_aware, commitment,
                    enrol_probability, enrolment_fidelity, enrolment_ownership, erosion_hazard,
                    needed_counts, next_fatigue, peer_hazard, pick_channel)
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

    @classmethod
    def stack(cls, pushes: list[Push]) -> Push:
        """The pushes of a batch of points, one (points, 1) column per kind."""
        return cls(*(np.array(values)[:, None] for values in zip(*(astuple(p) for p in pushes))))


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


#: The arrays of a Population that a batch keeps per point (its columns).
PER_POINT = ("champion", "trust", "threshold", "state", "ownership", "fidelity", "channel",
             "enrolled_week", "fatigue", "resonance", "erosion_base", "activation")


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

    @classmethod
    def stacked(cls, columns: list[Population]) -> Population:
        """The population of a batch of points on one world: each per-point array becomes
        a (points, clinicians) array, and every point's population is rebound to its row
        of it, so the points' own code (hybrids, champions, enrolment records) writes
        straight into the batch."""
        first = columns[0]
        batch = cls(nodes=first.nodes, department=first.department,
                    department_names=first.department_names, profession=first.profession,
                    profession_names=first.profession_names, champion=first.champion,
                    trust=first.trust, threshold=first.threshold, adjacency=first.adjacency,
                    terms=Terms.stack([column.terms for column in columns]))
        for name in PER_POINT:
            stack = np.stack([getattr(column, name) for column in columns])
            setattr(batch, name, stack)
            for point, column in enumerate(columns):
                setattr(column, name, stack[point])
        return batch

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

    def __init__(self, shape: int | tuple, state: np.ndarray | None = None):
        # who may still be approached by a hybrid this week: neither enrolled nor
        # disengaged, and not yet approached by another hybrid
        self.approachable = state <= AWARE if state is not None else np.zeros(shape, dtype=bool)
        self.hybrid_hazard = np.zeros(shape)
        self.hybrid_alignment = np.zeros(shape)
        self.hybrid_touched = np.zeros(shape, dtype=bool)
        self.champion_hazard = np.zeros(shape)
        self.any_hybrid = self.any_champion = False

    def columns(self) -> list[Approaches]:
        """One Approaches per point of a batch, each writing into its row of these."""
        points = []
        for point in range(len(self.approachable)):
            column = Approaches(0)
            for name in ("approachable", "hybrid_hazard", "hybrid_alignment",
                         "hybrid_touched", "champion_hazard"):
                setattr(column, name, getattr(self, name)[point])
            points.append(column)
        return points

    def by_hybrid(self, chosen: np.ndarray, hazard: np.ndarray, alignment: float) -> None:
        self.hybrid_hazard[chosen] = hazard
        self.hybrid_alignment[chosen] = alignment
        self.hybrid_touched[chosen] = True
        self.approachable[chosen] = False
        self.any_hybrid = self.any_hybrid or len(chosen) > 0

    def by_champions(self, hazard: np.ndarray) -> None:
        self.champion_hazard[:] = hazard
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
    draws: np.ndarray             # the one uniform draw per clinician (shared by a batch)
    campaign_exposure: bool       # a broadcast, event or mandate reached everyone this week
    idea_openness: np.ndarray     # σ + (1 − σ)(1 − department's mean hybrid alignment)
    new_state: np.ndarray = field(init=False)
    # this week's enrolments, one entry each: where (in a batch points, and rows), channel,
    # ownership and fidelity (entries only: most clinicians do not enrol in a given week)
    enrolled_at: tuple = field(init=False)
    channel: np.ndarray = field(init=False)
    ownership: np.ndarray = field(init=False)
    fidelity: np.ndarray = field(init=False)
    ideas: np.ndarray | None = None          # ideas per clinician (with activation)
    fatigue: np.ndarray | None = None        # next week's fatigue
    needed: np.ndarray = field(init=False)  # this week's enrolments that needed each channel

    def __post_init__(self):
        shape = self.previous.shape  # (clinicians,) or, for a batch, (points, clinicians)
        self.needed = np.zeros(shape[:-1] + (len(CHANNELS),), dtype=np.int64)
        self.new_state = self.previous.copy()
        self.enrolled_at = tuple(np.empty(0, dtype=np.int64) for _ in shape)
        self.channel = np.empty(0, dtype=np.int8)
        self.ownership = self.fidelity = np.empty(0)


def start_week(model, week: int) -> Week:
    """Snapshot last week's states and draw this week's uniforms."""
    terms, state = model.terms, model.population.state
    alignment = model.department_alignment()
    return Week(number=week, previous=state.copy(),
                draws=model.weekly_draws.random(state.shape[-1]),  # a batch's points share it
                campaign_exposure=model.push.tempo > 0,
                idea_openness=terms.sigma + (1.0 - terms.sigma) * (1.0 - alignment))


def decide_all(model, week: Week) -> None:
    """The vectorised engine: every clinician's decision at once, as arrays.

    Order: peer influence from last week's states (one sparse product) → the channel
    hazards → with the one draw u: enrol if u < P(enrol) = 1 − Π(1 − h_c), the channel
    picked by u / P; otherwise a mandate's backlash may disengage; otherwise the unaware
    become aware: with `[awareness]`, with probability A from the rest of u (the channels
    that reach them, rules.awareness_probability), and only the aware may enrol unless
    `unaware_enrol`; without it, any exposure makes them aware. The enrolled and active
    erode or activate by the same u.

    For a batch, a channel or rule that some points skip is computed for all of them with
    zeros where skipped, which changes no decision and no number: a zero hazard multiplies
    1 − P by exactly 1, and a zero erosion or recovery never beats a draw.
    """
    terms, pop, push, approaches = model.terms, model.population, model.push, model.approaches
    state, u = week.previous, week.draws
    receptive = 1.0 - pop.fatigue
    hazards = [None] * len(CHANNELS)  # None: the channel reaches nobody this week
    if _any(push.broadcast):
        hazards[CHANNEL["broadcast"]] = push.broadcast * pop.resonance * receptive
    if _any(push.event):
        hazards[CHANNEL["event"]] = push.event * pop.resonance * receptive
    if _any(push.mandate):
        hazards[CHANNEL["mandate"]] = push.mandate * receptive
    if approaches.any_hybrid:
        hazards[CHANNEL["hybrid"]] = approaches.hybrid_hazard
    if approaches.any_champion:
        hazards[CHANNEL["champion"]] = approaches.champion_hazard
    exposed_by_peers = enrolled_weight_of = enrolled_weight = False
    is_enrolled, is_active = state == ENROLLED, state == ACTIVE
    if terms.peer_on:
        enrolled_weight_of = model.peer_weight * (is_enrolled | is_active)
        if not _any(terms.peer_cynicism):  # one product: count and enrolled weight coincide
            count = enrolled_weight = _neighbour_sums(pop.adjacency, enrolled_weight_of)
        else:
            count, enrolled_weight = _neighbour_sums(pop.adjacency, np.stack([
                model.peer_weight * ((is_enrolled | is_active)
                                     - terms.peer_cynicism * (state == DISENGAGED)),
                enrolled_weight_of]))
        if model.weighted_degrees_positive:
            share = count / model.weighted_degree
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(model.has_neighbours, count / model.weighted_degree, 0.0)
        hazards[CHANNEL["peer"]] = peer_hazard(terms.peer_rule, share, count, pop.threshold,
                                               terms.peer_q, model.has_neighbours)
        exposed_by_peers = enrolled_weight > 0

    # a channel that reaches nobody would multiply 1 − P by exactly 1: skip it
    probability = enrol_probability([h for h in hazards if h is not None])
    if np.ndim(probability) == 0:  # no channel reaches anyone this week
        probability = np.zeros(state.shape)
    open_to_enrol = state <= AWARE
    if not terms.unaware_enrol:  # awareness first: the unaware cannot enrol this week
        open_to_enrol = state == AWARE
        probability = np.where(open_to_enrol, probability, 0.0)
    enrols = open_to_enrol & (u < probability)
    at = np.nonzero(enrols)  # this week's enrolments: (rows,) or, in a batch, (points, rows)
    if len(at[0]):
        _record_enrolments(model, week, hazards, at, _entries(u, at, state.shape) / probability[at],
                           enrolled_weight_of, enrolled_weight)

    new = week.new_state
    new[enrols] = ENROLLED
    stays_open = (state <= AWARE) & ~enrols  # here u >= P
    backlash = 0.0
    if _any(push.mandate):
        backlash = push.mandate * terms.backlash * (1.0 - pop.trust)
        backlashes = stays_open & (u - probability < (1.0 - probability) * backlash)
        new[backlashes] = DISENGAGED
        stays_open &= ~backlashes
    unaware = stays_open & (state == UNAWARE)
    if terms.awareness_on:
        unaware &= becomes_aware(u, probability, backlash, awareness_probability(
            terms, push.broadcast > 0, push.event > 0, push.mandate > 0, approaches.touched,
            enrolled_weight))
    elif not _all(week.campaign_exposure):
        unaware &= week.campaign_exposure | approaches.touched | exposed_by_peers
    new[unaware] = AWARE

    erode = 0.0
    if _any(terms.erosion_rate > 0):
        erode = erosion_hazard(terms, pop.erosion_base, pop.fatigue, is_active)
        erodes = (is_enrolled | is_active) & (u < erode)
        new[erodes] = DISENGAGED
        is_enrolled &= ~erodes
    if terms.activation_on:
        new[is_enrolled & (u < erode + (1.0 - erode) * pop.activation)] = ACTIVE
        week.ideas = np.where(is_active, terms.ideas_rate * pop.ownership
                              * week.idea_openness[..., pop.department], 0.0)
    if _any(terms.recovery > 0):
        new[(state == DISENGAGED) & (u < terms.recovery)] = AWARE
    week.fatigue = next_fatigue(terms, pop.fatigue, push.tempo)


def _any(values) -> bool:
    """A number of a single run, or any point's number of a batch, is nonzero (or True)."""
    return bool(values.any() if isinstance(values, np.ndarray) else values)


def _all(values) -> bool:
    return bool(values.all() if isinstance(values, np.ndarray) else values)


def _entries(values: np.ndarray, at: tuple, shape: tuple) -> np.ndarray:
    """values[at], for values that broadcast to `shape` (a batch's shared draws)."""
    return values[at] if values.shape == shape else np.broadcast_to(values, shape)[at]


def _neighbour_sums(adjacency: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Σ over each clinician's ties of `values` (clinicians on the last axis; leading axes
    for points and quantities): one sparse product whatever the shape, each row of
    values summed over the ties in the same (CSR) order as a single vector."""
    if values.ndim == 1:
        return adjacency @ values
    rows = values.reshape(-1, values.shape[-1])
    return (adjacency @ rows.T).T.reshape(values.shape)


def _record_enrolments(model, week: Week, hazards: list, at: tuple, pick: np.ndarray,
                       enrolled_weight_of, enrolled_weight) -> None:
    """Channel, ownership and fidelity of this week's enrolments (entries `at`: their rows,
    and in a batch their points)."""
    pop, approaches, shape = model.population, model.approaches, week.previous.shape
    rows, points = at[-1], (at[0] if len(at) > 1 else None)
    terms = model.terms.at(points)  # the terms of each enrolment's point
    hazards = [None if h is None else _entries(h, at, shape) for h in hazards]
    channel = pick_channel([0.0 if h is None else h for h in hazards], pick)
    _count_needed(week, hazards, _entries(week.draws, at, shape), points)
    alignment = approaches.hybrid_alignment[at]
    neighbour_fidelity = np.full(len(rows), 1.0 - terms.sigma)
    if terms.peer_on:
        # the enrolled neighbours' mean fidelity, only for those who enrol this week through
        # a colleague (row by row in CSR order, as the reference engine sums it)
        learns = np.flatnonzero((channel == CHANNEL["peer"]) | (channel == CHANNEL["champion"]))
        learns = learns[enrolled_weight[tuple(a[learns] for a in at)] > 0]
        if len(learns):
            learners = tuple(a[learns] for a in at)
            weighted_fidelity = enrolled_weight_of * pop.fidelity
            if points is None:
                fidelity_sum = pop.adjacency[rows[learns]] @ weighted_fidelity
            else:  # each point's learners from that point's row, as its own run sums them
                fidelity_sum = np.empty(len(learns))
                for point in np.unique(points[learns]):
                    of_point = points[learns] == point
                    fidelity_sum[of_point] = (pop.adjacency[rows[learns][of_point]]
                                              @ weighted_fidelity[point])
            neighbour_fidelity[learns] = fidelity_sum / enrolled_weight[learners]
    week.enrolled_at, week.channel = at, channel
    week.ownership = enrolment_ownership(terms, channel, alignment)
    week.fidelity = enrolment_fidelity(terms, channel, alignment, neighbour_fidelity)


def _count_needed(week: Week, hazards: list, draws: np.ndarray, points: np.ndarray | None):
    """Add the week's enrolments that needed each channel (per point in a batch)."""
    if points is None:
        week.needed += needed_counts(hazards, draws)
        return
    for point in np.unique(points):
        of_point = points == point
        week.needed[point] += needed_counts([None if h is None else h[of_point]
                                             for h in hazards], draws[of_point])


def commit_week(model, week: Week, point: int | None = None) -> None:
    """Apply the week's decisions: states, enrolment records, ideas, fatigue (of column
    `point` of a batch's week to that point's model)."""
    pop = model.population
    column = (lambda values: values) if point is None else (lambda values: values[point])
    rows = week.enrolled_at[-1]
    of_point = slice(None) if point is None else week.enrolled_at[0] == point
    pop.state[:] = column(week.new_state)
    if len(rows):
        pop.enrol(rows[of_point], week.number, week.channel[of_point],
                  week.ownership[of_point], week.fidelity[of_point])
    pop.needed += week.needed if point is None else week.needed[point]
    if week.ideas is not None:
        model.ideas += float(np.sum(column(week.ideas)))
    if week.fatigue is not pop.fatigue:
        pop.fatigue[:] = column(week.fatigue)
