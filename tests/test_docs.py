"""docs/scenarios.md is generated from the scenario schema and must stay in step with it."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Union, get_args, get_origin

from pydantic import BaseModel

from campaignsim import docs
from campaignsim.scenario import Beta, Normal, Scenario, Uniform

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"


def _tables(model: type[BaseModel], path: str = ""):
    """(TOML path, model) of every table of the schema, found independently of docs.py."""
    for name, field in model.model_fields.items():
        candidates = [field.annotation]
        if get_origin(field.annotation) in (Union, types.UnionType):
            candidates = list(get_args(field.annotation))
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                table_path = f"{path}.{name}" if path else name
                yield table_path, candidate
                yield from _tables(candidate, table_path)


def _sections(text: str) -> dict[str, str]:
    """Section body by heading: '## `[staff]`' → 'staff', '### `normal`' → 'normal'."""
    parts = re.split(r"^#{2,3} (.+)$", text, flags=re.MULTILINE)
    return {heading.strip("`[] "): body for heading, body in zip(parts[1::2], parts[2::2])}


def _row_keys(body: str) -> list[str]:
    return re.findall(r"^\| `([A-Za-z_]+)` \|", body, flags=re.MULTILINE)


def test_reference_is_up_to_date():
    current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.is_file() else ""
    assert current == docs.scenario_reference(), (
        "docs/scenarios.md is out of date with the scenario schema: "
        "run `python -m campaignsim.docs`")


def test_every_scenario_field_is_documented():
    sections = _sections(docs.scenario_reference())
    expected = {"Top level": Scenario, **dict(_tables(Scenario)),
                "normal": Normal, "beta": Beta, "uniform": Uniform}
    for section, model in expected.items():
        assert section in sections, f"no section for [{section}] in docs/scenarios.md"
        assert _row_keys(sections[section]) == list(model.model_fields), (
            f"[{section}]: documented keys differ from the schema's fields")


def test_rows_show_default_unit_range_and_meaning():
    sections = _sections(docs.scenario_reference())
    hybrids = sections["hybrids"]
    assert "| `capacity` | `3` | per week | integer in [0, 1000] |" in hybrids
    assert ("| `alignment` | `0.8` | 0-1 | number in [0, 1], or a distribution table "
            "(normal, beta, uniform) |") in hybrids
    assert "one of `\"aware_first\"`, `\"random\"`" in hybrids
    assert "| `leave_week` | *unset* | week | integer ≥ 1, or unset |" in hybrids
    assert "| `half_life` | `4.0` | weeks | number in (0, 520] |" in sections["shock"]
    assert "| `broadcast` | *absent* (off) |" in sections["Top level"]
    assert "`enabled = false` turns off a table inherited" in docs.scenario_reference()


def test_main_writes_and_checks(tmp_path, capsys):
    target = tmp_path / "scenarios.md"
    assert docs.main([str(target), "--check"]) == 1
    assert "run `python -m campaignsim.docs`" in capsys.readouterr().err
    assert docs.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == docs.scenario_reference()
    assert docs.main([str(target), "--check"]) == 0
