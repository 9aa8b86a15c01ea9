"""The clinicians' week (`dynamics.decide_all`) as one compiled loop over the clinicians.

The numpy path makes ~30 passes over every open clinician a week (the channel hazards,
the product 1 − Π(1 − h_c), the draw, backlash, awareness) and a dozen over the
committed; at 10,000 staff each pass is short enough that the passes, not the arithmetic,
cost. This kernel (numba, optional: imported only when `kernels.compiled()`) visits each
clinician once and does exactly the numpy path's arithmetic: only +, −, ×, ÷ and
comparisons, in the same order (no fastmath, so no fused multiply-adds), the peer sums
row by row over the ties in CSR order from 0.0 (what scipy's product does), the channel
product in channel order over the channels that reach anyone this week. So every number
is the numpy path's, bit for bit (tests/test_kernels_week.py).

It also records the week's enrolments as `dynamics._record_enrolments` does (the channel
picked by u / P, the counts of enrolments that needed each channel, ownership and fidelity
at enrolment, the enrolled neighbours' mean fidelity of those who learnt from colleagues).
What it does not do stays in numpy, on the few entries that need it:
- `[awareness]`'s power (1 − a_n)^K: the kernel lists the unaware who neither enrol nor
  backlash, numpy takes the power on their enrolled neighbours' weight as the numpy path
  does (numpy's vectorised `pow` may differ from a scalar one in the last bit), and a
  second small kernel (`_become_aware`) does the rest of the rule;
- the cascade peer rule (a power for every open clinician): its weeks run the numpy path.

A single run is a batch of one point: every per-clinician array is (points, clinicians),
every constant one entry per point. The numpy path's shortcuts (skip the open part when
nobody is open, gather the open when few are) are moot here: the loop looks at each
clinician's state and sums the ties of the open only.
"""

from __future__ import annotations

import numpy as np

from .agents import ACTIVE, AWARE, DISENGAGED, ENROLLED, UNAWARE
from .compiled_inputs import (
    ACTIVATION, ACTIVE_FACTOR, ALL_EXPOSED, ANY_CYNICISM, AWARE_APPROACH, AWARE_BROADCAST,
    AWARE_EVENT, AWARE_MANDATE, AWARENESS, BACKLASH, BROADCAST,
    BROADCAST_CHANNEL, CHAMPION_CHANNEL, CODESIGN_BOOST, CYNICISM, DEGREES_POSITIVE, EROSION,
    EVENT, EVENT_CHANNEL, EXPOSURE, FATIGUE, FATIGUE_GAIN, FATIGUE_KEEP, FIDELITY,
    HYBRID_BASE, HYBRID_CHANNEL, HYBRID_MEDIATION, IDEAS_RATE, MANDATE, MANDATE_CHANNEL,
    OPEN_APPROACHED, OPEN_BACKLASH, OPEN_ENROLLED_WEIGHT, OPEN_PROBABILITY, OWN_FIDELITY,
    OWNERSHIP, PEER_BASS, PEER_CHANNEL, PEER_Q, PEER_THRESHOLD, PICKED, RECOVERS, RECOVERY,
    SIGMA, UNAWARE_ENROL, Inputs)
from .kernels import njit
from .rules import per_neighbour_hazard


@njit
def _room(index, values, count):
    """`index` and `values` with room for one more row after `count` (doubled when full)."""
    if count < len(index):
        return index, values
    bigger_index = np.empty(2 * len(index) + 64, dtype=np.int64)
    bigger_values = np.empty((len(bigger_index), values.shape[1]))
    bigger_index[:count] = index[:count]
    bigger_values[:count] = values[:count]
    return bigger_index, bigger_values


@njit
def _neighbour_values(previous, peer_weight, point, cynicism, with_cynicism, enrolled_weight,
                      count_weight):
    """Each clinician's value to its neighbours' sums at `point`: the enrolled weight
    w·committed, and w·(committed − cynicism·disengaged) when `with_cynicism` (the numpy
    path's vectors before its sparse product)."""
    for row in range(previous.shape[1]):
        state = previous[point, row]
        committed = 1.0 if (state == ENROLLED or state == ACTIVE) else 0.0
        enrolled_weight[row] = peer_weight[point, row] * committed
        if with_cynicism:
            disengaged = 1.0 if state == DISENGAGED else 0.0
            count_weight[row] = peer_weight[point, row] * (committed - cynicism * disengaged)


