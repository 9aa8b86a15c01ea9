"""Results folders that never lose what the user made: one rule for every command that
writes (run, compare, sweep, report, plot, sensitivity).

* The path is resolved before anything looks at it (`missing/../precious` *is* `precious`),
  and a final name of "", "." or ".." is refused.
* Missing folders are created one by one by this process, which remembers which it made;
  a folder counts as ours only then.
* The folder is claimed with a lock file, created exclusively (pid, host, start time) and
  held with flock for the whole command; a lock whose holder has died (its flock is free)
  is taken over, a live one ends the command with "in use by pid N" (exit 2).
* The folder's contents are checked under that lock, at the moment of claiming: another
  kind, scenario, seed or replication count, or files campaignsim did not write, are
  refused unless `force`.
* Every file is written under a temporary name and renamed (results_io.atomic_write), and
  each file a claim's command creates is remembered. On failure or Ctrl-C exactly those
  files are removed, then the folders this process created if they are empty; nothing
  else, ever (no rmtree). A SIGKILL removes nothing: the lock is left, and is stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from .scenario import ScenarioError

try:
    import fcntl
except ImportError:   # not POSIX: a lock is stale when its pid is gone
    fcntl = None

LOCK_FILE = ".lock"
MANIFEST = "manifest.json"

#: The claims open in this process, innermost last; atomic_write reports to them.
_open_claims: list["Claim"] = []


def resolve_target(path: str | Path, flag: str = "--out") -> Path:
    """`path` made absolute with symlinks and ".." resolved; refuses names of no folder."""
    raw = Path(path).expanduser()
    if str(path) == "" or raw.name in ("", ".", ".."):
        raise ScenarioError(str(path), flag, "names no folder of its own ('', '.' and '..' "
                            "are refused); name a results folder, e.g. results/my-run")
    return raw.resolve()


def make_folders(folder: Path) -> list[Path]:
    """Create `folder` and its missing ancestors, one mkdir each; return those this
    process created (outermost first). A folder someone else makes meanwhile is theirs."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    created = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except NotADirectoryError:
            raise ScenarioError(path, "--out", "a part of this path is a file, not a "
                                "folder") from None
        created.append(path)
        for claim in _open_claims:
            if path.is_relative_to(claim.folder):
                claim.created_folders.append(path)
    return created


def note_written(path: Path, existed: bool) -> None:
    """Called by atomic_write after a file is renamed into place."""
    if existed:
        return
    path = Path(os.path.abspath(path))
    for claim in _open_claims:
        if path.is_relative_to(claim.folder):
            claim.created_files.append(path)


# --- the lock ------------------------------------------------------------------------


def _flock(handle: int) -> bool:
    """Take the flock on `handle` without waiting; True where there is no flock."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(handle: int) -> dict:
    os.lseek(handle, 0, os.SEEK_SET)
    try:
        return json.loads(os.read(handle, 4096).decode("utf-8") or "{}")
    except ValueError:
        return {}


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


class FolderLock:
    """An exclusive claim on a folder: FOLDER/.lock, flocked by its holder from the moment
    it appears and naming it (pid, host, start time).

    The lock file is written and flocked under a temporary name, then hard-linked to .lock,
    which fails if .lock exists: as exclusive as O_EXCL, and never seen empty. A .lock whose
    flock is free has lost its holder (the kernel drops a flock when its process dies,
    even by SIGKILL), whatever pid it names; it is taken over."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_FILE
        self.handle: int | None = None

    def acquire(self) -> None:
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode("utf-8")
        for _ in range(100):   # retried only while locks appear and vanish under us
            if self._create(info):
                return
            try:
                handle = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:
                continue
            if not self._stale(handle):
                holder = _holder(handle)
                os.close(handle)
                raise self._in_use(holder)
            if not self._still_there(handle):   # released and removed as we opened it
                os.close(handle)
                continue
            os.ftruncate(handle, 0)
            os.lseek(handle, 0, os.SEEK_SET)
            os.write(handle, info)
            self.handle = handle
            return
        raise ScenarioError(self.path.parent, "--out", "could not claim the folder: its lock "
                            "keeps changing; try again")

    def _create(self, info: bytes) -> bool:
        """Publish a new, flocked lock file; False if .lock exists already."""
        temporary = self.path.with_name(f"{LOCK_FILE}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        handle = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
        try:
            _flock(handle)
            os.write(handle, info)
            os.link(temporary, self.path)
        except (FileExistsError, FileNotFoundError):   # held; or a holder's tidy-up took ours
            os.close(handle)
            return False
        except BaseException:
            os.close(handle)
            raise
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        self.handle = handle
        return True

    def _stale(self, handle: int) -> bool:
        """Whether the lock's holder is gone (then we now hold its flock)."""
        if not _flock(handle):
            return False
        if fcntl is not None:   # a free flock is proof enough, whatever pid the file names
            return True
        holder = _holder(handle)
        return holder.get("host") != socket.gethostname() or not _pid_alive(holder.get("pid"))

    def _still_there(self, handle: int) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(handle)
        return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)

    def _in_use(self, holder: dict) -> ScenarioError:
        who = f"pid {holder['pid']}" if "pid" in holder else "another process"
        if holder.get("host") and holder["host"] != socket.gethostname():
            who += f" on {holder['host']}"
        since = f" since {holder['started']}" if "started" in holder else ""
        return ScenarioError(self.path.parent, "--out", f"folder is in use by {who}{since}; "
                             "wait for it to finish or choose another --out")

    def release(self) -> None:
        if self.handle is None:
            return
        with contextlib.suppress(OSError):
            if self._still_there(self.handle):
                os.unlink(self.path)
        os.close(self.handle)
        self.handle = None


