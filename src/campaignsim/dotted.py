"""Dotted scenario paths ("hybrids.alignment") from nested TOML tables: one reading for
`[sweep]`, `[fit.priors]` and `[optimise.levers]` (and a strategy's settings in optimise).
It imports nothing of campaignsim, so the schemas of scenario.py, fit/ and optimise/ can
all use it.
"""

from __future__ import annotations


def flatten_paths(table: dict, prefix: str = "", is_leaf=lambda table: False) -> dict:
    """Nested tables as dotted paths: {"hybrids": {"alignment": v}} → {"hybrids.alignment": v}.

    `[sweep.grid]` and `[sweep.sample.ranges]` (also `[fit.priors]`, `[optimise.levers]`)
    may be written with quoted keys (`"hybrids.alignment" = [...]`) or with TOML's dotted
    keys (`hybrids.alignment = [...]`, which TOML reads as nested tables); both give the
    same paths. `is_leaf(table)` says when a table is itself a value (a prior, a lever).
    """
    flat: dict = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not is_leaf(value):
            flat.update(flatten_paths(value, path, is_leaf))
        else:
            flat[path] = value
    return flat
