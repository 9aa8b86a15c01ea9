"""The rules of the campaign, one formula each, for the vectorised engine.

Each function computes a formula of docs/model.md (§7) over whole arrays of clinicians
(`dynamics.decide_all`). The reference engine (`engine = "agents"`, reference.py) does
not use them: it computes the same equations again, clinician by clinician, so that the
engine-equivalence test compares two implementations. Both evaluate every formula in the
same order, so that they make identical decisions from identical random draws.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .scenario import CHANNELS, Scenario

CHANNEL = {name: code for code, name in enumerate(CHANNELS)}


def resonance(sigma: float, trust, shock: float):
    """Resonance of the managers' frame: σ + (1 − σ)·trust + shock, clipped to [0, 1]."""
    return np.clip(sigma + (1.0 - sigma) * trust + shock, 0.0, 1.0)


def peer_hazard(rule: str, share, count, threshold, q: float, has_neighbours):
    """Weekly peer hazard by rule (Granovetter threshold, independent cascade, Bass).

    The cascade's power goes through numpy's array loop even for one clinician: on CPUs
    with AVX-512 numpy's vectorised `pow` and the scalar `pow` differ in the last bit for
    about 5 % of inputs, which could flip a draw between the two engines.

    Examples:
        >>> import numpy as np
        >>> peer_hazard("threshold", np.array([0.5, 0.4]), np.array([1., 1.]),
        ...             np.array([0.5, 0.5]), 0.0, np.array([True, True])).tolist()
        [1.0, 0.0]
        >>> float(peer_hazard("cascade", 0.5, 2.0, 0.0, 0.5, True))
        0.75
    """
    if rule == "threshold":
        return np.where((share >= threshold) & has_neighbours, 1.0, 0.0)
    if rule == "cascade":
        return per_neighbour_hazard(q, count)
    return q * np.maximum(share, 0.0)


def per_neighbour_hazard(q, count):
    """1 − (1 − q)^max(K, 0): each of K neighbours (weighted) acts with probability q (the
    cascade's peer hazard, and awareness from enrolled neighbours)."""
    k = np.atleast_1d(np.maximum(count, 0.0))
    return (1.0 - np.power(1.0 - q, k)).reshape(np.shape(count))


def awareness_probability(terms: Terms, broadcast, event, mandate, approached,
                          enrolled_neighbours):
    """A = 1 − Π_c (1 − a_c) over the channels that reach an unaware clinician this week,
    in this order: a running broadcast, an event, a running mandate, a hybrid's or
    champion's approach (`approached`), and enrolled neighbours, 1 − (1 − a_n)^K (the
    flags are booleans, or (points, 1) columns in a batch).

    Examples:
        >>> t = Terms.of(Scenario(awareness={"broadcast": 0.2, "event": 0.5}))
        >>> float(awareness_probability(t, True, True, False, False, 0.0))
        0.6
    """
    hazards = (np.where(broadcast, terms.aware_broadcast, 0.0),
               np.where(event, terms.aware_event, 0.0),
               np.where(mandate, terms.aware_mandate, 0.0),
               np.where(approached, terms.aware_approach, 0.0),
               per_neighbour_hazard(terms.aware_neighbour, enrolled_neighbours))
    stays = 1.0
    for hazard in hazards:
        stays = stays * (1.0 - hazard)
    return 1.0 - stays


def becomes_aware(draw, probability, backlash, awareness):
    """The unaware who neither enrol nor backlash become aware with probability A, from
    the part of the draw left over: u − P − (1 − P)·b < (1 − P)(1 − b)·A (given u ≥ P and
    no backlash, that part is uniform)."""
    free = 1.0 - probability
    return draw - probability - free * backlash < free * (1.0 - backlash) * awareness


def enrol_probability(hazards):
    """P(enrol) = 1 − Π_c (1 − h_c): the channels as independent hazards (in channel order).

    The product is kept in one buffer, updated in place (the same numbers, fewer passes)."""
    stays = None
    for hazard in hazards:
        survives = 1.0 - hazard
        if stays is None:
            stays = survives
        elif isinstance(stays, np.ndarray):   # a fresh array of ours: update it in place
            np.multiply(stays, survives, out=stays)
        else:                                  # one clinician's numbers
            stays = stays * survives
    if stays is None:
        return 0.0
    return np.subtract(1.0, stays, out=stays) if isinstance(stays, np.ndarray) else 1.0 - stays


