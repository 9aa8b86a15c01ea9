"""The week before clinicians decide: the managers' push and the personal approaches.

The lead manager issues the week's `Push` from the scenario's `Schedule`; the hybrids
(agents.py, one by one) and the champions (`champion_approaches`, vectorised) then
approach clinicians, recorded in `Approaches` for the decisions of dynamics.py to read.
Both engines share these, so the reference engine (reference.py) and the vectorised one
see the same approaches from the same random numbers. The equations are in docs/model.md.

In a batch of design points (batch.py) a `Push` holds (points, 1) columns
(`Push.stack`) and `Approaches` (points, clinicians) arrays, one row per point
(`Approaches.columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp

from .agents import ACTIVE, AWARE, ENROLLED, UNAWARE
from .scenario import Scenario


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
        return cls(*(np.array([getattr(push, kind.name) for push in pushes])[:, None]
                     for kind in fields(cls)))


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


class Approaches:
    """This week's personal approaches: by hybrids and by champions."""

    def __init__(self, shape: int | tuple, state: np.ndarray | None = None):
        # who may still be approached by a hybrid this week: neither enrolled nor
        # disengaged, and not yet approached by another hybrid
        self.approachable = state <= AWARE if state is not None else np.zeros(shape, dtype=bool)
        # False: nobody is open to enrolment, so nobody will be approached (most weeks of
        # a campaign that reaches everyone); the approaches then skip their search
        self.anyone_open = bool(self.approachable.any())
        self.hybrid_hazard = np.zeros(shape)
        self.hybrid_alignment = np.zeros(shape)
        self.hybrid_touched = np.zeros(shape, dtype=bool)
        self.champion_hazard = np.zeros(shape)
        self.any_hybrid = self.any_champion = False
        self._start_hybrids()

    def _start_hybrids(self) -> None:
        self._open = None   # the week's open clinicians by department (hybrid_candidates)
        self._taken = {}    # department -> its candidates left and the positions taken last
        self._choices = []  # each approach: (clinicians, credibility, alignment, framing)

    def columns(self) -> list[Approaches]:
        """One Approaches per point of a batch, each writing into its row of these."""
        return [self._row(point) for point in range(len(self.approachable))]

    def _row(self, point: int) -> Approaches:
        row = object.__new__(Approaches)  # its arrays are views of ours, not new ones
        for name in ("approachable", "hybrid_hazard", "hybrid_alignment", "hybrid_touched",
                     "champion_hazard"):
            setattr(row, name, getattr(self, name)[point])
        row.anyone_open = bool(row.approachable.any())
        row.any_hybrid = row.any_champion = False
        row._start_hybrids()
        return row

    def hybrid_candidates(self, population, department: int) -> tuple:
        """The clinicians of `department` a hybrid may approach now, ascending (neither
        enrolled nor disengaged nor approached by a hybrid this week), and which of them
        are unaware: slices of one gathering of every department's, made once a week (a
        hybrid used to gather its department's itself, a dozen numpy calls each)."""
        if department in self._taken:  # an earlier hybrid of the department approached
            (candidates, unaware), taken = self._taken.pop(department)
            keep = np.ones(len(candidates), dtype=bool)
            keep[taken] = False
            return candidates[keep], unaware[keep]
        if self._open is None:
            rows = np.flatnonzero(self.approachable)
            rows = rows[np.argsort(population.department[rows], kind="stable")]
            ends = np.cumsum(np.bincount(population.department[rows],
                                         minlength=len(population.department_names)))
            self._open = rows, population.state[rows] == UNAWARE, ends
        rows, unaware, ends = self._open
        start, end = (ends[department - 1] if department else 0), ends[department]
        return rows[start:end], unaware[start:end]

    def by_hybrid(self, department: int, candidates: tuple, taken, credibility: float,
                  alignment: float, framing: float) -> int:
        """A hybrid approaches the clinicians at positions `taken` of `candidates` (as
        `hybrid_candidates` gave them); the hazard, credibility × (alignment × resonance
        + framing), is computed for the week's approaches together (`hybrids_done`).
        Returns how many it approached."""
        chosen = candidates[0][taken]
        self._taken[department] = candidates, taken  # for the department's next hybrid
        if len(chosen):
            self._choices.append((chosen, credibility, alignment, framing))
        return len(chosen)

    def hybrids_done(self, resonance: np.ndarray) -> None:
        """Write the week's hybrid approaches: each clinician is approached by one hybrid at
        most, so the writes of all at once are those of each in turn."""
        if not self._choices:
            return
        chosen = np.concatenate([choice[0] for choice in self._choices])
        lengths = [len(choice[0]) for choice in self._choices]
        credibility, alignment, framing = (np.repeat(values, lengths) for values in
                                           list(zip(*self._choices))[1:])
        self.hybrid_hazard[chosen] = credibility * (alignment * resonance[chosen] + framing)
        self.hybrid_alignment[chosen] = alignment
        self.hybrid_touched[chosen] = True
        self.any_hybrid = True
        self._start_hybrids()

    def by_champions(self, hazard: np.ndarray) -> None:
        self.champion_hazard[:] = hazard
        self.any_champion = bool(hazard.any())


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
    if champions is None or not model.approaches.anyone_open:
        return
    state = population.state
    rows = np.flatnonzero(population.champion & ((state == ENROLLED) | (state == ACTIVE)))
    chosen = choose_among_neighbours(population.adjacency, rows, state <= AWARE,
                                     champions.capacity, model.rng)
    times = np.bincount(chosen, minlength=len(population))
    model.approaches.by_champions(1.0 - (1.0 - champions.persuasion) ** times)
