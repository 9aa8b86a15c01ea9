"""CampaignModel: a Mesa model of a quality-improvement campaign on a staff graph.

Building a model: staff graph (generated with the model's seed, or loaded) → clinician
arrays and Mesa agents → champions and seeds enrolled at week 0. A step is one week:
the lead manager issues the week's push, hybrids approach clinicians one by one,
champions approach their neighbours, then every clinician is updated at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np

from . import kernels
from .agents import ACTIVE, ENROLLED, Clinician, HybridLeader, Manager
from .checks import StaffOutline, check_staff_requirements, seed_count
from .approaches import Approaches, Push, Schedule, champion_approaches
from .dynamics import commit_week, decide_all, start_week
from .population import Population
from .reference import ReferenceWeek
from .rules import Terms, resonance
from .scenario import (CHANNELS, SEED_MAX, STATES, Scenario, require_scenario,
                       sample_attribute, whole_number)
from .world import STREAM_ATTRIBUTES, STREAM_WEEKLY, StaffWorld

ATTRIBUTES = ("trust_in_management", "threshold", "alignment")


class CampaignModel(mesa.Model):
    """A hospital improvement campaign, one step per week.

    Args:
        scenario: the validated scenario.
        seed: overrides `scenario.seed`; every random number (graph included) comes
            from the generator it seeds.
        world: the staff graph and clinician structure for this `[staff]` and seed, if
            already built (a sweep shares one across design points); built if None.
        clinician_agents: create a Mesa `Clinician` agent per clinician (default), so that
            `model.agents` holds every clinician beside the hybrids and managers. The
            vectorised engine does not need them and batch work (`run`, sweeps) skips them
            (`model.agents` then holds the hybrids and managers only); the reference engine
            (`engine = "agents"`) always creates them.
        collect: keep a Mesa DataCollector of the weekly state counts (default), made on
            first access of `datacollector` (a run nobody asks pays nothing for it). The
            batch path (`runner.run_lean`, sweeps, compare) reads `records` instead.

    Attributes:
        spec: the scenario.
        graph: the staff graph (networkx), node attributes role/department/profession,
            champions chosen by a rule included; built on first access (a run never needs it).
        population: the clinicians' arrays (state, ownership, ...).
        records: per-week counts (see `campaignsim.outcomes`).
    """

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 world: StaffWorld | None = None, clinician_agents: bool = True,
                 collect: bool = True):
        scenario = require_scenario(scenario)
        seed = scenario.seed if seed is None else whole_number(seed, "seed", 0, SEED_MAX)
        super().__init__(rng=seed)
        self.spec = scenario
        self.seed = seed
        self.schedule = Schedule(scenario)
        self.terms = Terms.of(scenario)
        self.week = None  # this week's shared inputs and decisions, while the week runs
        self._department_alignment = None
        self._hybrids = self._managers = None
        self._shock = None
        self._owed_shuffles = []  # hybrids' shuffles not drawn yet (see _hybrids_step)
        # the compiled kernels or the numpy path, read once: a model runs one of them
        # whatever `kernels.use` says when it steps
        self.compiled = kernels.compiled()
        self._hybrid_week = _compiled_hybrid_week() if self.compiled else None  # None: one by one
        self.push = Push()
        self.ideas = 0.0
        # Separate streams, all derived from the seed, so that scenarios compared with the
        # same seed share the same staff graph, clinician attributes and weekly draws
        # (common random numbers) even when their mechanisms consume different numbers.
        self.weekly_draws = np.random.default_rng([seed, STREAM_WEEKLY])
        if world is None:
            world = StaffWorld.build(scenario.staff, seed)
        elif world.staff != scenario.staff or world.seed != seed:
            raise ValueError("the world was built for another [staff] table or seed")
        self.world = world
        self._graph = None  # the networkx view, built on first access of `graph`
        check_staff_requirements(scenario, StaffOutline.of_world(world))
        self.population = self._build_population()
        self.approaches = Approaches(len(self.population))
        self._create_agents(clinician_agents or scenario.engine == "agents")
        self._choose_champions()
        self._seed_clinicians()
        self._collect, self._datacollector = collect, None
        from .outcomes import Records  # outcomes reads the model; import here avoids a cycle

        self.records = Records(self)
        self._update_resonance(0)
        self.observe(0)

    # --- construction ----------------------------------------------------------------

    def _build_population(self) -> Population:
        world, peer = self.world, self.spec.on("peer")
        self.department_members = world.department_members
        return Population(
            nodes=world.nodes,
            department=world.department,
            department_names=world.department_names,
            profession=world.profession,
            profession_names=world.profession_names,
            champion=world.champion.copy(),  # champions chosen by a rule are marked here
            trust=self._attribute("trust_in_management", self.spec.clinicians.trust_in_management),
            threshold=self._attribute("threshold", peer.threshold if peer else 0.0),
            adjacency=world.adjacency,
            terms=self.terms,
        )

    def _attribute(self, name: str, setting) -> np.ndarray:
        """Sample an attribute for every clinician; values given in the graph file win.
        The draw depends on the world, its seed and the setting only, so the models of a
        sweep's replicate share it (`StaffWorld.remembered`; a copy each)."""
        def sample() -> np.ndarray:
            stream = np.random.default_rng([self.seed, STREAM_ATTRIBUTES,
                                            ATTRIBUTES.index(name)])
            values = sample_attribute(setting, len(self.world.nodes), stream)
            index, given = self.world.given[name]
            values[index] = given
            return values

        return self.world.remembered(("attribute", name, repr(setting)), sample).copy()

    def _create_agents(self, clinician_agents: bool = True) -> None:
        world = self.world
        for i, node in enumerate(world.manager_nodes):
            Manager(self, node, lead=i == 0)
        settings = self.spec.on("hybrids")
        alignments = sample_attribute(
            settings.alignment if settings else 0.0, len(world.hybrid_nodes),
            np.random.default_rng([self.seed, STREAM_ATTRIBUTES, ATTRIBUTES.index("alignment")]))
        for node, department, alignment in zip(world.hybrid_nodes,
                                               world.hybrid_department.tolist(), alignments):
            HybridLeader(self, node, department, alignment, settings)
        if clinician_agents:  # a sweep of the vectorised engine needs no clinician objects
            for index in range(len(self.population)):
                Clinician(self, index)
        # Mesa 3.3 keeps every model alive in the class-level Agent._ids (mesa#3179, fixed
        # upstream by mesa#3180), so runs in one process never free their memory; every
        # agent exists by now, so let go of the model's id counter.
        # (Mesa 3.5 has no Agent._ids: nothing to release there.)
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

    def _ranked_clinicians(self, rule: str, exclude: np.ndarray) -> np.ndarray:
        """Clinician indices ordered by a rule (random, degree, betweenness), ties at random.
        The order depends on the world and the state of `self.rng` only: models of one
        world that reach this with the same state (a sweep's design points) share it, and
        leave `self.rng` where ranking leaves it."""
        def rank() -> tuple[np.ndarray, dict]:
            return self._ranking(rule), self.rng.bit_generator.state

        key = ("ranking", rule, repr(self.rng.bit_generator.state))
        order, after = self.world.remembered(key, rank)
        self.rng.bit_generator.state = after
        return order[~exclude[order]]

    def _ranking(self, rule: str) -> np.ndarray:
        """Every clinician's index, ordered by the rule (ties broken by a draw of self.rng)."""
        population = self.population
        tiebreak = self.rng.random(len(population))
        if rule == "random":
            score = np.zeros(len(population))
        elif rule == "degree":
            score = np.asarray(population.adjacency.sum(axis=1)).ravel()
        else:
            clinician_graph = nx.from_scipy_sparse_array(population.adjacency)
            sample = min(len(population), 200)
            centrality = nx.betweenness_centrality(
                clinician_graph, k=sample if sample < len(population) else None,
                seed=int(self.rng.integers(2**31)))
            score = np.array([centrality[i] for i in range(len(population))])
        # all scores equal (random): the stable sort of the tie-breaks alone is the same order
        return (np.argsort(tiebreak, kind="stable") if rule == "random"
                else np.lexsort((tiebreak, -score)))

    def _choose_champions(self) -> None:
        champions = self.spec.on("champions")
        population = self.population
        if champions is None:
            self.peer_weight = np.ones(len(population))
        else:
            if champions.nodes:  # named in the file (campaignsim optimise writes them)
                by_text = {str(node): i for i, node in enumerate(population.nodes)}
                population.champion[[by_text[str(n)] for n in champions.nodes]] = True
            elif champions.rule != "formal":
                wanted = self.spec.staff.champions
                chosen = self._ranked_clinicians(champions.rule, population.champion)[:wanted]
                population.champion[chosen] = True
            index = np.flatnonzero(population.champion)
            sigma = self.spec.codesign.share if self.spec.on("codesign") else 0.0
            population.enrol(index, 0, "seed", champions.ownership, 1.0 - sigma)
            self.peer_weight = np.where(population.champion, champions.weight, 1.0)
        self.weighted_degree = population.adjacency @ self.peer_weight
        self.has_neighbours = np.diff(population.adjacency.indptr) > 0
        # every clinician has ties of positive weight: peer shares need no guarded division
        self.weighted_degrees_positive = bool((self.weighted_degree > 0).all())

    def _seed_clinicians(self) -> None:
        seeding, population = self.spec.seeding, self.population
        if seeding.nodes:
            by_text = {str(node): i for i, node in enumerate(population.nodes)}
            index = np.unique([by_text[str(n)] for n in seeding.nodes])
            index = index[population.state[index] < ENROLLED]  # champions are enrolled already
        else:
            enrolled = population.state >= ENROLLED
            count = seed_count(self.spec, len(population))
            index = self._ranked_clinicians(seeding.rule, enrolled)[:count]
        sigma = self.spec.codesign.share if self.spec.on("codesign") else 0.0
        peer = self.spec.on("peer")
        population.enrol(index, 0, "seed", peer.ownership if peer else 0.6, 1.0 - sigma)

    @property
    def graph(self) -> nx.Graph:
        """The staff graph with this model's champions (built on first access)."""
        if self._graph is None:
            chosen = np.flatnonzero(self.population.champion & ~self.world.champion)
            if len(chosen) == 0:
                self._graph = self.world.graph
            else:  # champions chosen by a rule: their role changes in this model's view
                self._graph = self.world.graph_to_relabel()
                for i in chosen:
                    self._graph.nodes[self.population.nodes[i]]["role"] = "champion"
        return self._graph

    # --- the week --------------------------------------------------------------------

    @property
    def hybrids(self) -> list[HybridLeader]:
        """The hybrids still in post who campaign."""
        if self._hybrids is None:  # changes only when hybrids leave
            self._hybrids = [h for h in self.agents_by_type.get(HybridLeader, [])
                             if h.campaigning]
        return self._hybrids

    @property
    def managers(self) -> list[Manager]:
        """The managers (they stay for the whole campaign)."""
        if self._managers is None:
            self._managers = list(self.agents_by_type.get(Manager, []))
        return self._managers

    def department_alignment(self) -> np.ndarray:
        """Mean alignment of each department's present hybrids (1 where none)."""
        if self._department_alignment is None:  # changes only when hybrids leave
            self._department_alignment = self._mean_department_alignment()
        return self._department_alignment

    def _mean_department_alignment(self) -> np.ndarray:
        totals = np.zeros(len(self.department_members))
        counts = np.zeros(len(self.department_members))
        for hybrid in self.hybrids:
            totals[hybrid.department] += hybrid.alignment
            counts[hybrid.department] += 1
        return np.where(counts > 0, totals / np.maximum(counts, 1), 1.0)

    def _update_resonance(self, week: int) -> None:
        """Resonance of the managers' frame: σ + (1 − σ)·trust + shock, clipped to [0, 1]."""
        shock = self.schedule.shock(week)
        if shock != self._shock:  # resonance moves only with a shock
            self.population.resonance[:] = resonance(self.terms.sigma, self.population.trust, shock)
            self._shock = shock

    def _hybrids_leave(self, week: int) -> None:
        settings = self.spec.on("hybrids")
        if settings is None or settings.leave_week != week:
            return
        present = self.hybrids
        leaving = int(round(settings.leave_share * len(present)))
        for i in sorted(self.rng.choice(len(present), size=leaving, replace=False)):
            present[i].remove()
        self._department_alignment = self._hybrids = None

    def step(self) -> None:
        """One week of the campaign."""
        week = self.steps
        self.approach(week, Approaches(len(self.population), self.population.state))
        if self.spec.engine == "agents":  # each decides alone, in plain Python
            self.week = ReferenceWeek(self, week)
            self.agents_by_type[Clinician].do("step")
            self.week.commit()
        else:
            self.week = start_week(self, week)
            decide_all(self, self.week)
            commit_week(self, self.week)
        self.observe(week)

    def approach(self, week: int, approaches: Approaches) -> None:
        """The week before clinicians decide: the managers' push, resonance, hybrids who
        leave, and the hybrids' and champions' approaches (into `approaches`)."""
        self.push = Push()
        for manager in self.managers:
            manager.step()
        self._update_resonance(week)
        self._hybrids_leave(week)
        self.approaches = approaches
        hybrids = self.agents_by_type.get(HybridLeader)
        if hybrids is not None:
            self._hybrids_step(hybrids, approaches.anyone_open)
            approaches.hybrids_done(self.population.resonance)
        champion_approaches(self)

    def _hybrids_step(self, hybrids, anyone_open: bool) -> None:
        """The hybrids' steps, in a random order (Mesa's `shuffle_do`) when anyone may be
        approached. When nobody may, a step only moves the hybrid's own credibility and the
        order changes nothing: they step in turn and the shuffle is owed — its random
        numbers are drawn from the same generator, for as many hybrids, just before the
        next shuffle — so every later week's order is the one it would have been."""
        if not anyone_open:
            self._owed_shuffles.append(len(hybrids))
        else:
            for count in self._owed_shuffles:  # a shuffle draws by the list's length only
                hybrids.random.shuffle([None] * count)
            self._owed_shuffles.clear()
        if self._hybrid_week is not None:  # compiled: the same order, draws and choices
            self._hybrid_week.step(self, hybrids, anyone_open)
        elif anyone_open:
            hybrids.shuffle_do("step")
        else:
            for hybrid in self.hybrids:  # those who campaign (the others' step does nothing)
                hybrid.step()

    def observe(self, week: int) -> None:
        """Record the week (and collect it, once the DataCollector exists); stop after the
        last week."""
        self.records.record(self, week)
        if self._datacollector is not None:
            self._datacollector.collect(self)
        if week >= self.spec.weeks:
            self.running = False

    @property
    def datacollector(self) -> mesa.DataCollector | None:
        """Mesa's DataCollector of the weekly state counts (None if made with
        `collect=False`). Made on first access and given every week recorded so far, as
        if it had collected each (the counts are the records' either way), then collected
        every week."""
        if self._datacollector is None and self._collect:
            collector = mesa.DataCollector(
                model_reporters={name: _state_reporter(code) for code, name in enumerate(STATES)})
            for week in range(self.records.last_week + 1):
                collector.collect(_RecordedWeek(self.records, week))
            self._datacollector = collector
        return self._datacollector

    def enrolled_nodes(self) -> set:
        """Graph node ids of the clinicians enrolled or active now."""
        state = self.population.state
        return {self.population.nodes[i]
                for i in np.flatnonzero((state == ENROLLED) | (state == ACTIVE))}


@dataclass(frozen=True)
class _RecordedWeek:
    """A past week of a model, as a DataCollector collecting then would have seen it: its
    records at `steps` = the week (Mesa 3.5 also notes `time`, the week as a float)."""

    records: object
    steps: int

    @property
    def time(self) -> float:
        return float(self.steps)


def _compiled_hybrid_week():
    """The compiled hybrids' week (compiled_hybrids.py), for a model that runs the kernels."""
    from .compiled_hybrids import HybridWeek  # imports numba: only when it is chosen

    return HybridWeek()


def _state_reporter(code: int):
    def count(model: CampaignModel) -> int:
        return int(model.records.state_counts[model.steps, code])
    return count


__all__ = ["CampaignModel", "CHANNELS", "STATES", "StaffWorld"]