def needed_counts(hazards, draw) -> np.ndarray:
    """How many of these enrolments needed each channel: c was necessary when the same draw
    would not have enrolled without it, u ≥ 1 − Π_{c' ≠ c}(1 − h_c') (the products in
    channel order; a channel that reaches nobody, None, is needed by none).

    Examples:
        >>> needed_counts([None, np.array([0.5]), np.array([1.0])], np.array([0.7])).tolist()
        [0, 0, 1]
    """
    counts = np.zeros(len(hazards), dtype=np.int64)
    for channel, hazard in enumerate(hazards):
        if hazard is None:
            continue
        stays = 1.0
        for other, other_hazard in enumerate(hazards):
            if other != channel and other_hazard is not None:
                stays = stays * (1.0 - other_hazard)
        counts[channel] = np.count_nonzero(draw >= 1.0 - stays)
    return counts


def pick_channel(hazards, pick):
    """The channel of an enrolment: u / P, uniform on [0, 1), falls in channel c's share
    h_c / Σh of the cumulative hazards (exact attribution in the small-hazard limit)."""
    cumulative, total = [], 0.0
    for hazard in hazards:
        total = total + hazard
        cumulative.append(total)
    below = 0
    for value in cumulative:
        below = below + (value / total <= pick)
    return np.minimum(below, len(CHANNELS) - 1)


def enrolment_ownership(terms: Terms, channel, alignment):
    """Ownership at enrolment: by channel; a hybrid's grows with mediation; co-design adds."""
    by_channel = terms.channel_ownership  # (channels,) or, per enrolment of a batch, (k, channels)
    ownership = (by_channel[channel] if by_channel.ndim == 1
                 else np.take_along_axis(by_channel, channel[:, None], axis=1)[:, 0])
    ownership = np.where(channel == CHANNEL["hybrid"],
                         terms.hybrid_base + terms.hybrid_mediation * (1.0 - alignment), ownership)
    return ownership + (1.0 - ownership) * terms.sigma * terms.codesign_boost


def enrolment_fidelity(terms: Terms, channel, alignment, neighbour_fidelity):
    """Fidelity to the managers' programme: 1 − σ, a hybrid's × alignment, peers' inherited."""
    fidelity = np.where(channel == CHANNEL["hybrid"], (1.0 - terms.sigma) * alignment,
                        1.0 - terms.sigma)
    peer_like = (channel == CHANNEL["peer"]) | (channel == CHANNEL["champion"])
    return np.where(peer_like & terms.peer_on, neighbour_fidelity, fidelity)


def commitment(terms: Terms, ownership):
    """What ownership, fixed at enrolment, fixes with it: the erosion hazard before fatigue,
    rate·(1 − ownership), and the weekly activation probability, min(a·ownership, 1)."""
    return (terms.erosion_rate * (1.0 - ownership),
            np.minimum(terms.activation_rate * ownership, 1.0))


def erosion_hazard(terms: Terms, erosion_base, fatigue, active):
    """Weekly erosion: rate·(1 − ownership)·(1 + fatigue), × active_factor for the active
    (`erosion_base` is the first part, from `commitment`)."""
    erode = (erosion_base * (1.0 + fatigue) if terms.fatigue_on
             else np.array(erosion_base, dtype=float))
    # × active_factor in place where active: np.where's numbers, one array pass fewer
    return np.multiply(erode, terms.erosion_active_factor, out=erode, where=active)


def next_fatigue(terms: Terms, fatigue, tempo: float):
    """Fatigue decays by `recovery` and grows with the week's tempo, clipped to [0, 1]."""
    if not terms.fatigue_on:
        return fatigue  # unchanged (the same object)
    grown = fatigue * (1.0 - terms.fatigue_recovery) + terms.fatigue_load * tempo
    return np.minimum(np.maximum(grown, 0.0), 1.0)  # = np.clip, whose wrapper costs more