@njit
def _tie_sum(indptr, indices, values, row):
    """Σ over the ties of `row` of values[neighbour], in CSR order from 0.0: scipy's sum
    (every tie weighs 1, `fits`, and 1·x = x, so the weights need not be read: a third of
    the ties' memory traffic). Unsigned indices: numba checks a signed index for wrapping
    around from the end, which made this loop 3.7× slower (0.33 against 0.09 ms at
    200,000 ties)."""
    total = 0.0
    for tie in range(np.uint64(indptr[row]), np.uint64(indptr[row + 1])):
        total += values[np.uint64(indices[tie])]
    return total


@njit
def _fidelity_sum(indptr, indices, enrolled_weight_of, fidelity, point, row):
    """Σ over the ties of `row` of the neighbours' enrolled weight × fidelity, in CSR
    order from 0.0 (the numpy path's sum for those who learn from colleagues)."""
    total = 0.0
    for tie in range(np.uint64(indptr[row]), np.uint64(indptr[row + 1])):
        neighbour = np.uint64(indices[tie])
        total += enrolled_weight_of[neighbour] * fidelity[point, neighbour]
    return total


@njit
def _pick(hazard, reached, pick):
    """rules.pick_channel for one enrolment: the channels' running totals over their
    total against u / P, in channel order (a channel that reaches nobody adds 0.0)."""
    total = 0.0
    for channel in range(len(reached)):
        total = total + (hazard[channel] if reached[channel] else 0.0)
    running = 0.0
    below = 0
    for channel in range(len(reached)):
        running = running + (hazard[channel] if reached[channel] else 0.0)
        if running / total <= pick:
            below += 1
    return min(below, len(reached) - 1)


@njit
def _count_needed(hazard, reached, u, needed):
    """rules.needed_counts for one enrolment: channel c was needed when
    u ≥ 1 − Π_{c' ≠ c}(1 − h_c')."""
    for channel in range(len(reached)):
        if reached[channel]:
            stays = 1.0
            for other in range(len(reached)):
                if other != channel and reached[other]:
                    stays = stays * (1.0 - hazard[other])
            if u >= 1.0 - stays:
                needed[channel] += 1


@njit
def _ownership_and_fidelity(picked, constant, channel_ownership, alignment,
                            neighbour_fidelity, peer_on):
    """rules.enrolment_ownership and rules.enrolment_fidelity of one enrolment through
    channel `picked` (`neighbour_fidelity`: the enrolled neighbours' mean fidelity of one
    who learnt from colleagues, else 1 − σ)."""
    if picked == HYBRID_CHANNEL:
        ownership = constant[HYBRID_BASE] + constant[HYBRID_MEDIATION] * (1.0 - alignment)
    else:
        ownership = channel_ownership[picked]
    ownership = ownership + (1.0 - ownership) * constant[SIGMA] * constant[CODESIGN_BOOST]
    if peer_on and (picked == PEER_CHANNEL or picked == CHAMPION_CHANNEL):
        return ownership, neighbour_fidelity
    if picked == HYBRID_CHANNEL:
        return ownership, constant[OWN_FIDELITY] * alignment
    return ownership, constant[OWN_FIDELITY]


