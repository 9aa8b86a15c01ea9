"""Checks of a scenario against its staff, shared by `campaignsim validate` and the model.

Some rules need the staff as well as the scenario: broadcasts need a manager, a
`[champions]` table needs champions to choose, seed nodes must be clinicians of the graph,
and there must be clinicians enough to seed. The model (at construction) and `validate`
(without building a model) call the same `check_staff_requirements`, on a `StaffOutline`
of the staff: from the built world, or from the scenario alone — by arithmetic for a
generated staff (no graph is built, so a hospital too large to run still validates) and
by loading the graph file for a loaded one. So `validate` and `run` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .scenario import Scenario, ScenarioError


@dataclass(frozen=True)
class StaffOutline:
    """What the checks need to know of a staff: its clinicians and the roles present."""

    clinician_ids: Sequence   # clinician node ids in graph order (a range when generated)
    managers: int
    formal_champions: int     # clinicians given the champion role by a graph file

    @classmethod
    def of_graph(cls, graph) -> "StaffOutline":
        """The outline of a staff graph (loaded or generated)."""
        roles = dict(graph.nodes(data="role"))
        return cls(clinician_ids=[n for n, r in roles.items() if r in ("clinician", "champion")],
                   managers=sum(r == "manager" for r in roles.values()),
                   formal_champions=sum(r == "champion" for r in roles.values()))

    @classmethod
    def of_world(cls, world) -> "StaffOutline":
        """The outline of a built staff world (its arrays: no graph is built)."""
        return cls(clinician_ids=world.nodes, managers=len(world.manager_nodes),
                   formal_champions=int(world.champion.sum()))

    @classmethod
    def of_scenario(cls, scenario: Scenario) -> "StaffOutline":
        """The outline of the scenario's staff without generating it: a generated staff has
        clinicians 0 … n − 1 (see staff.generate_staff_graph); a graph file is loaded."""
        staff = scenario.staff
        if staff.graph:
            from .staff import load_staff_graph

            return cls.of_graph(load_staff_graph(staff.graph, staff.nodes))
        sizes = staff.clinicians_per_department
        clinicians = sum(sizes) if isinstance(sizes, list) else sizes * staff.departments
        return cls(clinician_ids=range(clinicians), managers=staff.managers,
                   formal_champions=0)

    def unknown_ids(self, ids: Sequence) -> list:
        """The ids (compared as text, as a TOML file gives them) that are not clinicians."""
        if isinstance(self.clinician_ids, range):
            def known(text: str) -> bool:
                return text.isdigit() and str(int(text)) == text and int(text) in self.clinician_ids
        else:
            texts = {str(node) for node in self.clinician_ids}

            def known(text: str) -> bool:
                return text in texts
        return [node for node in ids if not known(str(node))]


def champions_enrolled(scenario: Scenario, outline: StaffOutline) -> int:
    """Clinicians enrolled as champions at week 0: the formal ones and those the rule picks."""
    champions = scenario.on("champions")
    if champions is None:
        return 0
    clinicians = len(outline.clinician_ids)
    if champions.nodes:   # at most: a named clinician may be a formal champion already
        return min(clinicians, outline.formal_champions + len(champions.nodes))
    if champions.rule == "formal":
        return outline.formal_champions
    return outline.formal_champions + min(scenario.staff.champions,
                                          clinicians - outline.formal_champions)


def seed_count(scenario: Scenario, clinicians: int) -> int:
    """Seeds chosen by the seeding rule (`count`, or `share` of the clinicians)."""
    seeding = scenario.seeding
    return seeding.count or int(round(seeding.share * clinicians))


def check_staff_requirements(scenario: Scenario, outline: StaffOutline) -> None:
    """Raise ScenarioError (naming the field) if the scenario cannot run on this staff."""
    managerial = [m for m in ("broadcast", "events", "mandate") if scenario.on(m)]
    if managerial and outline.managers == 0:
        raise ScenarioError(None, "staff.managers", f"{', '.join(managerial)} are run by "
                            "managers: the staff needs at least 1 manager")
    clinicians = len(outline.clinician_ids)
    if clinicians == 0:
        raise ScenarioError(None, "staff", "the staff graph has no clinicians")
    champions = scenario.on("champions")
    if champions is None and scenario.champions is None and scenario.staff.champions > 0:
        raise ScenarioError(None, "staff.champions", "champions need a [champions] table "
                            "(how they are chosen and act)")
    if champions is not None and champions.nodes:
        _check_named_champions(scenario, outline)
    elif champions is not None and champions.rule != "formal" and scenario.staff.champions == 0:
        raise ScenarioError(None, "staff.champions", "[champions] is on: give a number of "
                            "champions > 0 (or rule = \"formal\" with champion roles in the "
                            "graph)")
    if (champions is not None and not champions.nodes and champions.rule == "formal"
            and outline.formal_champions == 0):
        raise ScenarioError(None, "champions.rule", "rule = \"formal\" needs nodes with role = "
                            "\"champion\" in the staff graph file; none found")
    if scenario.seeding.nodes:
        missing = outline.unknown_ids(scenario.seeding.nodes)
        if missing:
            raise ScenarioError(None, "seeding.nodes",
                                f"not clinicians of the staff graph: {missing[:10]}")
        return
    count = seed_count(scenario, clinicians)
    free = clinicians - champions_enrolled(scenario, outline)
    if count > free:
        raise ScenarioError(None, "seeding", f"asks for {count} seeds but only {free} "
                            "clinicians are not yet enrolled")


def _check_named_champions(scenario: Scenario, outline: StaffOutline) -> None:
    """Champions named by node id: clinicians of the graph, no more than there are, and not
    also a number of champions to choose by rule (which would be ignored)."""
    nodes = scenario.champions.nodes
    clinicians = len(outline.clinician_ids)
    if len(nodes) > clinicians:
        raise ScenarioError(None, "champions.nodes", f"names {len(nodes)} champions but the "
                            f"staff has {clinicians} clinicians; allowed: at most {clinicians}")
    missing = outline.unknown_ids(nodes)
    if missing:
        raise ScenarioError(None, "champions.nodes", f"not clinicians of the staff graph: "
                            f"{missing[:10]}; allowed: clinician node ids (0 … "
                            f"{clinicians - 1} for a generated staff)")
    if scenario.staff.champions not in (0, len(nodes)):
        raise ScenarioError(None, "staff.champions", f"is {scenario.staff.champions} but "
                            f"[champions] nodes names {len(nodes)}; give 0 (or "
                            f"{len(nodes)}): named champions replace the rule's choice")


def check_scenario(scenario: Scenario) -> StaffOutline:
    """Everything `run` checks short of building the model (what `validate` calls)."""
    outline = StaffOutline.of_scenario(scenario)
    check_staff_requirements(scenario, outline)
    return outline
