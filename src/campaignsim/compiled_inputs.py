"""What the compiled week (compiled_week.py) hands its kernel, and how it is kept.

The kernel `decide` reads the week's per-clinician inputs as (points, clinicians) arrays,
and the switches and constants as small arrays indexed by the names below. Packing them
anew every week was ~40 µs of Python at 1,040 staff, more than the kernel's work; most of
it depends on the scenario only, or on arrays the model updates in place. `Inputs` keeps
it per model (or batch), so a week writes only the push's entries into the same buffers
and views again only the arrays that were replaced. Imported only when the kernel runs.
"""

from __future__ import annotations

import numpy as np

from . import dynamics  # imported before this module: only dynamics' week imports it
from .rules import CHANNEL
from .scenario import CHANNELS

# columns of the per-point constants (`constants`, one row per point)
(BROADCAST, EVENT, MANDATE, BACKLASH, PEER_Q, CYNICISM, EXPOSURE, ACTIVE_FACTOR,
 IDEAS_RATE, RECOVERY, FATIGUE_KEEP, FATIGUE_GAIN, OWN_FIDELITY, SIGMA, CODESIGN_BOOST,
 HYBRID_BASE, HYBRID_MEDIATION, AWARE_BROADCAST, AWARE_EVENT, AWARE_MANDATE,
 AWARE_APPROACH) = range(21)
# entries of the week's switches (`switches`, booleans, the same for every point)
(PEER_THRESHOLD, PEER_BASS, ANY_CYNICISM, DEGREES_POSITIVE, UNAWARE_ENROL, AWARENESS,
 ALL_EXPOSED, ACTIVATION, EROSION, RECOVERS, FATIGUE) = range(11)
# columns of the recorded enrolments: the channel picked, ownership and fidelity
PICKED, OWNERSHIP, FIDELITY = range(3)
# columns of the recorded unaware who stay open: P, backlash, approached, enrolled weight
(OPEN_PROBABILITY, OPEN_BACKLASH, OPEN_APPROACHED, OPEN_ENROLLED_WEIGHT) = range(4)
BROADCAST_CHANNEL, EVENT_CHANNEL, MANDATE_CHANNEL = (CHANNEL["broadcast"], CHANNEL["event"],
                                                    CHANNEL["mandate"])
HYBRID_CHANNEL, PEER_CHANNEL, CHAMPION_CHANNEL = (CHANNEL["hybrid"], CHANNEL["peer"],
                                                  CHANNEL["champion"])

#: the per-week columns of `constants` (the push's and the week's); the rest depend on the
#: scenario only and are written once per model
WEEKLY_CONSTANTS = (BROADCAST, EVENT, MANDATE, EXPOSURE, FATIGUE_GAIN)


class Inputs:
    """What `decide_all` hands the kernel, kept per model (or batch) between weeks, so a
    week packs only what changed: the switches and constants of the scenario (written
    once; the push's columns each week, into the same buffer), the channel ownership
    copied once, and the (points, clinicians) views of the per-clinician arrays, made
    again only when an array is replaced (the approaches are new every week, the ideas'
    openness when hybrids leave; the population's arrays are updated in place)."""

    def __init__(self, model, week):
        terms, previous = model.terms, week.previous
        self.points = 1 if previous.ndim == 1 else previous.shape[0]
        self.clinicians = previous.shape[-1]
        self.switches = np.array([
            terms.peer_rule == "threshold", terms.peer_rule == "bass",
            dynamics._any(terms.peer_cynicism), model.weighted_degrees_positive,
            terms.unaware_enrol, terms.awareness_on, False, terms.activation_on,
            dynamics._any(terms.erosion_rate > 0), dynamics._any(terms.recovery > 0),
            terms.fatigue_on])
        self.constants = np.zeros((self.points, AWARE_APPROACH + 1))
        for column, value in ((BACKLASH, terms.backlash), (PEER_Q, terms.peer_q),
                              (CYNICISM, terms.peer_cynicism),
                              (ACTIVE_FACTOR, terms.erosion_active_factor),
                              (IDEAS_RATE, terms.ideas_rate), (RECOVERY, terms.recovery),
                              (FATIGUE_KEEP, 1.0 - terms.fatigue_recovery),
                              (OWN_FIDELITY, 1.0 - terms.sigma), (SIGMA, terms.sigma),
                              (CODESIGN_BOOST, terms.codesign_boost),
                              (HYBRID_BASE, terms.hybrid_base),
                              (HYBRID_MEDIATION, terms.hybrid_mediation),
                              (AWARE_BROADCAST, terms.aware_broadcast),
                              (AWARE_EVENT, terms.aware_event),
                              (AWARE_MANDATE, terms.aware_mandate),
                              (AWARE_APPROACH, terms.aware_approach)):
            self.constants[:, column] = np.ravel(value)
        # writable and of the kernel's array type: another type would compile it again
        self.channel_ownership = np.broadcast_to(
            terms.channel_ownership, (self.points, len(CHANNELS))).copy()
        self.reached = np.zeros(len(CHANNELS), dtype=bool)
        self.unused = np.empty((1, 1))
        self._sources = [None] * 15
        self._views = [None] * 15

    def week(self, model, week) -> None:
        """Write this week's switches, reach and push constants into the kept buffers."""
        push, reached = model.push, self.reached
        self.switches[ALL_EXPOSED] = dynamics._all(week.campaign_exposure)
        values = (push.broadcast, push.event, push.mandate, week.campaign_exposure,
                  model.terms.fatigue_load * push.tempo)
        if self.points == 1:  # numbers, into the one row (a scalar write: ~0.1 µs)
            row = self.constants[0]
            for column, value in zip(WEEKLY_CONSTANTS, values):
                row[column] = value
        else:                 # numbers, or (points, 1) columns where points differ
            for column, value in zip(WEEKLY_CONSTANTS, values):
                self.constants[:, column] = np.ravel(value)
        reached[BROADCAST_CHANNEL] = dynamics._any(push.broadcast)
        reached[EVENT_CHANNEL] = dynamics._any(push.event)
        reached[MANDATE_CHANNEL] = dynamics._any(push.mandate)
        reached[HYBRID_CHANNEL] = model.approaches.any_hybrid
        reached[PEER_CHANNEL] = model.terms.peer_on
        reached[CHAMPION_CHANNEL] = model.approaches.any_champion

    def clinician(self, sources: tuple) -> tuple:
        """`sources` (per-clinician arrays of the state's shape) as (points, clinicians)
        views, each made again only when its array is not the one seen last week."""
        kept, views = self._sources, self._views
        for i, values in enumerate(sources):
            if values is not kept[i]:
                kept[i], views[i] = values, values.reshape(self.points, self.clinicians)
        return tuple(views)