@njit
def decide(previous, new_state, draws, reached, switches, constants, channel_ownership,
           clinician, has_neighbours, indptr, indices, ideas, next_fatigue):
    """Every clinician's decision of the week, written to `new_state` (and `ideas`, zeros
    on entry, and `next_fatigue` when those mechanisms are on). `clinician` holds the (points,
    clinicians) float inputs: fatigue, resonance, trust, threshold, hybrid hazard, hybrid
    touched, champion hazard, peer weight, weighted degree, erosion base, activation,
    ownership, fidelity, idea openness, hybrid alignment. Returns the enrolments (flat
    index point·N + row, and their channel, ownership and fidelity), the enrolments that
    needed each channel (points, channels), and the unaware left to `[awareness]` (flat
    index, and P, backlash, approached, enrolled weight), in row-major order."""
    (fatigue, resonance, trust, threshold, hybrid_hazard, hybrid_touched, champion_hazard,
     peer_weight, weighted_degree, erosion_base, activation, ownership, fidelity,
     idea_openness, hybrid_alignment) = clinician
    points, clinicians = previous.shape
    channels = len(reached)
    peer_on = switches[PEER_THRESHOLD] or switches[PEER_BASS]
    enrolled = np.empty(0, dtype=np.int64)
    enrolled_values = np.empty((0, 3))
    needed = np.zeros((points, channels), dtype=np.int64)
    unaware = np.empty(0, dtype=np.int64)
    unaware_values = np.empty((0, 4))
    enrolments = left_unaware = 0
    hazard = np.zeros(channels)
    enrolled_weight_of = np.zeros(clinicians if peer_on else 0)
    count_weight_of = np.zeros(clinicians if switches[ANY_CYNICISM] else 0)
    enrolled_sum = np.zeros(clinicians if peer_on else 0)
    count_sum = np.zeros(clinicians if switches[ANY_CYNICISM] else 0)
    for point in range(points):
        constant = constants[point]
        if peer_on:
            _neighbour_values(previous, peer_weight, point, constant[CYNICISM],
                              switches[ANY_CYNICISM], enrolled_weight_of, count_weight_of)
            # the open rows' sums in a loop of their own, before their decisions: a tight
            # loop keeps many rows' neighbour loads in flight (1.3× faster at 100,000 staff)
            for row in range(clinicians):
                if previous[point, row] <= AWARE:
                    enrolled_sum[row] = _tie_sum(indptr, indices, enrolled_weight_of, row)
                    if switches[ANY_CYNICISM]:
                        count_sum[row] = _tie_sum(indptr, indices, count_weight_of, row)
        for row in range(clinicians):
            state = previous[point, row]
            u = draws[row]
            if state <= AWARE:
                receptive, resonant = 1.0 - fatigue[point, row], resonance[point, row]
                if reached[BROADCAST_CHANNEL]:
                    hazard[BROADCAST_CHANNEL] = constant[BROADCAST] * resonant * receptive
                if reached[EVENT_CHANNEL]:
                    hazard[EVENT_CHANNEL] = constant[EVENT] * resonant * receptive
                if reached[MANDATE_CHANNEL]:
                    hazard[MANDATE_CHANNEL] = constant[MANDATE] * receptive
                hazard[HYBRID_CHANNEL] = hybrid_hazard[point, row]
                hazard[CHAMPION_CHANNEL] = champion_hazard[point, row]
                enrolled_weight = 0.0
                if peer_on:
                    enrolled_weight = enrolled_sum[row]
                    count = count_sum[row] if switches[ANY_CYNICISM] else enrolled_weight
                    if switches[DEGREES_POSITIVE] or has_neighbours[row]:
                        share = count / weighted_degree[point, row]
                    else:
                        share = 0.0
                    if switches[PEER_THRESHOLD]:
                        passes = share >= threshold[point, row] and has_neighbours[row]
                        hazard[PEER_CHANNEL] = 1.0 if passes else 0.0
                    else:
                        hazard[PEER_CHANNEL] = constant[PEER_Q] * max(share, 0.0)
                # P = 1 − Π(1 − h_c) in channel order; a channel that reaches nobody skipped
                stays = 1.0
                first = True
                for channel in range(channels):
                    if reached[channel]:
                        survives = 1.0 - hazard[channel]
                        stays = survives if first else stays * survives
                        first = False
                probability = 0.0 if first else 1.0 - stays
                open_to_enrol = switches[UNAWARE_ENROL] or state == AWARE
                if not open_to_enrol:
                    probability = 0.0
                if open_to_enrol and u < probability:
                    new_state[point, row] = ENROLLED
                    enrolled, enrolled_values = _room(enrolled, enrolled_values, enrolments)
                    enrolled[enrolments] = point * clinicians + row
                    picked = _pick(hazard, reached, u / probability)
                    _count_needed(hazard, reached, u, needed[point])
                    neighbour_fidelity = constant[OWN_FIDELITY]
                    if (peer_on and (picked == PEER_CHANNEL or picked == CHAMPION_CHANNEL)
                            and enrolled_weight > 0):
                        neighbour_fidelity = _fidelity_sum(
                            indptr, indices, enrolled_weight_of, fidelity, point,
                            row) / enrolled_weight
                    enrolled_values[enrolments, PICKED] = picked
                    (enrolled_values[enrolments, OWNERSHIP],
                     enrolled_values[enrolments, FIDELITY]) = _ownership_and_fidelity(
                        picked, constant, channel_ownership[point], hybrid_alignment[point, row],
                        neighbour_fidelity, peer_on)
                    enrolments += 1
                    continue
                backlash = 0.0
                if reached[MANDATE_CHANNEL]:
                    backlash = (constant[MANDATE] * constant[BACKLASH]
                                * (1.0 - trust[point, row]))
                    if u - probability < (1.0 - probability) * backlash:
                        new_state[point, row] = DISENGAGED
                        continue
                if state != UNAWARE:
                    continue
                approached = hybrid_touched[point, row] or champion_hazard[point, row] > 0.0
                if switches[AWARENESS]:
                    unaware, unaware_values = _room(unaware, unaware_values, left_unaware)
                    unaware[left_unaware] = point * clinicians + row
                    unaware_values[left_unaware, OPEN_PROBABILITY] = probability
                    unaware_values[left_unaware, OPEN_BACKLASH] = backlash
                    unaware_values[left_unaware, OPEN_APPROACHED] = 1.0 if approached else 0.0
                    unaware_values[left_unaware, OPEN_ENROLLED_WEIGHT] = enrolled_weight
                    left_unaware += 1
                elif (switches[ALL_EXPOSED] or constant[EXPOSURE] > 0.0 or approached
                      or enrolled_weight > 0.0):
                    new_state[point, row] = AWARE
            elif state == ENROLLED or state == ACTIVE:
                erode = 0.0
                if switches[EROSION]:
                    erode = erosion_base[point, row]
                    if switches[FATIGUE]:
                        erode = erosion_base[point, row] * (1.0 + fatigue[point, row])
                    if state == ACTIVE:
                        erode = erode * constant[ACTIVE_FACTOR]
                if switches[ACTIVATION] and state == ENROLLED:
                    if u < erode + (1.0 - erode) * activation[point, row]:
                        new_state[point, row] = ACTIVE
                if switches[EROSION] and u < erode:
                    new_state[point, row] = DISENGAGED
                if switches[ACTIVATION] and state == ACTIVE:  # `ideas` is zero elsewhere
                    ideas[point, row] = (constant[IDEAS_RATE] * ownership[point, row]
                                         * idea_openness[point, row])
            elif switches[RECOVERS] and u < constant[RECOVERY]:  # the disengaged
                new_state[point, row] = AWARE
        if switches[FATIGUE]:
            for row in range(clinicians):
                grown = fatigue[point, row] * constant[FATIGUE_KEEP] + constant[FATIGUE_GAIN]
                next_fatigue[point, row] = min(max(grown, 0.0), 1.0)
    return (enrolled[:enrolments], enrolled_values[:enrolments], needed,
            unaware[:left_unaware], unaware_values[:left_unaware])


