"""Writing results safely: atomic files, manifests, and never clobbering another run.

Every file is written to a temporary name in its folder and renamed into place, so an
interrupted write never leaves half a file. A results folder carries a manifest naming
the scenario (by content hash) that wrote it; writing a different scenario into it is
refused unless the caller passes `force`.
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

from .scenario import ScenarioError

MANIFEST = "manifest.json"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(temporary_path)` then rename the result to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def versions() -> dict:
    """Versions of Python and the libraries that shape the results."""
    found = {"python": platform.python_version()}
    for package in ("campaignsim", "mesa", "numpy", "scipy", "networkx", "pandas", "pydantic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def claim_folder(folder: Path, kind: str, identity: str, force: bool = False) -> None:
    """Make sure `folder` may receive results of `kind` with `identity` (a scenario hash).

    A folder is free when it does not exist, is empty, or holds a manifest of the same
    kind and identity. Anything else (another scenario's results, files we did not
    write) is refused with a message, unless `force`.
    """
    if force or not folder.exists():
        return
    if not folder.is_dir():
        raise ScenarioError(folder, "--out", "exists and is not a folder")
    contents = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if not contents:
        return
    manifest = folder / MANIFEST
    try:
        existing = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ScenarioError(folder, "--out", "folder holds files that campaignsim did not "
                            "write; choose another --out or pass --force") from None
    if existing.get("kind") != kind or existing.get("identity") != identity:
        raise ScenarioError(folder, "--out", f"folder holds results of another {existing.get('kind', 'run')} "
                            f"({existing.get('scenario', '?')}, a different scenario); choose "
                            "another --out or pass --force to overwrite")


def manifest(kind: str, identity: str, **fields) -> dict:
    return {"kind": kind, "identity": identity, **fields, "versions": versions(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}
