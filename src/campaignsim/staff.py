"""The staff graph: departments, professions, roles and the ties between them.

A staff graph is a plain networkx graph whose nodes carry `role` (clinician, champion,
hybrid, manager), `department` and `profession`. It is loaded from GraphML or a CSV edge
list, or generated from `[staff]` (as arrays, see `generator`; the graph is built from
them only on request).
"""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import networkx as nx
import numpy as np

from .generator import GeneratedStaff
from .scenario import ScenarioError, Staff

ROLES = ("clinician", "champion", "hybrid", "manager")


def generate_staff_graph(staff: Staff, rng: np.random.Generator) -> nx.Graph:
    """Generate a hospital staff graph from `[staff]` (see `generator.GeneratedStaff`).

    Clinicians come first (ids 0 … n − 1, by department and profession), then hybrids,
    then managers. Each hybrid is tied to every clinician of its department and to every
    manager; managers are tied to each other. A model never builds this graph unless asked
    (`StaffWorld.graph`): it works on the generated arrays.

    Examples:
        >>> import numpy as np
        >>> staff = Staff(departments=1, clinicians_per_department=5,
        ...               within_department_density=1.0, hybrids_per_department=0, managers=0)
        >>> g = generate_staff_graph(staff, np.random.default_rng(0))
        >>> g.number_of_nodes(), g.number_of_edges()
        (5, 10)
    """
    return GeneratedStaff.generate(staff, rng).to_graph()


def _node_id(text: str, numeric: bool):
    return int(text) if numeric else text


def _is_integer(text: str) -> bool:
    return text.strip().lstrip("-").isdigit()


