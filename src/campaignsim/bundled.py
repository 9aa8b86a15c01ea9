"""The bundled scenarios: installed with the package, named on the command line by name.

The repository's `scenarios/` folder is the one source of truth: pyproject.toml maps it
to the package `campaignsim.scenarios`, so a wheel installs it as package data, and a
clone (an editable install, or PYTHONPATH=src) reads it in place. Every command that
takes a scenario file also takes a bundled name (`campaignsim run baseline`,
`campaignsim sweep sweeps/hybrid_alignment`); `campaignsim scenarios` lists them with the
question each asks, and `campaignsim scenarios copy NAME DIR` gives an editable copy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .scenario import ScenarioError

#: What a bundled scenario file ends with; its name is its path without it.
SUFFIX = ".toml"


def bundled_folder() -> Path:
    """The folder of the bundled scenarios: the clone's `scenarios/` when this code runs
    from a source tree (src/campaignsim/ beside scenarios/), else the installed package
    data."""
    source = Path(__file__).resolve().parents[2] / "scenarios"
    if (source.parent / "pyproject.toml").is_file() and source.is_dir():
        return source
    return Path(str(resources.files("campaignsim") / "scenarios"))


def bundled_names(folder: Path | None = None) -> list[str]:
    """Names of the bundled scenarios ("baseline", "sweeps/hybrid_alignment"): the
    strategies first (baseline leading), then those in subfolders."""
    folder = folder or bundled_folder()
    names = [p.relative_to(folder).with_suffix("").as_posix()
             for p in folder.rglob(f"*{SUFFIX}")]
    return sorted(names, key=lambda n: (n.count("/"), n != "baseline", n))


def scenario_path(text: str | Path) -> Path:
    """The file a command-line scenario argument names: an existing path as given, else a
    bundled scenario of that name (with or without ".toml"). A bare name that is neither
    is refused with the bundled names; any other path is returned as given, so that
    loading it reports the missing file."""
    path = Path(text)
    if path.exists():
        return path
    name = str(text).removesuffix(SUFFIX)
    bundled = bundled_folder() / f"{name}{SUFFIX}"
    if name and ".." not in Path(name).parts and not path.is_absolute() and bundled.is_file():
        return bundled
    if name and path.suffix == "" and not path.is_absolute():
        raise ScenarioError(text, None, "no such file, nor a bundled scenario of that name; "
                            "bundled: " + ", ".join(bundled_names()))
    return path


def question_of(path: Path) -> str | None:
    """The "Question:" lines of a scenario file's header comment, joined into one line
    (None when the file has none or cannot be read)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    question, collecting = [], False
    for line in lines:
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.lower().startswith("question:"):
            collecting, text = True, text[len("question:"):].strip()
        elif collecting and (not text or text.split(":")[0].istitle() and ":" in text[:20]):
            break
        if collecting:
            question.append(text)
    if not question:
        return None
    text = " ".join(question)
    return text[:1].upper() + text[1:]


def format_listing(folder: Path | None = None) -> str:
    """One line per bundled scenario: its name and the question it asks."""
    folder = folder or bundled_folder()
    names = bundled_names(folder)
    width = max(map(len, names), default=0)
    lines = [f"{name:<{width}}  {question_of(folder / f'{name}{SUFFIX}') or '—'}"
             for name in names]
    lines.append(f"({len(names)} bundled scenarios in {folder}; run one by name, e.g. "
                 "`campaignsim run baseline`; `campaignsim scenarios copy NAME DIR` makes an "
                 "editable copy)")
    return "\n".join(lines)


def copy_scenario(name: str, folder: str | Path, force: bool = False) -> list[Path]:
    """Copy bundled scenario `name`, the bundled files it extends and the graph files they
    name into `folder` (made where missing, through the folder rule), keeping their
    relative names so `extends` and `staff.graph` still resolve; return the files written.
    An existing file is replaced only with `force`."""
    from .folders import Claim, make_folders
    from .results_io import write_text
    from .scenario import _extends_chain

    source = bundled_folder()
    path = source / f"{name.removesuffix(SUFFIX)}{SUFFIX}"
    if not path.is_file():
        raise ScenarioError(name, None, "no bundled scenario of that name; allowed: "
                            + ", ".join(bundled_names(source)))
    chain = []
    for file, data in _extends_chain(path):
        staff = data.get("staff") if isinstance(data.get("staff"), dict) else {}
        chain += [file.resolve(), *(Path(staff[key]) for key in ("graph", "nodes")
                                    if isinstance(staff.get(key), str))]
    chain = list(dict.fromkeys(chain))
    outside = [f for f in chain if not f.is_relative_to(source.resolve())]
    if outside:   # cannot happen for the bundled set; a guard for files added to it later
        raise ScenarioError(path, "extends", f"names a file outside the bundled set: "
                            f"{outside[0]}")
    relative = [f.relative_to(source.resolve()) for f in chain]

    def check(target: Path) -> None:
        clashes = [str(r) for r in relative if (target / r).exists()]
        if clashes and not force:
            raise ScenarioError(target, "DIR", f"already holds {', '.join(clashes)}; choose "
                                "another folder or pass --force to overwrite")

    with Claim(folder, check, flag="DIR") as claim:
        written = []
        for file, name_in_folder in zip(chain, relative):
            target = claim.folder / name_in_folder
            claim.created_folders += make_folders(target.parent)
            write_text(target, file.read_text(encoding="utf-8"))
            written.append(target)
    return written
