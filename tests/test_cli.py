"""The `campaignsim` command: outputs, byte-identical reruns, bad input (exit 2, the
field named, no traceback) and results folders never clobbered.

The behaviours the issue asks to see are checked on real subprocesses
(`python -m campaignsim.cli`). Each spends ~1 s importing numpy/pandas/mesa/matplotlib,
so the commands of a group are started together (a few at a time) by a module-scoped
fixture and the tests then check the finished processes; further variants go through
`cli.main` in-process, which is the same code path without the start-up cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

from campaignsim import cli
from campaignsim.scenario import CHANNELS, STATES, load_scenario
from conftest import BASELINE, write

CLI = [sys.executable, "-m", "campaignsim.cli"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _run_all(jobs: dict, cwd: Path) -> dict:
    """Run {key: args} concurrently (two-core machine: four at a time)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(_run, args, cwd) for key, args in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


OUTPUTS = {"timeseries.csv", "summary.json", "adoption.png", "manifest.json"}


# --- bad input ---------------------------------------------------------------------------

GRAPH = {"e.csv": "source,target\n1,2\n2,3\n", "n.csv": "id,role\n1,\n2,hybrid\n3,\n"}

#: id: (files to write, command, fragments the error message must contain). One subprocess
#: per kind of bad input the issue lists; more variants run in-process below.
BAD_INPUTS = {
    "unknown-key": ({"bad.toml": "[hybrids]\ncapasity = 3\n"}, "run",
                    ["bad.toml", "hybrids.capasity", "unknown field", "capacity"]),
    "wrong-type": ({"bad.toml": 'weeks = "ten"\n'}, "run", ["bad.toml", "weeks", "integer"]),
    "out-of-range": ({"bad.toml": "[broadcast]\nintensity = 1.5\n"}, "run",
                     ["bad.toml", "broadcast.intensity", "less than or equal to 1", "1.5"]),
    "negative-count": ({"bad.toml": "[staff]\nmanagers = -1\n"}, "run",
                       ["bad.toml", "staff.managers", "greater than or equal to 0"]),
    "malformed-toml": ({"bad.toml": "[broadcast\nintensity = 0.1\n"}, "run",
                       ["bad.toml", "malformed TOML", "line 1"]),
    "missing-graph": ({"bad.toml": '[staff]\ngraph = "nope.csv"\n'}, "run",
                      ["bad.toml", "staff.graph", "nope.csv", "not found"]),
    "unknown-role": ({**GRAPH, "n.csv": "id,role\n1,\n2,surgeon\n3,\n",
                      "bad.toml": '[staff]\ngraph = "e.csv"\nnodes = "n.csv"\n'}, "run",
                     ["bad.toml", "staff.nodes", "surgeon",
                      "clinician, champion, hybrid, manager"]),
    "seed-not-in-graph": ({**GRAPH, "bad.toml": '[staff]\ngraph = "e.csv"\nnodes = "n.csv"\n'
                                                '[seeding]\nnodes = [1, 99]\n[peer]\n'}, "run",
                          ["bad.toml", "seeding.nodes", "99"]),
    "missing-scenario": ({}, "run", ["bad.toml", "not found"]),
    "validate-unknown-key": ({"bad.toml": "[peer]\nthreshhold = 0.3\n"}, "validate",
                             ["bad.toml", "peer.threshhold", "threshold"]),
}

#: further bad inputs, checked through cli.main in-process (same code path, no start-up cost)
MORE_BAD_INPUTS = {
    "unknown-top-level-key": ({"bad.toml": "colour = 3\n"}, ["colour", "allowed"]),
    "wrong-type-table": ({"bad.toml": "staff = 5\n"}, ["staff"]),
    "quoted-number": ({"bad.toml": "[staff]\nmanagers = \"3\"\n"}, ["staff.managers"]),
    "profession-shares": ({"bad.toml": "[staff.professions]\ndoctor = 0.9\n"},
                          ["staff.professions", "sum to 1"]),
    "department-list": ({"bad.toml": "[staff]\ndepartments = 2\nclinicians_per_department = [5]\n"},
                        ["staff", "1 entries for 2 departments"]),
    "extends-cycle": ({"bad.toml": 'extends = "bad.toml"\n'}, ["extends", "cycle"]),
    "no-manager-for-broadcast": ({"bad.toml": "[staff]\nmanagers = 0\n[broadcast]\n"},
                                 ["staff.managers"]),
    "bad-node-attribute": ({**GRAPH, "n.csv": "id,threshold\n1,2.5\n2,\n3,\n",
                            "bad.toml": '[staff]\ngraph = "e.csv"\nnodes = "n.csv"\n'},
                           ["staff.nodes", "threshold"]),
    "seeding-too-many": ({"bad.toml": "weeks = 2\n[staff]\nmanagers = 0\n"
                                      "clinicians_per_department = 2\ndepartments = 1\n"
                                      "[seeding]\ncount = 5\n"}, ["seeding", "5 seeds"]),
}


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    jobs = {}
    for case, (files, command, _) in BAD_INPUTS.items():
        folder = root / case
        folder.mkdir()
        for name, text in files.items():
            write(folder / name, text)
        args = [command, folder / "bad.toml"]
        if command == "run":
            args += ["--out", folder / "out"]
        jobs[case] = args
    return root, _run_all(jobs, root)


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exit_2_naming_the_field(bad_runs, case):
    root, results = bad_runs
    result = results[case]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaignsim: error: "), result.stderr
    for fragment in BAD_INPUTS[case][2]:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not (root / case / "out").exists()  # nothing written


