"""The one error for bad input and the ranges of the integer arguments.

Apart from scenario.py (which re-exports them) because they need nothing but Python:
the command line parses and checks its flags, and `campaignsim --help` answers, without
loading pydantic, numpy or Mesa.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ScenarioError(Exception):
    """A scenario (or an input it names) is invalid; the message is for the user."""

    def __init__(self, source: str | Path | None, field: str | None, message: str):
        self.source, self.field, self.message = source, field, message
        parts = [str(p) for p in (source, field) if p]
        super().__init__(": ".join(parts + [message]))


#: Seeds are 0 … 2³² − 1 (numpy's SeedSequence entropy words); weeks 1 … 1040 (20 years);
#: the most replications and worker processes the API and the CLI accept.
SEED_MAX = 2**32 - 1
WEEKS_MAX = 1040
REPLICATIONS_MAX = 100_000
#: Most parameter sets a comparison draws from a posterior (each runs every strategy R times).
DRAWS_MAX = 10_000
WORKERS_MAX = 1024


def whole_number(value: Any, name: str, low: int, high: int) -> int:
    """`value` as an int if it is a whole number in [low, high], else a ScenarioError.

    The API's and the CLI's one check of integer arguments (seed, weeks, workers, ...):
    a bool, a float (1.7 would silently become 1) or a string is refused, not coerced.

    Examples:
        >>> whole_number(7, "seed", 0, SEED_MAX)
        7
        >>> whole_number(True, "seed", 0, SEED_MAX)
        Traceback (most recent call last):
        ...
        campaignsim.limits.ScenarioError: seed: must be a whole number from 0 to 4294967295 (got True)
    """
    if isinstance(value, bool) or not hasattr(value, "__index__") or not low <= value <= high:
        raise ScenarioError(None, name, f"must be a whole number from {low} to {high} "
                            f"(got {value!r})")
    return int(value)