# --- the claim -----------------------------------------------------------------------


def read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_contents(folder: Path, kind: str, identity: str, fields: dict, force: bool,
                   remedy: str) -> dict | None:
    """The manifest of `folder` if it holds results of this kind, identity and fields;
    None if it holds nothing (hidden files aside); else ScenarioError saying what differs."""
    if not folder.is_dir():
        raise ScenarioError(folder, "--out", "exists and is not a folder")
    if not any(not p.name.startswith(".") for p in folder.iterdir()):
        return None
    existing = read_manifest(folder)
    if force:
        return existing
    if existing is None:
        raise ScenarioError(folder, "--out", f"folder holds files that campaignsim did not "
                            f"write; {remedy}")
    if existing.get("kind") != kind:
        raise ScenarioError(folder, "--out", f"folder holds a {existing.get('kind', '?')} of "
                            f"{existing.get('scenario', '?')}, not a {kind}; {remedy}")
    if existing.get("identity") != identity:
        raise ScenarioError(folder, "--out", f"folder holds results of another {kind} "
                            f"({existing.get('scenario', '?')}, a different scenario); {remedy}")
    differ = [f"{name} ({existing.get(name)!r} in the folder, {value!r} now)"
              for name, value in fields.items() if existing.get(name) != value]
    if differ:
        raise ScenarioError(folder, "--out", f"folder holds results of the same scenario with "
                            f"a different {' and '.join(differ)}; {remedy}")
    return existing


def results_check(kind: str, identity: str, fields: dict, force: bool,
                  remedy: str = "choose another --out or pass --force to overwrite"):
    """The check a Claim makes of a run's or comparison's folder (see check_contents)."""
    return lambda folder: check_contents(folder, kind, identity, fields, force, remedy)


class Claim:
    """`with Claim(folder, check) as claim:` — the folder resolved, created where missing,
    locked, then `check(folder)` run under the lock (its answer, the manifest of the
    results there, is `claim.existing`). On an exception the files written under the claim
    and the folders made for it are removed, unless `claim.keep` has been set.

    With `create` False the claim adds files to an existing results folder (plot,
    sensitivity): it is locked, never made."""

    def __init__(self, folder: str | Path, check=None, create: bool = True,
                 flag: str = "--out"):
        self.folder = resolve_target(folder, flag)
        self.check, self.create = check, create
        self.lock = FolderLock(self.folder)
        self.created_folders: list[Path] = []
        self.created_files: list[Path] = []
        self.keep = False
        self.existing: dict | None = None

    def __enter__(self) -> "Claim":
        if not self.create and not self.folder.is_dir():
            raise ScenarioError(self.folder, None, "no such results folder")
        if self.folder.exists() and not self.folder.is_dir():
            raise ScenarioError(self.folder, "--out", "exists and is not a folder")
        try:
            self.created_folders = make_folders(self.folder)
            _open_claims.append(self)
            self.lock.acquire()
            if self.check is not None:
                self.existing = self.check(self.folder)
        except BaseException:
            self._close(failed=True)
            raise
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        self._close(failed=error is not None)
        return False

    def _close(self, failed: bool) -> None:
        undo = failed and not self.keep
        try:
            if undo:
                for path in reversed(self.created_files):
                    with contextlib.suppress(OSError):
                        path.unlink()
        finally:
            self.lock.release()
            if self in _open_claims:
                _open_claims.remove(self)
            if undo:   # deepest first; a folder still holding anything stays
                for folder in sorted(self.created_folders, key=lambda p: len(p.parts),
                                     reverse=True):
                    with contextlib.suppress(OSError):
                        folder.rmdir()


def claim_file(path: str | Path, is_ours, force: bool = False, flag: str = "--out") -> Path:
    """Resolve a single output file and make sure it may be written: a file that exists is
    replaced only if `is_ours(path)` says campaignsim wrote it, or with `force`."""
    target = resolve_target(path, flag)
    if target.is_dir():
        raise ScenarioError(path, flag, "is a folder; name a file")
    if target.exists() and not force and not is_ours(target):
        raise ScenarioError(path, flag, "exists and was not written by campaignsim; choose "
                            "another name or pass --force to overwrite it")
    return target