@njit
def _become_aware(unaware, values, neighbour, draws, constants, new_state):
    """rules.awareness_probability and rules.becomes_aware for the unaware the kernel left
    open (flat index point·N + row; P, backlash, approached and enrolled weight), given
    `neighbour`, 1 − (1 − a_n)^K, from numpy: A = 1 − Π(1 − a_c) over broadcast, event,
    mandate (a_c where that push runs in the point, else 0.0), approach and neighbours,
    in that order from 1.0; aware when u − P − (1 − P)·b < (1 − P)(1 − b)·A."""
    clinicians = new_state.shape[1]
    for entry in range(len(unaware)):
        point, row = unaware[entry] // clinicians, unaware[entry] % clinicians
        constant = constants[point]
        stays = 1.0
        for hazard, runs in ((constant[AWARE_BROADCAST], constant[BROADCAST] > 0.0),
                             (constant[AWARE_EVENT], constant[EVENT] > 0.0),
                             (constant[AWARE_MANDATE], constant[MANDATE] > 0.0),
                             (constant[AWARE_APPROACH], values[entry, OPEN_APPROACHED] > 0.0)):
            stays = stays * (1.0 - (hazard if runs else 0.0))
        awareness = 1.0 - stays * (1.0 - neighbour[entry])
        probability, backlash = values[entry, OPEN_PROBABILITY], values[entry, OPEN_BACKLASH]
        free = 1.0 - probability
        if draws[row] - probability - free * backlash < free * (1.0 - backlash) * awareness:
            new_state[point, row] = AWARE


