"""The clinicians' state as arrays: one row per clinician, or (points, clinicians) in a batch.

Both engines read and write the same `Population`: the attributes drawn with the world
(department, profession, champion, trust, threshold, the adjacency), each clinician's
state and what enrolment fixed (channel, week, ownership, fidelity, and from them the
erosion base and activation probability, rules.commitment), and the cumulative counts
the outcomes read. A batch of design points on one world (batch.py) stacks the arrays
that differ between points (`PER_POINT`) and rebinds every point's population to its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .agents import ENROLLED
from .rules import CHANNEL, Terms, commitment
from .scenario import CHANNELS


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
              ownership, fidelity, compiled: bool = False) -> None:
        """Record enrolments: state, week, channel, ownership and fidelity (`compiled`:
        a week of the compiled kernel, whose enrolments compiled_records.enrol writes).

        Called once a week with a few clinicians, so it makes as few numpy calls as it
        can (each costs about a microsecond on these short arrays)."""
        if compiled:
            self._enrol_compiled(index, week, channel, ownership, fidelity)
            return
        self.state[index] = ENROLLED
        self.enrolled_week[index] = week
        if isinstance(channel, str):  # one channel for all (the seeds and champions)
            code = CHANNEL[channel]
            self.channel[index] = code
            self.enrolments[code] += len(index)
            campaign = slice(None) if code != CHANNEL["seed"] else None
        else:
            self.channel[index] = channel
            self.enrolments += np.bincount(channel, minlength=len(CHANNELS))
            campaign = channel != CHANNEL["seed"]
        self.ownership[index] = ownership
        self.fidelity[index] = fidelity
        owned = self.ownership[index]
        self.erosion_base[index], self.activation[index] = commitment(self.terms, owned)
        if campaign is None:  # seeds are not the campaign's enrolments
            return
        # numpy's pairwise sum of the week's enrolments in index order (the reference
        # engine sums the same array the same way)
        self.ownership_at_enrolment += float(np.add.reduce(owned[campaign]))
        self.fidelity_at_enrolment += float(np.add.reduce(self.fidelity[index][campaign]))

    def _enrol_compiled(self, index, week, channel, ownership, fidelity) -> None:
        """`enrol` of a week's enrolments (channels per clinician) in one compiled loop: the
        same writes, counts and products; the sums of the campaign's ownership and
        fidelity stay numpy's pairwise sums, over the same values in the same order."""
        from .compiled_records import enrol  # imports numba: only when it is chosen

        owned, faithful = enrol(
            index, week, channel, ownership, fidelity, self.terms.erosion_rate,
            self.terms.activation_rate, CHANNEL["seed"], self.state, self.enrolled_week,
            self.channel, self.ownership, self.fidelity, self.erosion_base, self.activation,
            self.enrolments)
        self.ownership_at_enrolment += float(np.add.reduce(owned))
        self.fidelity_at_enrolment += float(np.add.reduce(faithful))
