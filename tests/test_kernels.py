"""The choice of kernel (campaignsim.kernels): the environment, use(), and what a user
sees when the choice is wrong. That both kernels give the same numbers is
test_kernels_hybrids.py's and test_kernels_week.py's."""

from __future__ import annotations

import json

import pytest

from campaignsim import kernels
from campaignsim.cli import main
from campaignsim.limits import ScenarioError


@pytest.fixture
def environment(monkeypatch):
    def set_kernel(value):
        monkeypatch.setenv(kernels.VARIABLE, value)
    monkeypatch.delenv(kernels.VARIABLE, raising=False)
    return set_kernel


def test_auto_is_numba_when_installed_else_numpy(environment, monkeypatch):
    assert kernels.requested() == "auto"
    monkeypatch.setattr(kernels, "numba_installed", lambda: True)
    assert kernels.chosen() == "numba" and kernels.compiled()
    monkeypatch.setattr(kernels, "numba_installed", lambda: False)
    assert kernels.chosen() == "numpy" and not kernels.compiled()


def test_the_environment_chooses(environment, monkeypatch):
    monkeypatch.setattr(kernels, "numba_installed", lambda: True)
    environment(" NumPy ")
    assert kernels.chosen() == "numpy"
    environment("numba")
    assert kernels.chosen() == "numba"
    environment("")
    assert kernels.requested() == "auto"


def test_numba_asked_for_but_missing_is_an_error(environment, monkeypatch):
    monkeypatch.setattr(kernels, "numba_installed", lambda: False)
    environment("numba")
    with pytest.raises(ScenarioError, match=r"numba is not installed.*campaignsim\[fast\]"):
        kernels.chosen()


def test_use_wins_over_the_environment_and_is_restored(environment, monkeypatch):
    monkeypatch.setattr(kernels, "numba_installed", lambda: True)
    environment("numba")
    with pytest.raises(RuntimeError):
        with kernels.use("numpy"):
            assert kernels.chosen() == "numpy"
            raise RuntimeError("the block fails")
    assert kernels.chosen() == "numba"
    with pytest.raises(ValueError, match="kernel must be one of"):
        with kernels.use("fortran"):
            pass


def test_a_wrong_kernel_is_refused_by_the_cli_with_exit_2(environment, capsys, tmp_path):
    environment("fortran")
    out = tmp_path / "out"
    assert main(["run", "baseline", "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("campaignsim: error: CAMPAIGNSIM_KERNEL: 'fortran' is not a kernel")
    assert "allowed: auto, numpy, numba" in err and "Traceback" not in err
    assert not out.exists()


def test_the_manifest_says_which_kernel_ran(environment, tmp_path):
    environment("numpy")
    out = tmp_path / "out"
    assert main(["run", "baseline", "--steps", "2", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kernel"] == "numpy" and "numba" not in manifest["versions"]


def test_one_run_takes_numpy_under_auto_unless_it_is_big(environment, monkeypatch):
    monkeypatch.setattr(kernels, "numba_installed", lambda: True)
    with kernels.for_one_run(1_040 * 52):
        assert kernels.chosen() == "numpy"
    assert kernels.chosen() == "numba"
    with kernels.for_one_run(kernels.ONE_RUN_NUMBA_FROM):
        assert kernels.chosen() == "numba"
    environment("numba")  # asked for by name: kept, however small the run
    with kernels.for_one_run(10):
        assert kernels.chosen() == "numba"


def test_campaignsim_run_of_the_baseline_ran_numpy_and_says_so(environment, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "baseline", "--steps", "2", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["kernel"] == "numpy"


def test_cached_kernels_from_other_sources_are_dropped(tmp_path):
    # numba keys a cached kernel by its own file only; a kernel reading another module's
    # constants must not be loaded after that module changed
    cached = [tmp_path / "compiled_week.decide-153.py311.nbi",
              tmp_path / "compiled_week.decide-153.py311.1.nbc"]
    theirs = tmp_path / "other_module.f-1.py311.nbi"  # not ours: kept
    for path in (*cached, theirs):
        path.write_bytes(b"compiled")
    kernels.drop_stale_kernels(tmp_path, digest="a")
    assert not any(path.exists() for path in cached) and theirs.exists()
    assert (tmp_path / kernels.MARKER).read_text() == "a"
    for path in cached:
        path.write_bytes(b"compiled from a")
    kernels._checked.clear()
    kernels.drop_stale_kernels(tmp_path, digest="a")  # the same sources: kept
    assert all(path.exists() for path in cached)
    kernels._checked.clear()
    kernels.drop_stale_kernels(tmp_path, digest="b")
    assert not any(path.exists() for path in cached)


def test_the_digest_covers_the_modules_the_kernels_import_from(tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "kernels.py").write_text("")
    (package / "compiled_week.py").write_text(
        "from .compiled_inputs import COLUMN\nfrom . import dynamics\n")
    for name, text in (("compiled_inputs", "COLUMN = 1\n"), ("dynamics", ""),
                       ("cli", "")):
        (package / f"{name}.py").write_text(text)
    before = kernels.kernel_sources_digest(package)
    (package / "cli.py").write_text("# not read by a kernel\n")
    assert kernels.kernel_sources_digest(package) == before
    (package / "compiled_inputs.py").write_text("COLUMN = 2\n")
    changed = kernels.kernel_sources_digest(package)
    (package / "dynamics.py").write_text("X = 0\n")
    assert len({before, changed, kernels.kernel_sources_digest(package)}) == 3