def _check_regular_file(path: Path, field: str) -> None:
    """Refuse a missing file, a folder, a device or a pipe (opening a FIFO would block)."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ScenarioError(None, field, f"file not found: {path}") from None
    except OSError as err:
        raise ScenarioError(None, field, f"{path}: cannot read it: {err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(None, field, f"{path}: not a regular file (a folder, device, pipe "
                            "or socket)")


def _read_csv_rows(path: Path, required: tuple[str, ...], field: str) -> list[dict]:
    _check_regular_file(path, field)
    try:
        # utf-8-sig: a CSV saved by Excel starts with a byte-order mark, which is not part of
        # the first column's name
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise ScenarioError(None, field, f"{path}: CSV needs columns {', '.join(required)} "
                                    f"(missing {', '.join(missing)}; found {', '.join(columns)})")
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError:
        raise ScenarioError(None, field, f"{path}: not a UTF-8 CSV file") from None
    except csv.Error as err:
        raise ScenarioError(None, field, f"{path}: malformed CSV: {err}") from None
    if not rows:
        raise ScenarioError(None, field, f"{path}: no rows below the header (an empty graph)")
    return rows


def _first(ids, limit: int = 5) -> str:
    """The first few of some node ids, for a message."""
    ids = list(ids)
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


NODE_ATTRIBUTES = ("threshold", "trust_in_management")


def _csv_graph(graph_path: Path, nodes_path: Path | None) -> nx.Graph:
    """A graph from a CSV edge list and an optional node CSV, which must agree on the ids.

    Refused: an empty id, an id listed twice in the node CSV, and an edge endpoint missing
    from the node CSV (the two files then describe different graphs: merging them would
    add every unmatched id as a clinician without attributes). A node of the node CSV in
    no edge is an isolated clinician, which is allowed.
    """
    rows = _read_csv_rows(graph_path, ("source", "target"), "staff.graph")
    node_rows = _read_csv_rows(nodes_path, ("id",), "staff.nodes") if nodes_path else []
    texts = [r[c] for r in rows for c in ("source", "target")] + [r["id"] for r in node_rows]
    if any(not i for i in texts):
        where = graph_path if any(not r[c] for r in rows for c in ("source", "target")) \
            else nodes_path
        raise ScenarioError(None, "staff.graph", f"{where}: empty node id in CSV")
    numeric = all(_is_integer(i) for i in texts)
    edges = [(_node_id(r["source"], numeric), _node_id(r["target"], numeric)) for r in rows]
    graph = nx.Graph()
    if node_rows:
        listed = [_node_id(r["id"], numeric) for r in node_rows]
        seen: set = set()
        duplicates = list(dict.fromkeys(i for i in listed if i in seen or seen.add(i)))
        if duplicates:
            raise ScenarioError(None, "staff.nodes", f"{nodes_path}: node ids listed more than "
                                f"once: {_first(duplicates)}")
        unknown = list(dict.fromkeys(e for edge in edges for e in edge if e not in seen))
        if unknown:
            raise ScenarioError(None, "staff.nodes", f"{nodes_path}: {len(unknown)} node ids of "
                                f"the edge list {graph_path.name} are not in the node CSV: "
                                f"{_first(unknown)} (the ids of the two files must match)")
        graph.add_nodes_from((node, {k: v for k, v in row.items() if k != "id" and v != ""})
                             for node, row in zip(listed, node_rows))
    graph.add_edges_from(edges)
    return graph


def _check_graphml_ids(path: Path) -> None:
    """Refuse what networkx merges silently: a node declared twice, and an edge to a node
    that is not declared (the GraphML forms of a node CSV that disagrees with its edges)."""
    from xml.etree import ElementTree

    declared: list = []
    endpoints: dict = {}
    for _, element in ElementTree.iterparse(path):  # the file parsed already: well-formed
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "node":
            declared.append(element.get("id"))
        elif tag == "edge":
            endpoints.update(dict.fromkeys((element.get("source"), element.get("target"))))
        element.clear()
    seen: set = set()
    duplicates = list(dict.fromkeys(i for i in declared if i in seen or seen.add(i)))
    if duplicates:
        raise ScenarioError(None, "staff.graph", f"{path}: node ids declared more than once: "
                            f"{_first(duplicates)}")
    undeclared = [i for i in endpoints if i not in seen]
    if undeclared:
        raise ScenarioError(None, "staff.graph", f"{path}: edges name {len(undeclared)} nodes "
                            f"that are not declared: {_first(undeclared)}")


def load_staff_graph(graph_path: str | Path, nodes_path: str | Path | None = None) -> nx.Graph:
    """Load a staff graph from GraphML or a CSV edge list (+ optional node CSV).

    Node ids are kept as the file gives them, except that ids which are all decimal
    integers become ints. Nodes without a role are clinicians; a clinician's missing
    department is 0 and its missing profession "nurse". Optional numeric node attributes
    `threshold` and `trust_in_management` override the scenario's distributions.
    An empty graph, duplicate node ids and a node CSV whose ids do not match the edge list
    are refused (ScenarioError); a UTF-8 byte-order mark is accepted.
    """
    graph_path = Path(graph_path)
    _check_regular_file(graph_path, "staff.graph")
    if graph_path.suffix.lower() in (".graphml", ".xml"):
        if nodes_path:  # it would be ignored: GraphML carries its own node attributes
            raise ScenarioError(None, "staff.nodes", f"a node CSV goes with a CSV edge list; "
                                f"{graph_path.name} is GraphML, whose nodes carry their "
                                "attributes: remove nodes")
        try:
            raw = nx.read_graphml(graph_path)
        except Exception as err:  # networkx raises several parser errors
            raise ScenarioError(None, "staff.graph", f"{graph_path}: unreadable GraphML: {err}") from None
        if raw.number_of_nodes() == 0:
            raise ScenarioError(None, "staff.graph", f"{graph_path}: the graph has no nodes")
        _check_graphml_ids(graph_path)
        numeric = all(_is_integer(str(n)) for n in raw.nodes)
        ids = [_node_id(str(n), numeric) for n in raw]
        if len(set(ids)) < len(ids):
            seen: set = set()
            duplicates = [i for i in ids if i in seen or seen.add(i)]
            raise ScenarioError(None, "staff.graph", f"{graph_path}: node ids that are the same "
                                f"number: {_first(dict.fromkeys(duplicates))}")
        graph = nx.relabel_nodes(nx.Graph(raw), dict(zip(raw, ids)))
    else:
        graph = _csv_graph(graph_path, Path(nodes_path) if nodes_path else None)
    graph.remove_edges_from(nx.selfloop_edges(graph))
    _normalise_attributes(graph, Path(nodes_path) if nodes_path else graph_path)
    return graph


def _normalise_attributes(graph: nx.Graph, source: Path) -> None:
    for node, attributes in graph.nodes(data=True):
        role = str(attributes.get("role", "clinician") or "clinician")
        if role not in ROLES:
            raise ScenarioError(None, "staff.nodes", f"{source}: node {node!r} has unknown "
                                f"role {role!r}; allowed: {', '.join(ROLES)}")
        attributes["role"] = role
        department = attributes.get("department", 0)
        attributes["department"] = int(department) if _is_integer(str(department)) else department
        attributes.setdefault("profession", "nurse" if role in ("clinician", "champion")
                              else role)
        for key in NODE_ATTRIBUTES:
            if key in attributes:
                try:
                    value = float(attributes[key])
                except ValueError:
                    value = float("nan")
                if not 0.0 <= value <= 1.0:
                    raise ScenarioError(None, "staff.nodes", f"{source}: node {node!r}: {key} "
                                        f"must be a number in [0, 1] (got {attributes[key]!r})")
                attributes[key] = value

