"""Results folders never lose what the user made (issue 10, cases 1, 4, 5, 9 and 10).

Every command that writes claims its folder through `campaignsim.folders.Claim`: the path
resolved first, the folder locked (O_EXCL + flock), checked under the lock, and on failure
only the files and folders the command made are removed. The behaviours the issue names
are checked on the real command (`python -m campaignsim.cli`) where they are about the
command (signals, concurrency, `nonexist/../precious`); the rest in-process through
`cli.main`, which is the same code path. Hospitals are tiny (2 × 10 clinicians, 5 weeks);
the signal tests use one run of ~1 s (4 × 500 clinicians, 300 weeks) to have a moment in
which to interrupt it.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from campaignsim import cli
from campaignsim.folders import LOCK_FILE, Claim, FolderLock
from campaignsim.results_io import write_text
from campaignsim.scenario import ScenarioError
from conftest import BASELINE, write

CLI = [sys.executable, "-m", "campaignsim.cli"]


def scenario_text(name: str, weeks: int = 5, departments: int = 2, clinicians: int = 10,
                  tail: str = "") -> str:
    return f"""
extends = "{BASELINE.as_posix()}"
name = "{name}"
weeks = {weeks}
[staff]
departments = {departments}
clinicians_per_department = {clinicians}
{tail}"""


#: A sweep whose first design point the model refuses (broadcast needs a manager).
FAILING_SWEEP = '[sweep]\nreplications = 2\n[sweep.grid]\n"staff.managers" = [0, 2]\n'
#: A sweep of 40 runs of ~0.1 s each: time to interrupt it before it is done.
SLOW_SWEEP = '[sweep]\nreplications = 20\n[sweep.grid]\n"hybrids.alignment" = [0.2, 0.8]\n'


def tiny(folder: Path, name: str = "tiny", **kwargs) -> Path:
    return write(folder / f"{name}.toml", scenario_text(name, **kwargs))


def slow(folder: Path, name: str = "slow") -> Path:
    return write(folder / f"{name}.toml", scenario_text(name, weeks=300, departments=4,
                                                        clinicians=500))


def precious(folder: Path) -> Path:
    """The user's folder: a visible file and a hidden one."""
    write(folder / "precious" / "notes.txt", "my notes\n")
    write(folder / "precious" / ".settings", "mine too\n")
    return folder / "precious"


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def start(args: list, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(CLI + [str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until `path` exists (the command has claimed its folder)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


# --- case 1: nonexist/../precious ------------------------------------------------------


def test_sweep_failing_first_point_via_dotdot_keeps_the_users_folder(tmp_path):
    """The data-loss case: the folder is refused (it holds the user's file), and neither it
    nor `nonexist` is touched; with only hidden files in it (free by its contents), the
    failing sweep removes only what it wrote."""
    file = write(tmp_path / "bad.toml", scenario_text("bad", tail=FAILING_SWEEP))
    folder = precious(tmp_path)
    before = contents(folder)
    refused = subprocess.run(CLI + ["sweep", str(file), "--workers", "1", "--quiet", "--out",
                                    "nonexist/../precious"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "did not write" in refused.stderr
    assert contents(folder) == before and not (tmp_path / "nonexist").exists()

    (folder / "notes.txt").unlink()
    before = contents(folder)
    assert cli.main(["sweep", str(file), "--workers", "1", "--quiet", "--out",
                     str(tmp_path / "nonexist" / ".." / "precious")]) == 2
    assert contents(folder) == before == {".settings": b"mine too\n"}
    assert sorted(p.name for p in folder.iterdir()) == [".settings"]
    assert not (tmp_path / "nonexist").exists()


def test_run_via_dotdot_does_not_overwrite_the_users_files(tmp_path, capsys):
    write(tmp_path / "precious" / "summary.json", '{"mine": true}\n')
    write(tmp_path / "precious" / "timeseries.csv", "week\n0\n")
    before = contents(tmp_path / "precious")
    out = tmp_path / "missing" / ".." / "precious"
    assert cli.main(["run", str(tiny(tmp_path)), "--out", str(out)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert contents(tmp_path / "precious") == before
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("out", [".", "..", "results/..", ""])
def test_folder_names_of_no_folder_are_refused(tmp_path, capsys, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(tiny(tmp_path)), "--out", out]) == 2
    assert "names no folder" in capsys.readouterr().err


def test_a_file_in_the_way_is_bad_input(tmp_path, capsys):
    file = write(tmp_path / "taken", "a file\n")
    for out in (file, file / "sub"):
        assert cli.main(["run", str(tiny(tmp_path)), "--out", str(out)]) == 2
        assert "not a folder" in capsys.readouterr().err
    assert file.read_text() == "a file\n"


def test_a_scenario_named_dotdot_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(tiny(tmp_path, name=".."))]) == 2
    assert "name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["...toml"]


def test_sweep_ctrl_c_before_the_first_chunk_removes_only_its_files(tmp_path, capsys,
                                                                     monkeypatch):
    """Ctrl-C before any run is stored: the user's hidden file stays, the sweep's manifest
    goes, and the message does not claim runs are stored in the folder."""
    from campaignsim.sweep import executors

    def interrupted(task):
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "run_task", interrupted)
    file = write(tmp_path / "s.toml", scenario_text("s", tail=SLOW_SWEEP))
    folder = precious(tmp_path)
    (folder / "notes.txt").unlink()
    assert cli.main(["sweep", str(file), "--workers", "1", "--quiet", "--out",
                     str(tmp_path / "nonexist" / ".." / "precious")]) == 130
    err = capsys.readouterr().err
    assert "no runs were stored" in err and "stored in" not in err
    assert sorted(p.name for p in folder.iterdir()) == [".settings"]
    assert cli.main(["sweep", str(file), "--workers", "1", "--quiet", "--out",
                     str(tmp_path / "new" / "deeper")]) == 130
    assert not (tmp_path / "new").exists()   # made by the sweep, so removed by it
    capsys.readouterr()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_sigint_leaves_the_users_files_and_a_true_message(tmp_path, command):
    """A real SIGINT once the folder is claimed: exit 130, the user's files intact; what
    the command wrote is gone unless it says it stored runs there."""
    folder = precious(tmp_path)
    (folder / "notes.txt").unlink()
    before = contents(folder)
    if command == "run":
        args = ["run", slow(tmp_path)]
    else:
        args = ["sweep", write(tmp_path / "s.toml", scenario_text("s", tail=SLOW_SWEEP)),
                "--workers", "1", "--quiet"]
    process = start(args + ["--out", "nonexist/../precious"], tmp_path)
    wait_for(folder / LOCK_FILE, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert {k: v for k, v in contents(folder).items() if k in before} == before
    if "stored in" in err:
        assert command == "sweep" and any((folder / "runs-parts").glob("part-*.parquet"))
    else:
        assert contents(folder) == before
    assert not (tmp_path / "nonexist").exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_sigkill_leaves_the_users_files_and_a_stale_lock_is_taken_over(tmp_path, command):
    folder = precious(tmp_path)
    before = contents(folder)
    if command == "run":
        args = ["run", slow(tmp_path), "--force"]
    else:
        (folder / "notes.txt").unlink()
        before = contents(folder)
        args = ["sweep", write(tmp_path / "s.toml", scenario_text("s", tail=SLOW_SWEEP)),
                "--workers", "1", "--quiet"]
    process = start(args + ["--out", "nonexist/../precious"], tmp_path)
    wait_for(folder / LOCK_FILE, process)
    process.kill()
    process.wait()
    assert {k: v for k, v in contents(folder).items() if k in before} == before
    assert (folder / LOCK_FILE).exists()   # left behind by the killed command: stale
    again = subprocess.run(CLI + [str(a) for a in args] + ["--out", "precious"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert {k: v for k, v in contents(folder).items() if k in before} == before
    assert not (folder / LOCK_FILE).exists()


# --- the claim itself ------------------------------------------------------------------


def test_a_failed_claim_removes_exactly_what_it_made(tmp_path):
    folder = tmp_path / "a" / "b"
    write(tmp_path / "a" / "mine.txt", "mine\n")
    with pytest.raises(RuntimeError):
        with Claim(folder / "c"):
            write_text(folder / "c" / "result.csv", "x\n")
            write_text(folder / "c" / "plots" / "p.png", "png")
            raise RuntimeError("the model failed")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["mine.txt"]

    write(folder / "old.txt", "old\n")
    with pytest.raises(KeyboardInterrupt):
        with Claim(folder):
            write_text(folder / "old.txt", "replaced\n")   # existed: replaced, not removed
            write_text(folder / "new.txt", "new\n")
            raise KeyboardInterrupt
    assert contents(folder) == {"old.txt": b"replaced\n"}

    with pytest.raises(KeyboardInterrupt):
        with Claim(folder) as claim:
            write_text(folder / "chunk", "stored\n")
            claim.keep = True                               # e.g. a sweep's stored chunk
            raise KeyboardInterrupt
    assert contents(folder) == {"old.txt": b"replaced\n", "chunk": b"stored\n"}


def test_a_live_lock_refuses_and_a_dead_ones_is_taken_over(tmp_path):
    import fcntl

    folder = tmp_path / "out"
    with Claim(folder):
        holder = os.open(folder / LOCK_FILE, os.O_RDONLY)   # another open file description
        try:
            with pytest.raises(ScenarioError, match=f"in use by pid {os.getpid()}"):
                with Claim(folder):
                    pass
            with pytest.raises(BlockingIOError):
                fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(holder)
    assert not (folder / LOCK_FILE).exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (folder / LOCK_FILE).write_text(json.dumps({"pid": int(dead), "host": os.uname().nodename}))
    lock = FolderLock(folder)
    lock.acquire()
    assert json.loads((folder / LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (folder / LOCK_FILE).exists()


# --- case 4: two runs into one folder --------------------------------------------------


def test_a_run_holds_its_folder_for_the_whole_command(tmp_path, capsys):
    out = tmp_path / "shared"
    first = start(["run", slow(tmp_path), "--out", out], tmp_path)
    wait_for(out / LOCK_FILE, first)
    assert cli.main(["run", str(tiny(tmp_path)), "--out", str(out)]) == 2
    assert f"folder is in use by pid {first.pid}" in capsys.readouterr().err
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert manifest["scenario"] == summary["scenario"] == "slow"
    assert sorted(p.name for p in out.iterdir()) == ["adoption.png", "manifest.json",
                                                     "summary.json", "timeseries.csv"]


def test_two_concurrent_runs_never_leave_a_mixed_folder(tmp_path):
    out = tmp_path / "new"
    processes = [start(["run", slow(tmp_path, name), "--out", out], tmp_path)
                 for name in ("one", "two")]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "in use by pid" in refused or "another run" in refused
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == json.loads((out / "summary.json").read_text())["scenario"]


# --- case 9: identity includes seed and replications; report never clobbers -------------


def test_run_with_another_seed_is_refused_without_force(tmp_path, capsys):
    file, out = tiny(tmp_path), str(tmp_path / "r")
    assert cli.main(["run", str(file), "--seed", "1", "--out", out]) == 0
    capsys.readouterr()
    assert cli.main(["run", str(file), "--seed", "5", "--out", out]) == 2
    assert "different seed (1 in the folder, 5 now)" in capsys.readouterr().err
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["seed"] == 1
    assert cli.main(["run", str(file), "--seed", "5", "--out", out, "--force"]) == 0
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["seed"] == 5


def test_compare_with_other_replications_is_refused_without_force(tmp_path, capsys):
    files = [str(tiny(tmp_path, "a")), str(tiny(tmp_path, "b"))]
    out = str(tmp_path / "c")
    common = ["compare", *files, "--workers", "1", "--out", out]
    assert cli.main(common + ["-r", "6"]) == 0
    runs = (tmp_path / "c" / "runs.csv").read_bytes()
    capsys.readouterr()
    assert cli.main(common + ["-r", "2"]) == 2
    assert "different replications (6 in the folder, 2 now)" in capsys.readouterr().err
    assert cli.main(common + ["-r", "6", "--seed", "3"]) == 2
    assert "different seed (0 in the folder, 3 now)" in capsys.readouterr().err
    assert (tmp_path / "c" / "runs.csv").read_bytes() == runs
    assert cli.main(common + ["-r", "2", "--force"]) == 0
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["replications"] == 2


def test_report_replaces_only_its_own_files(tmp_path, capsys):
    folder = tmp_path / "r"
    assert cli.main(["run", str(tiny(tmp_path)), "--out", str(folder)]) == 0
    mine = write(tmp_path / "mine.html", "<p>my page</p>\n")
    assert cli.main(["report", str(folder), "--out", str(mine)]) == 2
    assert "was not written by campaignsim" in capsys.readouterr().err
    assert mine.read_text() == "<p>my page</p>\n"
    assert cli.main(["report", str(folder), "--out", str(mine), "--force"]) == 0
    assert cli.main(["report", str(folder), "--out", str(mine)]) == 0   # ours now
    assert cli.main(["report", str(folder)]) == 0
    assert cli.main(["report", str(folder)]) == 0                        # ours: replaced
    write(folder / "report.html", "<p>the user's own report</p>\n")
    assert cli.main(["report", str(folder)]) == 2
    assert (folder / "report.html").read_text() == "<p>the user's own report</p>\n"
    capsys.readouterr()


# --- case 5: the environment fails: a message and exit 1 ------------------------------


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write to: a read-only tmpfs as root, else mode 0o555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                                  str(folder)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip("root, but cannot mount a read-only tmpfs here")
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_a_read_only_folder_is_a_message_and_exit_1(tmp_path, read_only_folder, capsys):
    file = str(tiny(tmp_path))
    assert cli.main(["run", file, "--out", str(tmp_path / "done")]) == 0
    sweep = str(write(tmp_path / "s.toml", scenario_text("s", tail=SLOW_SWEEP)))
    commands = [["run", file, "--out"], ["compare", file, "-r", "2", "--workers", "1", "--out"],
                ["sweep", sweep, "--workers", "1", "--quiet", "--out"],
                ["report", str(tmp_path / "done"), "--out"]]
    capsys.readouterr()
    for command in commands:
        for out in (read_only_folder, read_only_folder / "sub"):
            target = out / "r.html" if command[0] == "report" else out
            assert cli.main(command + [str(target)]) == 1, command
            err = capsys.readouterr().err
            assert err.startswith("campaignsim: error: cannot write") and "read-only" in err
            assert err.count("\n") == 1


def test_a_full_disk_is_a_message_and_exit_1_and_leaves_nothing(tmp_path, capsys,
                                                                  monkeypatch):
    from campaignsim import results_io

    def full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(results_io.os, "replace", full)
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny(tmp_path)), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and err.count("\n") == 1
    assert not out.exists()


def test_a_real_full_tmpfs_is_a_message_and_exit_1(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        result = subprocess.run(CLI + ["run", str(tiny(tmp_path, weeks=1000)), "--out",
                                       str(folder / "out")], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "the disk is full" in result.stderr
        assert list(folder.iterdir()) == []   # its own partial files and folder removed
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_out_of_memory_is_a_message_and_exit_1(tmp_path, capsys, monkeypatch):
    from campaignsim import runner

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(runner, "run", exhausted)
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny(tmp_path)), "--out", str(out)]) == 1
    assert "out of memory" in capsys.readouterr().err
    assert not out.exists()


# --- case 10: a sweep whose parent dies takes its workers along ------------------------


def test_a_killed_sweep_leaves_no_process_behind(tmp_path):
    file = write(tmp_path / "s.toml", scenario_text("s", weeks=300, tail=SLOW_SWEEP))
    process = start(["sweep", file, "--workers", "2", "--quiet", "--out", tmp_path / "o"],
                    tmp_path)
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    while len(parent.children(recursive=True)) < 4:   # tracker, fork server, two workers
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    children = parent.children(recursive=True)
    process.kill()
    process.wait()
    _, alive = psutil.wait_procs(children, timeout=5)
    left = [" ".join(p.cmdline())[:80] for p in alive]
    for leftover in alive:
        leftover.kill()
    assert left == []
