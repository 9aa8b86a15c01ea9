"""Campaign dynamics: one week of clinician decisions (the vectorised engine) and its commit.

A week of the vectorised (default) engine: `start_week` snapshots last week's states and
draws one uniform number per clinician; `decide_all` decides for everyone at once (one
sparse product for peer influence, the rules of rules.py elementwise, no Python loop over
clinicians); `commit_week` applies the decisions. What they read was set before: the
managers' push and the hybrids' and champions' approaches (approaches.py), the
clinicians' state (population.py). The reference engine (reference.py) shares only the
approaches, the draws' generator and the state arrays. The equations are in
docs/model.md.

The same functions step a batch of design points that share a world and the weekly
draws (batch.py): the per-clinician arrays are then (points, clinicians), each point's
row contiguous, the constants that differ between points are (points, 1) columns
(`Terms.stack`, `Push.stack`), and everything broadcasts; one sparse product and one
draw serve all points. A single run is the batch of one point, with (clinicians,)
arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from .rules import (CHANNEL, awareness_probability, becomes_aware, enrol_probability,
                    enrolment_fidelity, enrolment_ownership, erosion_hazard, needed_counts,
                    next_fatigue, peer_hazard, pick_channel)
from .scenario import CHANNELS


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
    compiled: bool = False  # decided by compiled_week.py: its enrolments recorded compiled too

    def __post_init__(self):
        shape = self.previous.shape  # (clinicians,) or, for a batch, (points, clinicians)
        self.needed = np.zeros(shape[:-1] + (len(CHANNELS),), dtype=np.int64)
        self.new_state = self.previous.copy()
        self.enrolled_at = tuple(np.empty(0, dtype=np.int64) for _ in shape)
        self.channel = np.empty(0, dtype=np.int8)
        self.ownership = self.fidelity = np.empty(0)


def start_week(model, week: int) -> Week:
    """Snapshot last week's states and draw this week's uniforms."""
    state = model.population.state
    return Week(number=week, previous=state.copy(),
                draws=model.weekly_draws.random(state.shape[-1]),  # a batch's points share it
                campaign_exposure=model.push.tempo > 0, idea_openness=_idea_openness(model))


def _idea_openness(model) -> np.ndarray:
    """σ + (1 − σ)(1 − department's mean hybrid alignment), the same array for as long
    as the alignments are (they change only when hybrids leave), so that what is made of
    it (`_of_each_clinician`) is kept by identity."""
    alignment = model.department_alignment()
    kept = getattr(model, "_idea_openness", None)
    if kept is None or kept[0] is not alignment:
        sigma = model.terms.sigma
        kept = model._idea_openness = (alignment, sigma + (1.0 - sigma) * (1.0 - alignment))
    return kept[1]


#: The enrolment part of a week (`_decide_open`) works on the gathered entries of the
#: clinicians open to enrolment when they are at most this share of all: late in a campaign
#: few are, and gathering their entries costs less than passes over every clinician.
GATHER_BELOW_SHARE = 0.25


def decide_all(model, week: Week) -> None:
    """The vectorised engine: every clinician's decision at once, as arrays.

    Order: peer influence from last week's states (one sparse product) → the channel
    hazards → with the one draw u: enrol if u < P(enrol) = 1 − Π(1 − h_c), the channel
    picked by u / P; otherwise a mandate's backlash may disengage; otherwise the unaware
    become aware: with `[awareness]`, with probability A from the rest of u (the channels
    that reach them, rules.awareness_probability), and only the aware may enrol unless
    `unaware_enrol`; without it, any exposure makes them aware. The enrolled and active
    erode or activate by the same u.

    A week does work only where a state can change, in three parts by last week's state:
    1. the open (unaware or aware): enrolment, backlash, awareness (`_decide_open`).
       Skipped when nobody is open (in most weeks of a campaign that reaches everyone);
       when few are open, computed on their gathered entries only — their rows of the
       sparse product, their hazards — which are the same numbers, since every entry's
       formula and every row's sum over its ties (in CSR order) are unchanged. A new
       decision of the open goes there and reads its per-clinician inputs through `take`.
    2. the committed (enrolled or active): erosion, activation and ideas, on whole arrays.
    3. the disengaged: recovery; and everyone's fatigue.
    The parts write disjoint entries of `week.new_state` (their states differ); the open
    part runs first, as on gathered entries it writes them back whole (in a batch, also
    the unchanged entries of points where that clinician is not open).

    For a batch, a channel or rule that some points skip is computed for all of them with
    zeros where skipped, which changes no decision and no number: a zero hazard multiplies
    1 − P by exactly 1, and a zero erosion or recovery never beats a draw. The open
    entries of a batch are the clinicians open in any of its points.
    """
    compiled = _compiled_week(model)
    if compiled is not None:
        compiled.decide_all(model, week)
        return
    terms, pop, u = model.terms, model.population, week.draws
    state, new = week.previous, week.new_state
    is_enrolled, is_active = state == ENROLLED, state == ACTIVE
    committed = is_enrolled | is_active
    columns = _open_columns(state <= AWARE)
    if columns is not None:
        _decide_open(model, week, columns, committed)

    erosion_on = _any(terms.erosion_rate > 0)
    erode = erosion_hazard(terms, pop.erosion_base, pop.fatigue, is_active) if erosion_on else 0.0
    if terms.activation_on:  # the enrolled who erode are among these: overwritten below
        new[is_enrolled & (u < erode + (1.0 - erode) * pop.activation)] = ACTIVE
    if erosion_on:
        new[committed & (u < erode)] = DISENGAGED
    if terms.activation_on:
        week.ideas = np.where(is_active, terms.ideas_rate * pop.ownership
                              * _of_each_clinician(model, week.idea_openness), 0.0)
    if _any(terms.recovery > 0):
        new[(state == DISENGAGED) & (u < terms.recovery)] = AWARE
    week.fatigue = next_fatigue(terms, pop.fatigue, model.push.tempo)


def _compiled_week(model):
    """The compiled week (compiled_week.py) when the model runs the kernels and its rules
    fit it, else None: decided at the model's first week and kept."""
    try:
        return model._compiled_week
    except AttributeError:
        pass
    module = None
    if model.compiled:
        from . import compiled_week
        module = compiled_week if compiled_week.fits(model) else None
    model._compiled_week = module
    return module


def _of_each_clinician(model, per_department: np.ndarray) -> np.ndarray:
    """per_department[..., department] for every clinician, kept while the departments'
    values stay the same (those of ideas change only when hybrids leave)."""
    kept = getattr(model, "_of_each_clinician", None)
    if kept is None or (kept[0] is not per_department
                        and not np.array_equal(kept[0], per_department)):
        # C order (a batch's fancy index gives Fortran order), as the compiled week reads it
        kept = model._of_each_clinician = (per_department, np.ascontiguousarray(
            per_department[..., model.population.department]))
    return kept[1]


def _open_columns(open_to_enrol: np.ndarray):
    """The clinicians whose entries the open part works on: None if nobody is open,
    slice(None) for everyone, else the indices of those open (in a batch: in any point)."""
    anywhere = open_to_enrol if open_to_enrol.ndim == 1 else open_to_enrol.any(axis=0)
    count = int(np.count_nonzero(anywhere))
    if count == 0:
        return None
    if count > GATHER_BELOW_SHARE * len(anywhere):
        return slice(None)
    return np.flatnonzero(anywhere)


def _decide_open(model, week: Week, columns, committed: np.ndarray) -> None:
    """Part 1 of `decide_all`: the decisions of the clinicians open to enrolment, on the
    entries `columns` (slice(None): every clinician's, as views)."""
    terms, pop, push, approaches = model.terms, model.population, model.push, model.approaches

    def take(values: np.ndarray) -> np.ndarray:
        """The entries `columns` of a per-clinician array (clinicians on the last axis)."""
        return values[..., columns]

    state, u = take(week.previous), take(week.draws)
    receptive = 1.0 - take(pop.fatigue)
    hazards = [None] * len(CHANNELS)  # None: the channel reaches nobody this week
    if _any(push.broadcast) or _any(push.event):
        resonance = take(pop.resonance)
        if _any(push.broadcast):
            hazards[CHANNEL["broadcast"]] = push.broadcast * resonance * receptive
        if _any(push.event):
            hazards[CHANNEL["event"]] = push.event * resonance * receptive
    if _any(push.mandate):
        hazards[CHANNEL["mandate"]] = push.mandate * receptive
    if approaches.any_hybrid:
        hazards[CHANNEL["hybrid"]] = take(approaches.hybrid_hazard)
    champion_hazard = take(approaches.champion_hazard)
    if approaches.any_champion:
        hazards[CHANNEL["champion"]] = champion_hazard
    exposed_by_peers = enrolled_weight_of = enrolled_weight = False
    if terms.peer_on:
        # the neighbours' values are everyone's; the sums only the open rows'
        enrolled_weight_of = model.peer_weight * committed
        if not _any(terms.peer_cynicism):  # one product: count and enrolled weight coincide
            count = enrolled_weight = _neighbour_sums(pop.adjacency, enrolled_weight_of, columns)
        else:
            count, enrolled_weight = _neighbour_sums(pop.adjacency, np.stack([
                model.peer_weight * (committed
                                     - terms.peer_cynicism * (week.previous == DISENGAGED)),
                enrolled_weight_of]), columns)
        has_neighbours = take(model.has_neighbours)
        if model.weighted_degrees_positive:
            share = count / take(model.weighted_degree)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(has_neighbours, count / take(model.weighted_degree), 0.0)
        hazards[CHANNEL["peer"]] = peer_hazard(terms.peer_rule, share, count,
                                               take(pop.threshold), terms.peer_q,
                                               has_neighbours)
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
    local = np.nonzero(enrols)  # entries of the gathered arrays: (rows,) or (points, rows)
    if len(local[0]):
        at = local if isinstance(columns, slice) else local[:-1] + (columns[local[-1]],)
        _record_enrolments(model, week, hazards, (local, state.shape), at,
                           _entries(u, local, state.shape) / probability[local],
                           enrolled_weight_of, enrolled_weight)

    new = take(week.new_state)  # a view when columns is everyone, else written back below
    new[enrols] = ENROLLED
    stays_open = (state <= AWARE) & ~enrols  # here u >= P
    backlash = 0.0
    if _any(push.mandate):
        backlash = push.mandate * terms.backlash * (1.0 - take(pop.trust))
        backlashes = stays_open & (u - probability < (1.0 - probability) * backlash)
        new[backlashes] = DISENGAGED
        stays_open &= ~backlashes
    unaware = stays_open & (state == UNAWARE)
    approached = take(approaches.hybrid_touched) | (champion_hazard > 0)
    if terms.awareness_on:
        _becoming_aware(terms, push, unaware, u, probability, backlash, approached,
                        enrolled_weight)
    elif not _all(week.campaign_exposure):
        unaware &= week.campaign_exposure | approached | exposed_by_peers
    new[unaware] = AWARE
    if not isinstance(columns, slice):
        week.new_state[..., columns] = new


def _becoming_aware(terms, push, unaware: np.ndarray, u, probability, backlash, approached,
                    enrolled_weight) -> None:
    """Keep in `unaware` (the unaware who neither enrol nor backlash) those who become
    aware by the `[awareness]` rule, computed on their entries only: a few weeks into a
    campaign they are a handful of the open (its power, 1 − (1 − a_n)^K, was the open
    part's dearest pass), and every formula is elementwise, so the numbers are the same."""
    at = np.nonzero(unaware)
    if not len(at[0]):
        return

    def of(values):
        """The entries `at` of a per-entry array or a batch's (points, 1) column; a
        number (or a switch of a single run) as it is."""
        return _entries(values, at, unaware.shape) if isinstance(values, np.ndarray) else values

    unaware[at] = _aware_of(terms, push, at[0] if len(at) > 1 else None, of(u),
                            of(probability), of(backlash), of(approached), of(enrolled_weight))


def _aware_of(terms, push, points, draw, probability, backlash, approached, enrolled_weight):
    """Which of these unaware entries (of the batch's `points`, None in a single run), who
    neither enrol nor backlash, become aware by the `[awareness]` rule (their draws,
    P(enrol), backlash, approached, enrolled neighbours' weight as arrays or numbers)."""
    def reaches(kind):
        """The push of this kind runs in the entry's point (a switch in a single run)."""
        running = kind > 0
        return running if points is None else np.ravel(running)[points]

    return becomes_aware(draw, probability, backlash, awareness_probability(
        terms.at(points), reaches(push.broadcast), reaches(push.event), reaches(push.mandate),
        approached, enrolled_weight))


def _any(values) -> bool:
    """A number of a single run, or any point's number of a batch, is nonzero (or True)."""
    return bool(values.any() if isinstance(values, np.ndarray) else values)


def _all(values) -> bool:
    return bool(values.all() if isinstance(values, np.ndarray) else values)


def _entries(values: np.ndarray, at: tuple, shape: tuple) -> np.ndarray:
    """values[at], for values that broadcast to `shape` (a batch's shared draws)."""
    return values[at] if values.shape == shape else np.broadcast_to(values, shape)[at]


#: Up to this many ties, the sums of some rows are taken from the whole sparse product:
#: slicing rows out of a scipy matrix costs ~40 µs of fixed overhead, more than the whole
#: product of a small hospital (~15 µs at 1,000 clinicians and 20,000 ties).
WHOLE_PRODUCT_UP_TO_TIES = 50_000


def _neighbour_sums(adjacency: sp.csr_matrix, values: np.ndarray, rows=slice(None)) -> np.ndarray:
    """Σ over the ties of each clinician of `rows` (all, or an index array) of `values`
    (clinicians on the last axis; leading axes for points and quantities): one sparse
    product whatever the shape, each row summed over its ties in the same (CSR) order, so
    a row's sum is the same number whichever rows are asked for."""
    if not isinstance(rows, slice) and adjacency.nnz > WHOLE_PRODUCT_UP_TO_TIES:
        return _product(adjacency[rows], values)
    sums = _product(adjacency, values)
    return sums if isinstance(rows, slice) else sums[..., rows]


def _product(adjacency: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """adjacency @ values along the clinicians' (last) axis, as one sparse product."""
    if values.ndim == 1:
        return adjacency @ values
    flat = values.reshape(-1, values.shape[-1])
    return (adjacency @ flat.T).T.reshape(values.shape[:-1] + (adjacency.shape[0],))


def _record_enrolments(model, week: Week, hazards: list, gathered: tuple, at: tuple,
                       pick: np.ndarray, enrolled_weight_of, enrolled_weight) -> None:
    """Channel, ownership and fidelity of this week's enrolments. `gathered` = (local,
    shape): their entries in the open part's arrays of that shape (the hazards and
    `enrolled_weight`); `at`: their entries in whole arrays (their rows, and in a batch
    their points)."""
    pop, approaches = model.population, model.approaches
    local, shape = gathered
    rows, points = at[-1], (at[0] if len(at) > 1 else None)
    terms = model.terms.at(points)  # the terms of each enrolment's point
    hazards = [None if h is None else _entries(h, local, shape) for h in hazards]
    channel = pick_channel([0.0 if h is None else h for h in hazards], pick)
    _count_needed(week, hazards, _entries(week.draws, at, week.previous.shape), points)
    alignment = approaches.hybrid_alignment[at]
    neighbour_fidelity = np.full(len(rows), 1.0 - terms.sigma)
    if terms.peer_on:
        # the enrolled neighbours' mean fidelity, only for those who enrol this week through
        # a colleague (row by row in CSR order, as the reference engine sums it)
        learns = np.flatnonzero((channel == CHANNEL["peer"]) | (channel == CHANNEL["champion"]))
        learns = learns[enrolled_weight[tuple(a[learns] for a in local)] > 0]
        if len(learns):
            # the learners' rows summed once for every point (a row's sum is the same number
            # alone or among others); each learner reads its own point's sum
            learner_rows, row_of = np.unique(rows[learns], return_inverse=True)
            sums = _neighbour_sums(pop.adjacency, enrolled_weight_of * pop.fidelity, learner_rows)
            fidelity_sum = (sums[row_of] if points is None
                            else sums[points[learns], row_of])
            neighbour_fidelity[learns] = (fidelity_sum
                                          / enrolled_weight[tuple(a[learns] for a in local)])
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
                  week.ownership[of_point], week.fidelity[of_point], compiled=week.compiled)
    pop.needed += week.needed if point is None else week.needed[point]
    if week.ideas is not None:
        model.ideas += float(np.add.reduce(column(week.ideas)))  # = np.sum, without its wrapper
    if week.fatigue is not pop.fatigue:
        pop.fatigue[:] = column(week.fatigue)
