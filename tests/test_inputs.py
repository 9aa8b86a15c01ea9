"""Issue 10's input cases, one test each (named by the issue's case number): the memory
budget (2), messages instead of tracebacks (5), finite numbers (6), graph files that
disagree (7), `extends` to devices, pipes and missing files (8), the Python API's
arguments (11), and `validate` checking what `run` checks.

Each failed on the code before the fix (tracebacks, hangs, silent acceptance); the
broader generated corpus is tests/test_bad_inputs.py. The budget module is imported inside
the tests that use it, so that on the old code each test fails on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import networkx as nx
import numpy as np
import pytest

import campaignsim
from campaignsim import cli
from campaignsim.compare import compare
from campaignsim.model import CampaignModel
from campaignsim.scenario import ScenarioError, load_scenario
from campaignsim.staff import generate_staff_graph, load_staff_graph
from conftest import BASELINE, scenario, staff, write
from test_bad_inputs import call as _call, limit_memory

TINY = "weeks = 2\n[staff]\ndepartments = 1\nclinicians_per_department = 6\nmanagers = 1\n" \
       "hybrids_per_department = 0\n"
HUGE = "[staff]\ndepartments = 1000\nclinicians_per_department = 200000\n"


def budget():
    """campaignsim.budget, imported by the tests that use it (alone failing on old code)."""
    import campaignsim.budget

    return campaignsim.budget


def call(argv, capsys) -> tuple[int, str, str]:
    """The CLI in-process (a hang fails after 30 s), arguments as text."""
    return _call([str(a) for a in argv], capsys)


def refused(result, *fragments) -> str:
    status, out, err = result
    assert status == 2, err
    assert "Traceback" not in out + err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


# --- 2. memory ---------------------------------------------------------------------------


def test_case2_validate_prints_the_estimate_and_run_refuses_within_2_s(tmp_path, capsys):
    path = write(tmp_path / "huge.toml", HUGE)
    status, out, err = call(["validate", path], capsys)
    assert status == 0 and json.loads(out)["staff"]["departments"] == 1000  # clean JSON
    assert "valid; a run needs about" in err and "200,000,000 clinicians" in err
    started = time.perf_counter()
    err = refused(call(["run", path, "--out", tmp_path / "out"], capsys),
                  "200,000,000 clinicians", "of memory", "the machine has", "--yes")
    assert time.perf_counter() - started < 2.0
    assert not (tmp_path / "out").exists()
    # the console command, start-up included
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "campaignsim.cli", "run", str(path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            preexec_fn=limit_memory)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "PB of memory" in result.stderr
    assert time.perf_counter() - started < 5.0  # ~0.6 s on an idle 2-core machine


def test_case2_expected_ties_match_a_generated_graph():
    """The estimate's ties are the generator's expectation: hand-computed for a small
    staff, and within 3 % of the edges of a generated 1,500-clinician hospital."""
    table = staff(10, departments=2, within_department_density=0.5,
                  between_department_density=0.1, hybrids_per_department=1, managers=2)
    # within 2 × C(10,2) × 0.5 = 45; between 10 × 10 × 0.1 = 10; hybrids 1 × 20;
    # managers × hybrids 2 × 2; the managers' clique 1
    assert budget().estimate_run(scenario(staff=table)).ties == 80
    big = scenario(staff=staff(300, departments=5, within_department_density=0.05,
                               between_department_density=0.004, hybrids_per_department=2,
                               managers=3))
    edges = generate_staff_graph(big.staff, np.random.default_rng(1)).number_of_edges()
    assert budget().estimate_run(big).ties == pytest.approx(edges, rel=0.03)


def test_case2_estimate_within_a_factor_of_2_of_the_measured_peak(tmp_path):
    """A 10,000-staff run (baseline mechanisms, 52 weeks) in a fresh process: its own peak
    resident memory against the estimate (benchmarks/bench_memory.py does 100,000 too)."""
    path = write(tmp_path / "s.toml", f'extends = "{BASELINE}"\n[staff]\ndepartments = 125\n'
                                      "clinicians_per_department = 80\n")
    child = ("import sys\nfrom campaignsim import cli\n"
             "assert cli.main(['run', sys.argv[1], '--out', sys.argv[2], '--yes']) == 0\n"
             "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    result = subprocess.run([sys.executable, "-c", child, str(path), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300, check=True)
    peak = int(result.stdout.split()[-2]) * 1024
    estimate = budget().estimate_run(load_scenario(path)).bytes
    assert 0.5 < estimate / peak < 2.0, (estimate, peak)
    base = budget().BASE_BYTES  # and the model's share, not just the libraries, is estimated
    assert estimate - base > 0.3 * (peak - base)


def test_case2_max_memory_refuses_and_yes_goes_ahead(tmp_path, capsys):
    path = write(tmp_path / "tiny.toml", TINY)
    refused(call(["run", path, "--max-memory", "100M", "--out", tmp_path / "a"], capsys),
            "--max-memory is 100.0 MB", "6 clinicians")
    assert not (tmp_path / "a").exists()
    assert call(["run", path, "--max-memory", "100M", "--yes", "--out", tmp_path / "a"],
                capsys)[0] == 0
    assert budget().parse_size("2G") == 2 * 1024**3 and budget().parse_size("500M") == 500 * 1024**2


def test_case2_compare_counts_every_worker(tmp_path, capsys):
    """Two workers each hold a run, and the parent its libraries: 2 × run + base."""
    path = write(tmp_path / "tiny.toml", TINY)
    one_run = budget().estimate_run(load_scenario(path)).bytes
    limit = f"{(one_run + budget().BASE_BYTES) // 1024}K"   # room for one run, not two
    refused(call(["compare", path, "-r", "2", "--workers", "2", "--max-memory", limit,
                  "--out", tmp_path / "c"], capsys), "2 at once")
    assert call(["compare", path, "-r", "2", "--workers", "1", "--max-memory", limit,
                 "--out", tmp_path / "c"], capsys)[0] == 0


# --- 5. one message and exit 2, never a traceback ------------------------------------------


@pytest.mark.parametrize("graph, text", [
    ("g.graphml", '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/'
                  'xmlns"><graph edgedefault="undirected"></graph></graphml>'),
    ("e.csv", "source,target\n"),
])
def test_case5_empty_graph_is_a_message(tmp_path, capsys, graph, text):
    write(tmp_path / graph, text)
    path = write(tmp_path / "s.toml", f'[staff]\ngraph = "{graph}"\n')
    for command in ("validate", "run"):
        refused(call([command, path, "--out", tmp_path / "o"][:2 if command == "validate"
                                                                else 4], capsys),
                "staff.graph", graph)


def test_case5_uniform_low_minus_inf_is_refused(tmp_path, capsys):
    path = write(tmp_path / "s.toml", '[clinicians]\ntrust_in_management = { distribution = '
                                      '"uniform", low = -inf, high = 1 }\n')
    refused(call(["run", path, "--out", tmp_path / "o"], capsys),
            "clinicians.trust_in_management.low", "finite number")


@pytest.mark.parametrize("flag, value, allowed", [("--seed", "-1", "from 0 to 4294967295"),
                                                  ("--workers", "-3", "from 1 to 1024"),
                                                  ("--workers", "0", "from 1 to 1024")])
def test_case5_compare_flags_out_of_range(tmp_path, capsys, flag, value, allowed):
    path = write(tmp_path / "tiny.toml", TINY)
    refused(call(["compare", path, flag, value, "--out", tmp_path / "c"], capsys), flag, allowed)
    assert not (tmp_path / "c").exists()


def test_case5_a_1000_deep_extends_chain_is_a_message(tmp_path, capsys):
    for i in range(1000):
        write(tmp_path / f"d{i}.toml", f'extends = "d{i + 1}.toml"\n')
    write(tmp_path / "d1000.toml", TINY)
    refused(call(["validate", tmp_path / "d0.toml"], capsys), "extends", "more than 64")


# --- 6. finite numbers ---------------------------------------------------------------------


def test_case6_nan_in_a_distribution_is_refused_and_validate_prints_strict_json(tmp_path, capsys):
    path = write(tmp_path / "s.toml", TINY + '[clinicians]\ntrust_in_management = { '
                                             'distribution = "normal", mean = nan, sd = 0.1 }\n')
    refused(call(["validate", path], capsys), "trust_in_management.mean", "finite")
    sweep = write(tmp_path / "w.toml", TINY + '[sweep.grid]\n"broadcast.intensity" = [0.1, nan]\n')
    refused(call(["validate", sweep], capsys), "not a finite number")

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")
    status, out, _ = call(["validate", BASELINE], capsys)
    assert status == 0 and json.loads(out, parse_constant=no_constants)["seed"] == 1


# --- 7. graph files that disagree ----------------------------------------------------------


def test_case7_a_node_csv_that_does_not_match_the_edges_is_refused(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\n" + "".join(f"{i},{i + 1}\n"
                                                                  for i in range(100)))
    nodes = write(tmp_path / "n.csv", "id,role\n" + "".join(f"{i},\n" for i in range(500, 600)))
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(edges, nodes)
    assert "101 node ids of the edge list e.csv are not in the node CSV: 0, 1, 2, 3, 4 and " \
           "96 more" in str(caught.value)


def test_case7_duplicate_node_ids_are_named(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\na,b\nb,c\n")
    nodes = write(tmp_path / "n.csv", "id,role\na,\nb,hybrid\nc,\nb,manager\n")
    with pytest.raises(ScenarioError) as caught:
        load_staff_graph(edges, nodes)
    assert caught.value.field == "staff.nodes"
    assert "node ids listed more than once: 'b'" in str(caught.value)


def test_case7_a_csv_with_a_byte_order_mark_reads_as_without(tmp_path):
    text_edges = "source,target\n1,2\n2,3\n"
    text_nodes = "id,role,threshold\n1,,0.3\n2,,\n3,manager,\n"
    plain = load_staff_graph(write(tmp_path / "e.csv", text_edges),
                             write(tmp_path / "n.csv", text_nodes))
    (tmp_path / "eb.csv").write_bytes(b"\xef\xbb\xbf" + text_edges.encode())
    (tmp_path / "nb.csv").write_bytes(b"\xef\xbb\xbf" + text_nodes.encode())
    marked = load_staff_graph(tmp_path / "eb.csv", tmp_path / "nb.csv")
    assert nx.utils.graphs_equal(plain, marked)
    assert marked.nodes[1]["threshold"] == 0.3 and marked.nodes[3]["role"] == "manager"


# --- 8. extends ----------------------------------------------------------------------------


@pytest.mark.parametrize("target, words", [("/dev/zero", "not a regular file"),
                                           ("pipe", "not a regular file"),
                                           ("missing.toml", "file not found"),
                                           (".", "is a directory")])
def test_case8_extends_names_the_referring_file_and_never_blocks(tmp_path, capsys, target, words):
    os.mkfifo(tmp_path / "pipe")
    path = write(tmp_path / "a.toml", f'extends = "{target}"\n')
    started = time.perf_counter()
    err = refused(call(["validate", path], capsys), words)
    assert f"a.toml: extends: {target if target.startswith('/') else tmp_path / target}" in err \
        or f"a.toml: extends: {target}" in err
    assert time.perf_counter() - started < 5


def test_case8_an_error_in_a_parent_is_blamed_on_the_parent(tmp_path, capsys):
    write(tmp_path / "base.toml", "[broadcast]\nintensity = 3\n")
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\nweeks = 4\n')
    err = refused(call(["validate", child], capsys), "base.toml: broadcast.intensity")
    assert "child.toml" not in err
    write(tmp_path / "base.toml", "[broadcast\n")
    err = refused(call(["validate", child], capsys), "base.toml: malformed TOML")
    # and a bad value the child sets is the child's
    write(tmp_path / "base.toml", "weeks = 3\n")
    write(tmp_path / "child.toml", 'extends = "base.toml"\nweeks = 0\n')
    refused(call(["validate", child], capsys), "child.toml: weeks")


# --- 11. the Python API ----------------------------------------------------------------------


def test_case11_the_api_checks_its_arguments_like_the_cli():
    base = load_scenario(BASELINE)
    with pytest.raises(ScenarioError, match="scenario: must be a Scenario .* not NoneType"):
        campaignsim.run(None)
    for seed in (2**64, 1.7, "7", True, -1, 2**32):
        with pytest.raises(ScenarioError, match=r"seed: must be a whole number from 0 to "
                                                r"4294967295"):
            campaignsim.run(base, seed=seed)
        with pytest.raises(ScenarioError, match="seed: must be a whole number"):
            CampaignModel(base, seed=seed)
    for weeks in (0, 1.5, "3", False, 1041):
        with pytest.raises(ScenarioError, match="weeks: must be a whole number from 1 to 1040"):
            campaignsim.run(base, weeks=weeks)
    with pytest.raises(ScenarioError, match="workers"):
        compare([base], replications=1, workers=0)
    assert campaignsim.run(base, seed=np.int64(3), weeks=2).summary["seed"] == 3


# --- validate checks what run checks -------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    (TINY + "[seeding]\nnodes = [1, 99]\n", "seeding.nodes"),
    (TINY + "[seeding]\nnodes = [\"01\"]\n", "seeding.nodes"),
    (TINY + "[seeding]\ncount = 7\n", "asks for 7 seeds but only 6"),
    (TINY + "[champions]\nrule = \"formal\"\n", "champions.rule"),
    (TINY + "[champions]\n", "staff.champions"),
    (TINY.replace("managers = 1", "managers = 0") + "[broadcast]\n", "staff.managers"),
], ids=["seed-node-missing", "seed-node-text", "too-many-seeds", "formal-no-champions",
        "champions-none", "broadcast-no-manager"])
def test_validate_refuses_what_run_refuses(tmp_path, capsys, text, words):
    path = write(tmp_path / "s.toml", text)
    validated = refused(call(["validate", path], capsys), words)
    ran = refused(call(["run", path, "--out", tmp_path / "o"], capsys), words)
    assert validated == ran


def test_validate_loads_a_graph_file_like_run(tmp_path, capsys):
    write(tmp_path / "e.csv", "source,target\n1,2\n2,3\n")
    write(tmp_path / "n.csv", "id,role\n1,\n2,\n3,champion\n")
    path = write(tmp_path / "s.toml", '[staff]\ngraph = "e.csv"\nnodes = "n.csv"\n'
                                      '[champions]\nrule = "formal"\n[seeding]\ncount = 2\n')
    assert call(["validate", path], capsys)[0] == 0
    assert call(["run", path, "--out", tmp_path / "o"], capsys)[0] == 0
    write(tmp_path / "s.toml", '[staff]\ngraph = "e.csv"\nnodes = "n.csv"\n'
                               '[champions]\nrule = "formal"\n[seeding]\ncount = 3\n')
    assert refused(call(["validate", path], capsys), "asks for 3 seeds but only 2") == \
        refused(call(["run", path, "--out", tmp_path / "o2"], capsys))