@dataclass(frozen=True)
class Terms:
    """The scenario's constants that the rules read (mechanisms off give neutral values).

    Terms of a batch of design points (`Terms.stack`) hold, for each number that differs
    between points, a (points, 1) column (it broadcasts against the batch's (points,
    clinicians) arrays); `at` picks them for single entries.
    """

    sigma: float
    codesign_boost: float
    channel_ownership: np.ndarray
    hybrid_base: float
    hybrid_mediation: float
    peer_on: bool
    erosion_rate: float
    erosion_active_factor: float
    recovery: float
    activation_rate: float
    ideas_rate: float
    activation_on: bool
    fatigue_on: bool
    fatigue_load: float
    fatigue_recovery: float
    backlash: float
    peer_rule: str | None
    peer_q: float
    peer_cynicism: float
    awareness_on: bool          # awareness as a process ([awareness]); off: any push makes aware
    unaware_enrol: bool         # the unaware may enrol (always, without [awareness])
    aware_broadcast: float
    aware_event: float
    aware_mandate: float
    aware_approach: float
    aware_neighbour: float

    @classmethod
    def of(cls, s: Scenario) -> Terms:
        on = s.on
        ownership = np.zeros(len(CHANNELS))
        for channel, table in (("broadcast", on("broadcast")), ("event", on("events")),
                               ("mandate", on("mandate")), ("peer", on("peer"))):
            if table is not None:
                ownership[CHANNEL[channel]] = table.ownership
        if on("champions") is not None:
            ownership[CHANNEL["champion"]] = s.champions.convert_ownership
        hybrids, erosion, activation, fatigue = (on("hybrids"), on("erosion"), on("activation"),
                                                 on("fatigue"))
        awareness = on("awareness")
        return cls(
            sigma=s.codesign.share if on("codesign") else 0.0,
            codesign_boost=s.codesign.ownership_boost if on("codesign") else 0.0,
            channel_ownership=ownership,
            hybrid_base=hybrids.ownership_base if hybrids else 0.0,
            hybrid_mediation=hybrids.ownership_mediation if hybrids else 0.0,
            peer_on=on("peer") is not None,
            erosion_rate=erosion.rate if erosion else 0.0,
            erosion_active_factor=erosion.active_factor if erosion else 1.0,
            recovery=erosion.recovery if erosion else 0.0,
            activation_rate=activation.rate if activation else 0.0,
            ideas_rate=activation.ideas_rate if activation else 0.0,
            activation_on=activation is not None,
            fatigue_on=fatigue is not None,
            fatigue_load=fatigue.load if fatigue else 0.0,
            fatigue_recovery=fatigue.recovery if fatigue else 0.0,
            backlash=s.mandate.backlash if on("mandate") else 0.0,
            peer_rule=s.peer.rule if on("peer") else None,
            peer_q=s.peer.q if on("peer") else 0.0,
            peer_cynicism=s.peer.cynicism if on("peer") else 0.0,
            awareness_on=awareness is not None,
            unaware_enrol=awareness.unaware_enrol if awareness else True,
            aware_broadcast=awareness.broadcast if awareness else 0.0,
            aware_event=awareness.event if awareness else 0.0,
            aware_mandate=awareness.mandate if awareness else 0.0,
            aware_approach=awareness.approach if awareness else 0.0,
            # word of mouth travels the peer ties: without [peer] nobody hears it
            aware_neighbour=awareness.neighbour if awareness and on("peer") else 0.0,
        )

    @classmethod
    def stack(cls, columns: list[Terms]) -> Terms:
        """The terms of a batch of points: a value all share stays as it is, numbers that
        differ become one entry per point (switches and the peer rule must agree)."""
        values = {}
        for term in fields(cls):
            column_values = [getattr(terms, term.name) for terms in columns]
            first = column_values[0]
            if all(np.array_equal(value, first) for value in column_values[1:]):
                values[term.name] = first
            elif isinstance(first, (bool, str)) or first is None:
                raise ValueError(f"points of one batch differ in {term.name}")
            else:
                values[term.name] = np.array(column_values).reshape(len(columns), -1)
        return cls(**values)

    def at(self, columns: np.ndarray | None) -> Terms:
        """The terms of single entries of a batch, given each entry's point (None: the
        terms of a single run, as they are)."""
        if columns is None:
            return self
        per_point = {}
        for term in fields(self):
            value = getattr(self, term.name)
            if np.ndim(value) == 2:  # (points, 1), or (points, channels) for ownership
                per_point[term.name] = value[columns] if value.shape[1] > 1 else value[columns, 0]
        return replace(self, **per_point)
