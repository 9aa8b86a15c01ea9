"""The Mesa agents: managers, hybrid clinical leaders and clinicians.

Managers and hybrids are few and act one by one in their own `step()`. Clinicians are
many: each is a Mesa agent (so `model.agents`, AgentSet queries and the DataCollector
see them), but its state lives in the model's numpy arrays, read through properties,
and all clinicians are updated together in one vectorised step (see dynamics.py).
"""

from __future__ import annotations

import mesa

from .scenario import CHANNELS, STATES

UNAWARE, AWARE, ENROLLED, ACTIVE, DISENGAGED = range(len(STATES))


class Manager(mesa.Agent):
    """A manager. The lead manager issues the campaign's schedule each week.

    The week's push (broadcast intensity, event reach, mandate pressure) is read from the
    scenario's mechanism tables; managers own it, so a campaign with managerial
    mechanisms needs at least one manager.
    """

    def __init__(self, model, node, lead: bool = False):
        super().__init__(model)
        self.node = node
        self.lead = lead

    def step(self) -> None:
        if self.lead:
            self.model.push = self.model.schedule.push(self.model.steps)


class HybridLeader(mesa.Agent):
    """A hybrid clinical leader: a clinician with a managerial role in one department.

    Each week it approaches up to `capacity` clinicians of its department who are neither
    enrolled nor disengaged, frames the campaign by its `alignment` with management (1 =
    passes the managers' frame on unchanged; 0 = adapts it to clinical values), and its
    credibility drifts toward what its stance earns with clinicians.
    """

    def __init__(self, model, node, department: int, alignment: float, settings=None):
        super().__init__(model)
        self.node = node
        self.department = department  # index into the model's departments; -1 if none
        self.alignment = float(alignment)
        self.settings = settings  # the [hybrids] table; None when hybrids do not campaign
        self.campaigning = settings is not None and department >= 0
        self.capacity = settings.capacity if self.campaigning else 0
        self.credibility = settings.credibility if settings is not None else 0.0
        self.approached_last_week = 0

    def choose_clinicians(self) -> tuple:
        """The clinicians this hybrid approaches this week: up to `capacity` of its
        department who are neither enrolled nor disengaged nor already approached this
        week; with `approach = "aware_first"` the aware before the unaware, else at random.
        Returns its candidates (`Approaches.hybrid_candidates`) and the positions taken."""
        model = self.model
        candidates = model.approaches.hybrid_candidates(model.population, self.department)
        count = len(candidates[0])
        if self.capacity == 0 or count <= self.capacity:
            return candidates, slice(None) if self.capacity else slice(0)
        keys = model.rng.random(count)
        if self.settings.approach == "aware_first":
            keys += candidates[1]  # the unaware's keys raised by 1: the aware come first
        return candidates, keys.argpartition(self.capacity - 1)[: self.capacity]

    def step(self) -> None:
        if not self.campaigning:
            return
        settings = self.settings
        self.approached_last_week = 0
        # nobody open to enrolment (most weeks of a campaign that reaches everyone): no search
        if self.model.approaches.anyone_open:
            self.approached_last_week = self.model.approaches.by_hybrid(
                self.department, *self.choose_clinicians(), self.credibility, self.alignment,
                (1 - self.alignment) * settings.adapted_resonance)
        target = settings.credibility_max * (1 - settings.legitimacy_cost * self.alignment)
        self.credibility += settings.credibility_rate * (target - self.credibility)


class Clinician(mesa.Agent):
    """A clinician (or champion); a view on row `index` of the model's arrays."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    def step(self) -> None:
        """Decide this week's transition alone (the `engine = "agents"` reference engine,
        reference.py, an independent implementation of the equations).

        The default engine makes the same decision for every clinician at once
        (`dynamics.decide_all`, from rules.py); both read the same random draws.
        """
        self.model.week.decide(self.index)

    @property
    def _population(self):
        return self.model.population

    @property
    def node(self):
        return self._population.nodes[self.index]

    @property
    def role(self) -> str:
        return "champion" if self._population.champion[self.index] else "clinician"

    @property
    def department(self):
        return self._population.department_names[self._population.department[self.index]]

    @property
    def profession(self) -> str:
        return self._population.profession_names[self._population.profession[self.index]]

    @property
    def state(self) -> str:
        return STATES[self._population.state[self.index]]

    @property
    def channel(self) -> str | None:
        code = self._population.channel[self.index]
        return CHANNELS[code] if code >= 0 else None

    @property
    def trust_in_management(self) -> float:
        return float(self._population.trust[self.index])

    @property
    def threshold(self) -> float:
        return float(self._population.threshold[self.index])

    @property
    def ownership(self) -> float:
        return float(self._population.ownership[self.index])

    @property
    def fidelity(self) -> float:
        return float(self._population.fidelity[self.index])

    @property
    def fatigue(self) -> float:
        return float(self._population.fatigue[self.index])

    @property
    def enrolled_week(self) -> int | None:
        week = int(self._population.enrolled_week[self.index])
        return week if week >= 0 else None