def fits(model) -> bool:
    """The week of this model runs in the kernel: not the cascade rule (a power for every
    open clinician), every tie of weight 1 (as world.py makes them; the kernel does not
    read the weights), and no clinician with ties of total weight 0 (the numpy path
    divides by it; numba would raise)."""
    if model.terms.peer_rule == "cascade" or not np.all(model.population.adjacency.data == 1):
        return False
    return model.weighted_degrees_positive or not bool(
        np.any(model.has_neighbours & (model.weighted_degree <= 0)))


def decide_all(model, week) -> None:
    """`dynamics.decide_all` through the kernel: hand it the week's inputs as (points,
    clinicians) arrays and per-point constants (`Inputs`, kept per model), run it, and
    finish the enrolments and the unaware in numpy as the numpy path does."""
    from . import dynamics  # dynamics imports this module only when the kernel runs

    terms, pop, approaches = model.terms, model.population, model.approaches
    previous = week.previous
    inputs = getattr(model, "_compiled_inputs", None)
    if inputs is None:
        inputs = model._compiled_inputs = Inputs(model, week)
    inputs.week(model, week)
    points, clinicians = inputs.points, inputs.clinicians
    openness = (dynamics._of_each_clinician(model, week.idea_openness) if terms.activation_on
                else pop.fatigue)  # not read without activation
    ideas = np.zeros(previous.shape) if terms.activation_on else None
    next_fatigue = np.empty(previous.shape) if terms.fatigue_on else None
    adjacency = pop.adjacency
    enrolled, enrolled_values, needed, unaware, unaware_values = decide(
        previous.reshape(points, clinicians), week.new_state.reshape(points, clinicians),
        week.draws, inputs.reached, inputs.switches, inputs.constants, inputs.channel_ownership,
        inputs.clinician((
            pop.fatigue, pop.resonance, pop.trust, pop.threshold, approaches.hybrid_hazard,
            approaches.hybrid_touched, approaches.champion_hazard, model.peer_weight,
            model.weighted_degree, pop.erosion_base, pop.activation, pop.ownership,
            pop.fidelity, openness, approaches.hybrid_alignment)),
        model.has_neighbours, adjacency.indptr, adjacency.indices,
        inputs.unused if ideas is None else ideas.reshape(points, clinicians),
        inputs.unused if next_fatigue is None else next_fatigue.reshape(points, clinicians))

    def entries(flat):
        """Flat indices point·N + row as the numpy path's entries: (rows,) or (points, rows)."""
        return (flat,) if previous.ndim == 1 else (flat // clinicians, flat % clinicians)

    if len(enrolled):
        week.enrolled_at = entries(enrolled)
        week.channel = enrolled_values[:, PICKED].astype(np.int64)
        week.ownership = np.ascontiguousarray(enrolled_values[:, OWNERSHIP])
        week.fidelity = np.ascontiguousarray(enrolled_values[:, FIDELITY])
        week.needed += needed.reshape(week.needed.shape)
    if len(unaware):
        in_batch = entries(unaware)[0] if previous.ndim > 1 else None
        neighbour = per_neighbour_hazard(terms.at(in_batch).aware_neighbour,
                                         unaware_values[:, OPEN_ENROLLED_WEIGHT])
        _become_aware(unaware, unaware_values, neighbour, week.draws, inputs.constants,
                      week.new_state.reshape(points, clinicians))
    week.compiled = True  # its enrolments are recorded by the compiled `enrol` too
    week.ideas = ideas
    week.fatigue = pop.fatigue if next_fatigue is None else next_fatigue