def test_bad_steps_option_names_the_flag_and_range(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", str(BASELINE), "--steps", "0", "--out", str(tmp_path / "o")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--steps" in err and "from 1 to 1040" in err
    assert not (tmp_path / "o").exists()


def test_bad_seed_option_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", str(BASELINE), "--seed", "abc", "--out", str(tmp_path / "o")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "invalid int value" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("case", list(MORE_BAD_INPUTS))
def test_more_bad_inputs_in_process(tmp_path, capsys, case):
    files, fragments = MORE_BAD_INPUTS[case]
    for name, text in files.items():
        write(tmp_path / name, text)
    status = cli.main(["run", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith("campaignsim: error: ") and "bad.toml" in captured.err
    for fragment in fragments:
        assert fragment in captured.err, (fragment, captured.err)
    assert not (tmp_path / "out").exists()


# --- the baseline, run twice -------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    first = _run_all({
        "A": ["run", BASELINE, "--seed", "7", "--out", root / "A"],
        "B": ["run", BASELINE, "--seed", "7", "--out", root / "B"],
        "validate": ["validate", BASELINE],
        "help": ["--help"],
    }, root)
    timeseries_a = (root / "A" / "timeseries.csv").read_bytes()
    # the same scenario again into its own folder: allowed, and identical
    again = _run_all({"A-again": ["run", BASELINE, "--seed", "7", "--out", root / "A"]}, root)
    return root, {**first, **again}, timeseries_a


def test_run_writes_the_four_outputs(baseline_runs):
    root, results, _ = baseline_runs
    for key in ("A", "B", "A-again"):
        assert results[key].returncode == 0, results[key].stderr
        assert "Traceback" not in results[key].stderr
    assert {p.name for p in (root / "A").iterdir() if not p.name.startswith(".")} == OUTPUTS
    assert (root / "A" / "adoption.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "scenario baseline" in results["A"].stdout and "seed 7" in results["A"].stdout
    assert "1040 clinicians" in results["A"].stdout


def test_same_seed_gives_byte_identical_timeseries(baseline_runs):
    root, results, timeseries_a = baseline_runs
    assert results["A-again"].returncode == 0
    again = (root / "A" / "timeseries.csv").read_bytes()
    other = (root / "B" / "timeseries.csv").read_bytes()
    assert timeseries_a == again == other
    assert (root / "A" / "summary.json").read_bytes() == (root / "B" / "summary.json").read_bytes()


def test_timeseries_csv_columns(baseline_runs):
    import pandas as pd
    root, _, _ = baseline_runs
    ts = pd.read_csv(root / "A" / "timeseries.csv")
    assert ts["week"].tolist() == list(range(53))
    assert (ts[list(STATES)].sum(axis=1) == 1040).all()
    for column in ("enrolled_share", "active_share", "role:clinician:enrolled",
                   "profession:nurse:active", "department:11:unaware", "ideas", "hybrids",
                   *[f"channel:{c}" for c in CHANNELS]):
        assert column in ts.columns, column


def test_summary_json(baseline_runs):
    root, _, _ = baseline_runs
    summary = json.loads((root / "A" / "summary.json").read_text())
    expected = {"scenario", "seed", "weeks", "clinicians", "final_enrolled_share", "active_share",
                "enrolment_engagement_gap", "disengaged_share", "weeks_to_25", "weeks_to_50",
                "weeks_to_75", "hazard_share_enrolments", "mean_ownership_of_enrolled_now", "ideas"}
    assert expected <= set(summary)
    assert (summary["scenario"], summary["seed"], summary["weeks"], summary["clinicians"]) == \
        ("baseline", 7, 52, 1040)
    assert summary["enrolment_engagement_gap"] == pytest.approx(
        summary["final_enrolled_share"] - summary["active_share"])
    assert set(summary["hazard_share_enrolments"]) == set(CHANNELS)
    assert 0 <= summary["final_enrolled_share"] <= 1


def test_manifest_json(baseline_runs):
    root, _, _ = baseline_runs
    manifest = json.loads((root / "A" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["scenario"] == "baseline"
    assert len(manifest["scenario_hash"]) == 64
    assert manifest["resolved"]["seed"] == 7
    # the resolved scenario is the file's: the calibrated baseline's intensity
    assert manifest["resolved"]["broadcast"]["intensity"] == load_scenario(
        BASELINE).broadcast.intensity
    assert manifest["resolved"]["shock"] is None
    assert manifest["versions"]["mesa"] and manifest["versions"]["networkx"]


def test_validate_prints_the_resolved_scenario(baseline_runs):
    _, results, _ = baseline_runs
    result = results["validate"]
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert resolved["name"] == "baseline" and resolved["weeks"] == 52
    assert resolved["staff"]["clinicians_per_department"][0] == 60
    assert resolved["hybrids"]["capacity"] == load_scenario(BASELINE).hybrids.capacity
    assert resolved["hybrids"]["credibility_max"] == 0.9       # a default filled in
    assert resolved["mandate"] is None and resolved["codesign"] is None  # off
    assert "valid" in result.stderr


def test_help_subprocess(baseline_runs):
    _, results, _ = baseline_runs
    result = results["help"]
    assert result.returncode == 0 and result.stdout.startswith("usage: campaignsim")
    assert "run" in result.stdout and "validate" in result.stdout


@pytest.mark.parametrize("argv, words", [
    (["--help"], ["run", "validate"]),
    (["run", "--help"], ["--seed", "--steps", "--out", "--force"]),
    (["validate", "--help"], ["file", "resolved"]),
])
def test_help_of_each_command(capsys, argv, words):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: campaignsim")
    for word in words:
        assert word in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main([])
    assert caught.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_console_script_entry_point():
    [entry] = [e for e in metadata.entry_points(group="console_scripts") if e.name == "campaignsim"]
    assert entry.value == "campaignsim.cli:main"
    main = entry.load()
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0


# --- results folders are never clobbered silently --------------------------------------------

SMALL = """
    weeks = 3
    [staff]
    departments = 1
    clinicians_per_department = 20
    hybrids_per_department = 0
    managers = 1
    [broadcast]
    intensity = {intensity}
"""


@pytest.fixture(scope="module")
def clobber_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("clobber")
    x = write(root / "x.toml", SMALL.format(intensity=0.1))
    y = write(root / "y.toml", SMALL.format(intensity=0.2))
    write(root / "foreign" / "notes.txt", "my own notes\n")
    results = _run_all({
        "x": ["run", x, "--out", root / "C"],
        "foreign": ["run", x, "--out", root / "foreign"],
    }, root)
    snapshots = {"C": _snapshot(root / "C"), "foreign": _snapshot(root / "foreign")}
    results.update(_run_all({
        "y": ["run", y, "--out", root / "C"],
    }, root))
    snapshots["C-after-y"] = _snapshot(root / "C")
    snapshots["foreign-after"] = _snapshot(root / "foreign")
    results.update(_run_all({
        "y-force": ["run", y, "--force", "--out", root / "C"],
        "foreign-force": ["run", x, "--force", "--out", root / "foreign"],
    }, root))
    return root, results, snapshots


def test_another_scenarios_results_are_not_overwritten(clobber_runs):
    root, results, snapshots = clobber_runs
    assert results["x"].returncode == 0
    refused = results["y"]
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--out" in refused.stderr and "--force" in refused.stderr
    assert str(root / "C") in refused.stderr
    assert set(snapshots["C"]) == OUTPUTS
    assert snapshots["C-after-y"] == snapshots["C"]  # same bytes, not even rewritten


def test_force_overwrites(clobber_runs):
    root, results, _ = clobber_runs
    assert results["y-force"].returncode == 0, results["y-force"].stderr
    manifest = json.loads((root / "C" / "manifest.json").read_text())
    assert manifest["source"].endswith("y.toml")
    assert manifest["resolved"]["broadcast"]["intensity"] == 0.2


def test_a_folder_with_foreign_files_is_refused(clobber_runs):
    root, results, snapshots = clobber_runs
    refused = results["foreign"]
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "did not write" in refused.stderr and "--force" in refused.stderr
    assert set(snapshots["foreign"]) == {"notes.txt"}
    assert snapshots["foreign-after"] == snapshots["foreign"]
    assert results["foreign-force"].returncode == 0
    assert {p.name for p in (root / "foreign").iterdir()} == OUTPUTS | {"notes.txt"}
    assert (root / "foreign" / "notes.txt").read_text() == "my own notes\n"


def test_same_scenario_with_another_seed_is_refused_without_force(tmp_path, capsys):
    """The folder's identity is the scenario and its seed (issue 10, case 9; in-process)."""
    x = write(tmp_path / "x.toml", SMALL.format(intensity=0.1))
    out = tmp_path / "E"
    assert cli.main(["run", str(x), "--seed", "3", "--out", str(out)]) == 0
    assert cli.main(["run", str(x), "--seed", "3", "--out", str(out)]) == 0   # the same again
    capsys.readouterr()
    assert cli.main(["run", str(x), "--seed", "4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "different seed (3 in the folder, 4 now)" in err and "--force" in err
    assert json.loads((out / "summary.json").read_text())["seed"] == 3
    assert cli.main(["run", str(x), "--seed", "4", "--force", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 4
    y = write(tmp_path / "y.toml", SMALL.format(intensity=0.3))
    assert cli.main(["run", str(y), "--seed", "4", "--out", str(out)]) == 2
    assert json.loads((out / "summary.json").read_text())["seed"] == 4
    capsys.readouterr()
