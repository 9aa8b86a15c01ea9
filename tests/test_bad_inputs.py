"""The bad-input corpus: every user-facing failure is one message and exit 2, never a
traceback, and `validate` and `run` agree on every scenario.

The corpus is generated: each field of the scenario schema (walked from the pydantic
models, so a new field is covered without touching this file) given a wrong type, a value
out of its range, nan and inf, and each table an unknown key; malformed TOML; bad
`extends` targets; bad graph files; bad command-line flags. Every case goes through the
real command line, `campaignsim.cli.main`, in-process (the same code path as the console
script without a second of start-up per case); a handful also run as real subprocesses.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Literal, get_origin

import annotated_types
import pytest

from campaignsim import cli
from campaignsim.scenario import Beta, Normal, Scenario, Uniform, _leaf_types, _table_models

#: A tiny scenario that runs in a blink (6 clinicians, 2 weeks); every case mutates it.
TINY = {"weeks": 2, "staff": {"departments": 1, "clinicians_per_department": 6,
                              "hybrids_per_department": 0, "managers": 1,
                              "within_department_density": 0.5}}
DISTRIBUTIONS = (Normal, Beta, Uniform)


# --- writing TOML (the corpus needs nan, inf and inline tables) ---------------------------

def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_text(data: dict) -> str:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items()
             if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{key}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def with_path(data: dict, path: tuple, value) -> dict:
    """A copy of `data` with the nested key `path` set (tables created on the way)."""
    data = dict(data)
    if len(path) == 1:
        data[path[0]] = value
    else:
        child = data.get(path[0])
        data[path[0]] = with_path(child if isinstance(child, dict) else {}, path[1:], value)
    return data


# --- the schema mutations ------------------------------------------------------------------

def schema_fields(model=Scenario, prefix: tuple = ()):
    """(path, field info, is a table) of every field, tables recursed into."""
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        tables = [m for m in _table_models(info.annotation) if m not in DISTRIBUTIONS]
        if tables:
            yield path, info, True
            yield from schema_fields(tables[0], path)
        else:
            yield path, info, False


def bound_values(info, integer: bool) -> list:
    step = 1 if integer else 0.5
    values = []
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            values.append(rule.ge - step)
        elif isinstance(rule, annotated_types.Gt):
            values.append(rule.gt)
        elif isinstance(rule, annotated_types.Le):
            values.append(rule.le + step)
        elif isinstance(rule, annotated_types.Lt):
            values.append(rule.lt)
        elif isinstance(rule, annotated_types.MaxLen):
            values.append("x" * (rule.max_length + 1))
    return values


def mutations(info, is_table: bool) -> list[tuple[str, object]]:
    """(kind, bad value) pairs for one field."""
    if is_table:
        return [("not-a-table", 5), ("unknown-key", {"no_such_field": 1})]
    types = _leaf_types(info.annotation)
    attribute = any(m in DISTRIBUTIONS for m in _table_models(info.annotation))
    cases: list[tuple[str, object]] = []
    if types & {int, float}:
        cases.append(("string-for-number", "12"))
        integer = float not in types
        cases += [(f"out-of-range-{v!r}", v) for v in bound_values(info, integer)]
        if integer:
            cases.append(("float-for-integer", 1.5))
        else:
            cases += [("nan", math.nan), ("inf", math.inf), ("-inf", -math.inf)]
        if attribute:
            cases += [("attribute-above-1", 1.5), ("attribute-below-0", -0.5)]
    elif bool in types:
        cases.append(("string-for-bool", "yes"))
    elif str in types:
        cases.append(("number-for-text", 12345))
        cases += [("too-long", v) for v in bound_values(info, integer=False)]
        if get_origin(info.annotation) is Literal:
            cases.append(("unknown-choice", "bogus"))
        if any(getattr(rule, "pattern", None) for rule in info.metadata):
            cases.append(("bad-characters", "a/b c"))
    if list in types or dict in types:
        cases.append(("scalar-for-list", True))
    return cases


def schema_cases() -> dict:
    cases = {}
    for path, info, is_table in schema_fields():
        base = TINY
        if path[:2] == ("sweep", "sample"):
            base = {**TINY, "sweep": {"sample": {"samples": 4,
                                                 "ranges": {"broadcast.intensity": [0, 1]}}}}
        elif path[0] == "sweep":
            base = {**TINY, "sweep": {"grid": {"weeks": [2]}}}
        for kind, value in mutations(info, is_table):
            cases[f"{'.'.join(path)}:{kind}"] = (
                {"bad.toml": toml_text(with_path(base, path, value))}, path[-1])
    return cases


DISTRIBUTION_CASES = {
    f"distribution:{field}:{kind}": (
        {"bad.toml": toml_text(with_path(TINY, tuple(field.split(".")), table))}, field)
    for field in ("clinicians.trust_in_management", "peer.threshold", "hybrids.alignment")
    for kind, table in {
        "normal-mean-nan": {"distribution": "normal", "mean": math.nan, "sd": 0.1},
        "normal-sd-inf": {"distribution": "normal", "mean": 0.5, "sd": math.inf},
        "normal-sd-negative": {"distribution": "normal", "mean": 0.5, "sd": -1},
        "normal-missing-sd": {"distribution": "normal", "mean": 0.5},
        "uniform-low-minus-inf": {"distribution": "uniform", "low": -math.inf, "high": 1},
        "uniform-high-nan": {"distribution": "uniform", "low": 0, "high": math.nan},
        "uniform-reversed": {"distribution": "uniform", "low": 0.9, "high": 0.1},
        "beta-a-zero": {"distribution": "beta", "a": 0, "b": 2},
        "beta-b-inf": {"distribution": "beta", "a": 2, "b": math.inf},
        "unknown-distribution": {"distribution": "cauchy", "x0": 0},
        "extra-key": {"distribution": "beta", "a": 2, "b": 2, "c": 1},
    }.items()
}

SWEEP_CASES = {
    f"sweep:{kind}": ({"bad.toml": toml_text({**TINY, "sweep": sweep})}, "sweep")
    for kind, sweep in {
        "grid-nan": {"grid": {"broadcast.intensity": [0.1, math.nan]}},
        "grid-inf": {"grid": {"hybrids.alignment": [math.inf]}},
        "grid-unknown-path": {"grid": {"broadcast.intensty": [0.1]}},
        "grid-empty-values": {"grid": {"broadcast.intensity": []}},
        "grid-out-of-range": {"grid": {"broadcast.intensity": [2.0]}},
        "range-nan": {"sample": {"samples": 4, "ranges": {"broadcast.intensity": [0, math.nan]}}},
        "range-inf": {"sample": {"samples": 4, "ranges": {"broadcast.intensity": [-math.inf, 1]}}},
        "range-reversed": {"sample": {"samples": 4, "ranges": {"broadcast.intensity": [1, 0]}}},
        "sobol-not-power-of-2": {"sample": {"method": "sobol", "samples": 3,
                                            "ranges": {"broadcast.intensity": [0, 1]}}},
        "grid-and-sample": {"grid": {"weeks": [2]},
                            "sample": {"samples": 4, "ranges": {"weeks": [1, 2]}}},
        "seed-swept": {"grid": {"seed": [1, 2]}},
        "grid-time-of-day": {"grid": {"hybrids.alignment": [datetime.time(7, 32)]}},
    }.items()
}

#: malformed TOML, and well-formed TOML of the wrong kind (dates, huge integers)
MALFORMED_TOML = {
    f"toml:{kind}": ({"bad.toml": text}, None) for kind, text in {
        "unclosed-table": "[broadcast\nintensity = 0.1\n",
        "unclosed-string": 'name = "abc\n',
        "duplicate-key": "weeks = 2\nweeks = 3\n",
        "duplicate-table": "[peer]\n[peer]\n",
        "bare-word": "weeks = two\n",
        "missing-value": "weeks =\n",
        "bad-escape": 'name = "a\\q"\n',
        "binary": "\x00\x01\x02",
        "inline-table-newline": "staff = { departments = 1,\n managers = 0 }\n",
        "array-of-tables-for-table": "[[staff]]\ndepartments = 1\n",
        "trailing-comma-inline": "staff = { departments = 1, }\n",
        "date-for-number": "weeks = 1979-05-27\n",
        "datetime-for-text": "description = 1979-05-27T07:32:00Z\n",
        "huge-integer": "weeks = 99999999999999999999999999\n",
    }.items()
}


def extends_cases(root: Path) -> dict:
    deep = {f"d{i}.toml": f'extends = "d{i + 1}.toml"\n' for i in range(70)}
    deep["d70.toml"] = "weeks = 2\n"
    return {
        "extends:missing": ({"bad.toml": 'extends = "nope.toml"\n'}, "nope.toml"),
        "extends:directory": ({"bad.toml": 'extends = "."\n'}, "directory"),
        "extends:dev-zero": ({"bad.toml": 'extends = "/dev/zero"\n'}, "regular file"),
        "extends:dev-null": ({"bad.toml": 'extends = "/dev/null"\n'}, "regular file"),
        "extends:fifo": ({"bad.toml": 'extends = "pipe"\n', "pipe": "FIFO"}, "regular file"),
        "extends:self": ({"bad.toml": 'extends = "bad.toml"\n'}, "cycle"),
        "extends:cycle-of-two": ({"bad.toml": 'extends = "b.toml"\n',
                                  "b.toml": 'extends = "bad.toml"\n'}, "cycle"),
        "extends:number": ({"bad.toml": "extends = 3\n"}, "extends"),
        "extends:empty-string": ({"bad.toml": 'extends = ""\n'}, "extends"),
        "extends:list": ({"bad.toml": 'extends = ["a.toml"]\n'}, "extends"),
        "extends:parent-malformed": ({"bad.toml": 'extends = "p.toml"\n', "p.toml": "[x\n"},
                                     "p.toml"),
        "extends:parent-bad-value": ({"bad.toml": 'extends = "p.toml"\n',
                                      "p.toml": "weeks = 0\n"}, "p.toml"),
        "extends:parent-missing-grandparent": ({"bad.toml": 'extends = "p.toml"\n',
                                                "p.toml": 'extends = "gone.toml"\n'},
                                               "p.toml"),
        "extends:parent-binary": ({"bad.toml": 'extends = "p.toml"\n', "p.toml": b"\xff\xfe"},
                                  "UTF-8"),
        "extends:too-big": ({"bad.toml": 'extends = "p.toml"\n',
                             "p.toml": "# " + "x" * (1 << 20) + "\n"}, "larger"),
        "extends:too-deep": ({"bad.toml": 'extends = "d0.toml"\n', **deep}, "more than 64"),
        "scenario:missing": ({}, "not found"),
        "scenario:is-a-directory": ({"bad.toml": "DIR"}, "directory"),
        "scenario:too-big": ({"bad.toml": "# " + "x" * (1 << 20) + "\n"}, "larger"),
    }


def _graph_scenario(graph: str, nodes: str | None = None, extra: str = "") -> str:
    lines = ["weeks = 2", "[staff]", f'graph = "{graph}"']
    if nodes:
        lines.append(f'nodes = "{nodes}"')
    return "\n".join(lines) + "\n" + extra


EDGES = "source,target\n1,2\n2,3\n3,1\n"
NODES = "id,role\n1,\n2,\n3,manager\n"
GRAPHML_HEAD = ('<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                '<graph edgedefault="undirected">')
GRAPH_CASES = {
    f"graph:{kind}": (files, fragment) for kind, (files, fragment) in {
        "empty-file": ({"e.csv": ""}, "e.csv"),
        "header-only": ({"e.csv": "source,target\n"}, "empty graph"),
        "nodes-header-only": ({"e.csv": EDGES, "n.csv": "id,role\n"}, "n.csv"),
        "missing-columns": ({"e.csv": "from,to\n1,2\n"}, "source"),
        "empty-id": ({"e.csv": "source,target\n1,\n"}, "empty node id"),
        "duplicate-node-ids": ({"e.csv": EDGES, "n.csv": NODES + "2,\n"}, "more than once"),
        "duplicate-as-numbers": ({"e.csv": EDGES, "n.csv": NODES + "02,\n"}, "more than once"),
        "nodes-disjoint": ({"e.csv": EDGES, "n.csv": "id,role\n7,\n8,\n9,manager\n"},
                           "not in the node CSV"),
        "nodes-partly-missing": ({"e.csv": EDGES + "3,4\n", "n.csv": NODES}, "4"),
        "unknown-role": ({"e.csv": EDGES, "n.csv": "id,role\n1,surgeon\n2,\n3,\n"}, "surgeon"),
        "threshold-not-a-number": ({"e.csv": EDGES, "n.csv": "id,threshold\n1,high\n2,\n3,\n"},
                                   "threshold"),
        "threshold-nan": ({"e.csv": EDGES, "n.csv": "id,threshold\n1,nan\n2,\n3,\n"},
                          "threshold"),
        "trust-above-1": ({"e.csv": EDGES, "n.csv": "id,trust_in_management\n1,1.7\n2,\n3,\n"},
                          "trust_in_management"),
        "trust-inf": ({"e.csv": EDGES, "n.csv": "id,trust_in_management\n1,inf\n2,\n3,\n"},
                      "trust_in_management"),
        "not-utf8": ({"e.csv": b"source,target\n\xff,\xfe\n"}, "UTF-8"),
        "missing-graph": ({}, "not found"),
        "missing-nodes": ({"e.csv": EDGES}, "not found"),
        "graph-is-directory": ({"e.csv": "DIR"}, "regular file"),
        "graph-is-fifo": ({"e.csv": "FIFO"}, "regular file"),
        "nodes-is-fifo": ({"e.csv": EDGES, "n.csv": "FIFO"}, "regular file"),
        "no-clinicians": ({"e.csv": "source,target\n1,2\n",
                           "n.csv": "id,role\n1,manager\n2,hybrid\n"}, "no clinicians"),
        "seed-not-in-graph": ({"e.csv": EDGES}, "seeding.nodes"),
        "formal-champions-none": ({"e.csv": EDGES}, "champion"),
        "broadcast-without-manager": ({"e.csv": EDGES}, "manager"),
        "too-many-seeds": ({"e.csv": EDGES}, "seeds"),
        "graphml-no-nodes": ({"g.graphml": GRAPHML_HEAD + "</graph></graphml>"}, "no nodes"),
        "graphml-garbage": ({"g.graphml": "<graphml><graph><node id='1'"}, "g.graphml"),
        "graphml-not-xml": ({"g.graphml": "source,target\n1,2\n"}, "g.graphml"),
        "graphml-entity-bomb": ({"g.graphml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a '
                                 '"aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                                 "<graphml>&b;</graphml>"}, "g.graphml"),
        "graphml-bad-role": ({"g.graphml": GRAPHML_HEAD.replace(
            "<graph ", '<key id="r" for="node" attr.name="role" attr.type="string"/><graph ')
            + '<node id="1"><data key="r">pilot</data></node></graph></graphml>'}, "pilot"),
        "graphml-node-twice": ({"g.graphml": GRAPHML_HEAD + '<node id="a"/><node id="a"/>'
                                '<node id="b"/><edge source="a" target="b"/></graph></graphml>'},
                               "declared more than once: 'a'"),
        "graphml-undeclared-endpoint": ({"g.graphml": GRAPHML_HEAD + '<node id="a"/><node '
                                         'id="b"/><edge source="a" target="c"/></graph>'
                                         "</graphml>"}, "not declared: 'c'"),
        "graphml-with-node-csv": ({"g.graphml": GRAPHML_HEAD + '<node id="1"/></graph>'
                                   "</graphml>", "n.csv": "id,role\n1,\n"}, "remove nodes"),
        "graphml-same-number-twice": ({"g.graphml": GRAPHML_HEAD + '<node id="1"/><node '
                                       'id="01"/></graph></graphml>'}, "same number"),
    }.items()
}


def _graph_files(kind: str, files: dict) -> tuple[dict, str]:
    """The scenario file for a graph case (which files it names, and extra tables)."""
    graph = "g.graphml" if "g.graphml" in files else "e.csv"
    nodes = "n.csv" if "n.csv" in files or kind == "missing-nodes" else None
    extra = {"seed-not-in-graph": "[seeding]\nnodes = [1, 99]\n",
             "formal-champions-none": '[champions]\nrule = "formal"\n',
             "broadcast-without-manager": "[broadcast]\n",
             "too-many-seeds": "[seeding]\ncount = 4\n"}.get(kind, "")
    return {**files, "bad.toml": _graph_scenario(graph, nodes, extra)}, graph


#: seed nodes the generated staff graph does not have (checked without building it)
SEED_NODE_CASES = {
    f"seeding:{kind}": ({"bad.toml": toml_text({**TINY, "seeding": {"nodes": nodes}})},
                        "seeding.nodes")
    for kind, nodes in {"beyond-the-staff": [999], "negative": [-1],
                        "unknown-name": ["top_degree"]}.items()
}

SCENARIO_CASES = {**schema_cases(), **DISTRIBUTION_CASES, **SWEEP_CASES, **MALFORMED_TOML,
                  **GRAPH_CASES, **SEED_NODE_CASES}
EXTENDS_KINDS = list(extends_cases(Path(".")))

#: argv (the scenario file written as TINY is "{s}") → flag named in the message
FLAG_CASES = {
    **{f"flag:{command}:{flag}={value}": ([command, "{s}", flag, value], flag)
       for command, flag, values in [
           ("run", "--seed", ["-1", "4294967296", "1.5", "abc", "", "0x10"]),
           ("run", "--steps", ["0", "-3", "1041", "2.0", "many"]),
           ("compare", "--seed", ["-1", "18446744073709551616", "seven"]),
           ("compare", "--workers", ["-3", "0", "1025", "two"]),
           ("compare", "--replications", ["0", "-1", "100001", "1e3"]),
           ("sweep", "--workers", ["0", "-1"]),
           ("sweep", "--chunk", ["0", "-5", "1.5"]),
           ("run", "--max-memory", ["lots", "-1G", "0", "2X", ""]),
           ("compare", "--max-memory", ["1.5.5G"]),
           ("sweep", "--max-memory", ["G"]),
           ("app", "--port", ["-1", "65536", "http"]),
       ] for value in values},
    "flag:unknown-option": (["run", "{s}", "--sead", "1"], "--sead"),
    "flag:unknown-command": (["launch"], "launch"),
    "flag:no-command": ([], "COMMAND"),
    "flag:validate-without-file": (["validate"], "file"),
    "flag:bad-executor": (["sweep", "{s}", "--executor", "threads"], "--executor"),
    "flag:scheduler-without-dask": (["sweep", "{s}", "--executor", "processes",
                                     "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
}


def materialise(folder: Path, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        if content == "FIFO":
            os.mkfifo(path)
        elif content == "DIR":
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _hung(signum, frame):
    raise TimeoutError("the command hung (did it open a pipe?)")


@contextlib.contextmanager
def bounded(seconds: int = 30, spare_bytes: int = 3 * 1024**3):
    """Fail rather than hang (opening a FIFO blocks) or exhaust the machine (reading
    /dev/zero, building 200 million clinicians): an alarm after `seconds`, and an
    address-space limit of what the process maps now plus `spare_bytes`."""
    with open("/proc/self/status") as status:
        mapped = next(int(line.split()[1]) * 1024 for line in status
                      if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + spare_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    previous = signal.signal(signal.SIGALRM, _hung)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def call(argv: list[str], capfd) -> tuple[int, str, str]:
    """Run the CLI in-process (bounded in time and memory); an argparse usage error's
    SystemExit gives its code."""
    try:
        with bounded():
            status = cli.main(argv)
    except SystemExit as exit_:
        status = exit_.code
    captured = capfd.readouterr()
    return status, captured.out, captured.err


def assert_refused(status, out: str, err: str, fragment: str | None) -> None:
    assert status == 2, (status, err)
    assert "Traceback" not in err + out
    assert "error" in err
    if fragment:
        assert fragment in err, (fragment, err)


def test_the_corpus_has_at_least_200_cases():
    total = len(SCENARIO_CASES) + len(EXTENDS_KINDS) + len(FLAG_CASES)
    assert total >= 200, total


@pytest.mark.parametrize("case", list(SCENARIO_CASES))
def test_bad_scenario_validate_and_run_both_refuse(tmp_path, capfd, case):
    files, fragment = SCENARIO_CASES[case]
    if case.startswith("graph:"):
        files, _ = _graph_files(case.split(":", 1)[1], files)
    materialise(tmp_path, files)
    scenario = str(tmp_path / "bad.toml")
    validated = call(["validate", scenario], capfd)
    assert_refused(*validated, fragment)
    # run ignores [sweep]: a bad sweep table is the sweep command's to refuse
    command = "sweep" if case.startswith("sweep") else "run"
    ran = call([command, scenario, "--out", str(tmp_path / "out")], capfd)
    assert_refused(*ran, fragment)
    assert validated[2].splitlines()[-1] == ran[2].splitlines()[-1]  # the same message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", EXTENDS_KINDS)
def test_bad_extends_validate_and_run_both_refuse(tmp_path, capfd, case):
    files, fragment = extends_cases(tmp_path)[case]
    materialise(tmp_path, files)
    scenario = str(tmp_path / "bad.toml")
    for argv in (["validate", scenario], ["run", scenario, "--out", str(tmp_path / "out")]):
        assert_refused(*call(argv, capfd), fragment)


@pytest.mark.parametrize("case", list(FLAG_CASES))
def test_bad_flag_is_a_usage_error_naming_the_flag(tmp_path, capfd, case):
    argv, flag = FLAG_CASES[case]
    scenario = tmp_path / "s.toml"
    scenario.write_text(toml_text({**TINY, "sweep": {"grid": {"weeks": [2]},
                                                     "replications": 1}}))
    argv = [a.replace("{s}", str(scenario)) for a in argv]
    status, out, err = call(argv, capfd)
    assert_refused(status, out, err, flag)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["basline", "sweeps/nope"])
def test_unknown_bundled_name_validate_and_run_agree(tmp_path, capfd, name):
    validated = call(["validate", name], capfd)
    ran = call(["run", name, "--out", str(tmp_path / "out")], capfd)
    for result in (validated, ran):
        assert_refused(*result, "nor a bundled scenario of that name; bundled: baseline")
    assert validated[2] == ran[2]
    assert not (tmp_path / "out").exists()


def test_the_tiny_scenario_and_a_bom_graph_are_accepted_by_both(tmp_path, capfd):
    """The control: the corpus's base scenario and an Excel-style CSV pass validate and
    run (so the refusals above are the mutations' doing)."""
    materialise(tmp_path, {"ok.toml": toml_text(TINY), "e.csv": "\ufeff" + EDGES,
                           "n.csv": "\ufeff" + NODES,
                           "g.toml": _graph_scenario("e.csv", "n.csv")})
    for name in ("ok.toml", "g.toml"):
        assert call(["validate", str(tmp_path / name)], capfd)[0] == 0
        assert call(["run", str(tmp_path / name), "--out", str(tmp_path / name[:-5])],
                    capfd)[0] == 0


def limit_memory(limit: int = 4 * 1024**3) -> None:
    """For a child process: at most `limit` bytes of address space (a regression fails
    with MemoryError instead of exhausting a shared machine)."""
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


SUBPROCESS_CASES = ["graph:header-only", "distribution:clinicians.trust_in_management:"
                    "uniform-low-minus-inf", "extends:too-deep", "flag:compare:--seed=-1",
                    "flag:compare:--workers=-3"]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_a_handful_through_a_real_subprocess(tmp_path, case):
    if case in FLAG_CASES:
        argv, fragment = FLAG_CASES[case]
        (tmp_path / "s.toml").write_text(toml_text(TINY))
        argv = [a.replace("{s}", str(tmp_path / "s.toml")) for a in argv]
    else:
        files, fragment = (extends_cases(tmp_path)[case] if case.startswith("extends:")
                           else SCENARIO_CASES[case])
        if case.startswith("graph:"):
            files, _ = _graph_files(case.split(":", 1)[1], files)
        materialise(tmp_path, files)
        argv = ["run", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out")]
    result = subprocess.run([sys.executable, "-m", "campaignsim.cli", *argv], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60,
                            preexec_fn=limit_memory)
    assert_refused(result.returncode, result.stdout, result.stderr, fragment)
