"""Writing results safely: atomic files, manifests, and never clobbering another run.

Every file is written to a temporary name in its folder and renamed into place, so an
interrupted write never leaves half a file, and the folder claim in progress (see
`folders`) learns of each file it creates, so a failed command removes only those. A
results folder carries a manifest naming the scenario (by content hash), seed and
replications that wrote it; `folders.Claim` refuses to write different results into it
unless the caller passes `force`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Callable

from . import kernels
from .folders import MANIFEST, make_folders, note_written  # noqa: F401  (MANIFEST: re-exported)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(temporary_path)` then rename the result to `path`."""
    make_folders(Path(os.path.abspath(path.parent)))
    existed = os.path.lexists(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    note_written(path, existed)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def versions(*extras: str) -> dict:
    """Versions of Python and the libraries that shape the results, and of `extras` (the
    optional libraries a command used: pyABC for fit, Optuna for optimise) where installed."""
    found = {"python": platform.python_version()}
    for package in ("campaignsim", "mesa", "numpy", "scipy", "networkx", "pandas", "pydantic"):
        found[package] = _version(package)
    for package in extras:
        if (version := _version(package)) is not None:
            found[package] = version
    return found


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def manifest(kind: str, identity: str, **fields) -> dict:
    return {"kind": kind, "identity": identity, **fields,
            "versions": versions(*(("numba",) if kernels.compiled() else ())),
            "kernel": kernels.chosen(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}
