"""Scenario files: schema defaults, mechanisms off unless on, extends, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from campaignsim.scenario import (
    MECHANISMS, Beta, Normal, Scenario, ScenarioError, Uniform, load_scenario,
    sample_attribute, validate_scenario,
)
from conftest import BASELINE, binomial_se, write


# --- defaults and mechanisms ------------------------------------------------------


def test_defaults_are_valid_and_documented_values():
    s = Scenario()
    assert s.weeks == 52 and s.seed == 0
    assert s.staff.departments == 12 and s.staff.clinicians_per_department == 80
    assert s.staff.professions.doctor + s.staff.professions.nurse + s.staff.professions.allied \
        == pytest.approx(1.0)
    assert isinstance(s.clinicians.trust_in_management, Beta)
    # the defaults survive a round trip through the validator unchanged
    assert validate_scenario(s.to_dict()) == s


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_mechanism_is_off_when_absent(mechanism):
    assert getattr(Scenario(), mechanism) is None
    assert Scenario().on(mechanism) is None


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_an_empty_table_turns_a_mechanism_on_with_defaults(mechanism):
    s = validate_scenario({mechanism: {}})
    table = s.on(mechanism)
    assert table is not None and table.enabled is True
    # everything else stays off
    assert [m for m in MECHANISMS if s.on(m) is not None] == [mechanism]


def test_broadcast_table_defaults():
    s = validate_scenario({"broadcast": {}})
    assert s.on("broadcast").intensity == 0.02
    assert s.on("broadcast").start_week == 1 and s.on("broadcast").end_week is None


def test_enabled_false_turns_a_table_off():
    s = validate_scenario({"broadcast": {"intensity": 0.5, "enabled": False}})
    assert s.on("broadcast") is None
    assert s.broadcast.intensity == 0.5  # kept, just not on


def test_baseline_file_loads_with_its_mechanisms():
    s = load_scenario(BASELINE)
    assert s.name == "baseline"
    on = {m for m in MECHANISMS if s.on(m) is not None}
    assert on == {"broadcast", "events", "hybrids", "peer", "awareness", "activation", "fatigue",
                  "erosion"}
    assert sum(s.staff.clinicians_per_department) == 1040
    assert s.staff.departments == 12 and s.staff.hybrids_per_department == 2
    assert s.staff.managers == 6 and s.weeks == 52


def test_name_defaults_to_the_file_stem(tmp_path):
    path = write(tmp_path / "my_campaign.toml", "weeks = 3\n")
    assert load_scenario(path).name == "my_campaign"
    named = write(tmp_path / "other.toml", 'name = "explicit"\n')
    assert load_scenario(named).name == "explicit"


def test_content_hash_ignores_seed_only():
    a, b = Scenario(seed=1), Scenario(seed=2)
    assert a.content_hash() == b.content_hash()
    assert a.content_hash(exclude=()) != b.content_hash(exclude=())
    assert Scenario(weeks=10).content_hash() != a.content_hash()


# --- extends ------------------------------------------------------------------------


def test_extends_inherits_and_overrides_relative_to_the_file(tmp_path):
    write(tmp_path / "lib" / "edges.csv", "source,target\n0,1\n")
    write(tmp_path / "lib" / "base.toml", """
        description = "the base"
        weeks = 30
        seed = 4
        [staff]
        graph = "edges.csv"
        [broadcast]
        intensity = 0.1
        [hybrids]
        capacity = 5
        alignment = 0.2
    """)
    child = write(tmp_path / "child" / "derived.toml", """
        extends = "../lib/base.toml"
        weeks = 10
        [hybrids]
        capacity = 7
    """)
    s = load_scenario(child)
    assert s.weeks == 10                      # overridden
    assert s.seed == 4                        # inherited
    assert s.on("broadcast").intensity == 0.1  # inherited table
    assert s.on("hybrids").capacity == 7       # overridden inside a table ...
    assert s.on("hybrids").alignment == 0.2    # ... the rest of the table merges
    assert s.name == "derived" and s.description == ""  # name/description are not inherited
    # a relative graph path is relative to the file that names it (lib/, not child/)
    assert s.staff.graph == str((tmp_path / "lib" / "edges.csv").resolve())


def test_extends_enabled_false_turns_an_inherited_table_off(tmp_path):
    write(tmp_path / "base.toml", "[broadcast]\nintensity = 0.1\n[peer]\n")
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\n[broadcast]\nenabled = false\n')
    s = load_scenario(child)
    assert s.on("broadcast") is None
    assert s.on("peer") is not None
    assert load_scenario(tmp_path / "base.toml").on("broadcast").intensity == 0.1


def test_extends_chain_of_three(tmp_path):
    write(tmp_path / "a.toml", "weeks = 5\nseed = 1\n[erosion]\nrate = 0.3\n")
    write(tmp_path / "b.toml", 'extends = "a.toml"\nseed = 2\n')
    c = write(tmp_path / "c.toml", 'extends = "b.toml"\n[erosion]\nrecovery = 0.1\n')
    s = load_scenario(c)
    assert (s.weeks, s.seed, s.on("erosion").rate, s.on("erosion").recovery) == (5, 2, 0.3, 0.1)


@pytest.mark.parametrize("files", [
    {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'},
    {"a.toml": 'extends = "a.toml"\n'},
])
def test_extends_cycle_is_an_error_naming_extends(tmp_path, files):
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "a.toml")
    assert caught.value.field == "extends"
    assert "cycle" in str(caught.value) and "a.toml" in str(caught.value)


def test_extends_missing_parent_names_the_file(tmp_path):
    child = write(tmp_path / "child.toml", 'extends = "nowhere.toml"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert "nowhere.toml" in str(caught.value) and "not found" in str(caught.value)


def test_extends_must_be_a_string(tmp_path):
    child = write(tmp_path / "child.toml", "extends = 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert caught.value.field == "extends"


# --- bad input ----------------------------------------------------------------------


def _error(tmp_path, text: str) -> ScenarioError:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "bad.toml" in str(caught.value)  # the message names the file
    return caught.value


@pytest.mark.parametrize("text, field, allowed", [
    ("colour = 3\n", "colour", "weeks"),
    ("[hybrids]\ncapasity = 3\n", "hybrids.capasity", "capacity"),
    ("[staff]\nprofesions = {}\n", "staff.profesions", "professions"),
    ("[staff.professions]\nsurgeon = 0.2\n", "staff.professions.surgeon", "doctor"),
    ("[peer]\nthreshhold = 0.3\n", "peer.threshhold", "threshold"),
])
def test_unknown_keys_are_rejected_naming_the_field_path(tmp_path, text, field, allowed):
    error = _error(tmp_path, text)
    assert error.field == field
    assert "unknown field" in error.message and allowed in error.message


@pytest.mark.parametrize("text, field", [
    ('weeks = "ten"\n', "weeks"),
    ('weeks = "10"\n', "weeks"),                    # a quoted number is not a number
    ("[staff]\nmanagers = true\n", "staff.managers"),  # nor is a boolean
    ("[staff]\nmanagers = 1.5\n", "staff.managers"),
    ('[broadcast]\nintensity = "high"\n', "broadcast.intensity"),
    ('[broadcast]\nenabled = "yes"\n', "broadcast.enabled"),
    ("staff = 3\n", "staff"),
    ('[peer]\nrule = "contagion"\n', "peer.rule"),
    ('[seeding]\nrule = "loudest"\n', "seeding.rule"),
    ("[events]\nweeks = 3\n", "events.weeks"),
    ('[clinicians]\ntrust_in_management = "high"\n', "clinicians.trust_in_management"),
])
def test_wrong_types_are_rejected_naming_the_field(tmp_path, text, field):
    assert _error(tmp_path, text).field == field


def test_integers_are_accepted_where_floats_are_expected():
    s = validate_scenario({"broadcast": {"intensity": 1}, "clinicians": {"trust_in_management": 0}})
    assert s.on("broadcast").intensity == 1.0 and s.clinicians.trust_in_management == 0.0


@pytest.mark.parametrize("text, field, bound", [
    ("[broadcast]\nintensity = 1.5\n", "broadcast.intensity", "less than or equal to 1"),
    ("[staff]\nmanagers = -1\n", "staff.managers", "greater than or equal to 0"),
    ("[staff]\nwithin_department_density = -0.1\n", "staff.within_department_density",
     "greater than or equal to 0"),
    ("weeks = 0\n", "weeks", "greater than or equal to 1"),
    ("[clinicians]\ntrust_in_management = 1.5\n", "clinicians.trust_in_management",
     "less than or equal to 1"),
    ("[seeding]\ncount = -3\n", "seeding.count", "greater than or equal to 0"),
    ("[hybrids]\ncapacity = -1\n", "hybrids.capacity", "greater than or equal to 0"),
    ("[staff]\nclinicians_per_department = [10, -2]\ndepartments = 2\n",
     "staff.clinicians_per_department.1", "greater than or equal to 1"),
])
def test_out_of_range_values_are_rejected_with_the_bound(tmp_path, text, field, bound):
    error = _error(tmp_path, text)
    assert error.field == field
    assert bound in error.message


def test_several_bad_fields_are_all_reported(tmp_path):
    error = _error(tmp_path, "weeks = 0\n[broadcast]\nintensity = 1.5\n")
    assert "weeks" in str(error) and "broadcast.intensity" in str(error)


def test_malformed_toml(tmp_path):
    error = _error(tmp_path, "[broadcast\nintensity = \n")
    assert "malformed TOML" in error.message


def test_missing_file():
    with pytest.raises(ScenarioError) as caught:
        load_scenario("/nonexistent/dir/none.toml")
    assert "none.toml" in str(caught.value) and "not found" in str(caught.value)


def test_professions_must_sum_to_one(tmp_path):
    error = _error(tmp_path, "[staff.professions]\ndoctor = 0.5\nnurse = 0.5\nallied = 0.5\n")
    assert error.field == "staff.professions" and "sum to 1" in error.message
    ok = validate_scenario({"staff": {"professions": {"doctor": 0.5, "nurse": 0.3, "allied": 0.2}}})
    assert ok.staff.professions.doctor == 0.5


def test_department_list_length_must_match_departments(tmp_path):
    error = _error(tmp_path, "[staff]\ndepartments = 3\nclinicians_per_department = [10, 20]\n")
    assert error.field == "staff" and "2 entries for 3 departments" in error.message
    ok = validate_scenario({"staff": {"departments": 2, "clinicians_per_department": [10, 20]}})
    assert ok.staff.clinicians_per_department == [10, 20]


def test_seeding_takes_one_way_only(tmp_path):
    assert _error(tmp_path, "[seeding]\nnodes = [1]\ncount = 2\n").field == "seeding"


def test_unknown_distribution_names_the_allowed_ones(tmp_path):
    error = _error(tmp_path, '[clinicians]\ntrust_in_management = '
                             '{ distribution = "gamma", k = 2 }\n')
    assert error.field == "clinicians.trust_in_management"
    for name in ("normal", "beta", "uniform"):
        assert name in error.message


def test_uniform_bounds_must_be_ordered(tmp_path):
    error = _error(tmp_path, '[clinicians]\ntrust_in_management = '
                             '{ distribution = "uniform", low = 0.8, high = 0.2 }\n')
    assert error.field == "clinicians.trust_in_management"
    assert "high must be >= low" in error.message


def test_negative_beta_shape_is_rejected(tmp_path):
    error = _error(tmp_path, '[clinicians]\ntrust_in_management = '
                             '{ distribution = "beta", a = -1, b = 2 }\n')
    assert "clinicians.trust_in_management.a" in str(error)


# --- distribution tables ------------------------------------------------------------

N_DRAWS = 20_000


def _draws(table: dict, seed: int = 0) -> np.ndarray:
    s = validate_scenario({"clinicians": {"trust_in_management": table}})
    return sample_attribute(s.clinicians.trust_in_management, N_DRAWS, np.random.default_rng(seed))


def test_fixed_number_gives_that_value():
    assert np.all(_draws(0.37) == 0.37)


def test_beta_distribution_moments():
    draws = _draws({"distribution": "beta", "a": 2, "b": 5})
    assert draws.min() >= 0 and draws.max() <= 1
    mean, var = 2 / 7, 2 * 5 / (7 ** 2 * 8)
    # 4 standard errors of a sample mean of N_DRAWS draws
    assert abs(draws.mean() - mean) < 4 * np.sqrt(var / N_DRAWS)
    # and the whole shape: Kolmogorov-Smirnov against Beta(2, 5)
    assert stats.kstest(draws, stats.beta(2, 5).cdf).pvalue > 1e-4


def test_normal_distribution_is_clipped_to_unit_interval():
    draws = _draws({"distribution": "normal", "mean": 0.5, "sd": 1.0})
    assert draws.min() == 0.0 and draws.max() == 1.0
    # the share clipped to 1 is P(Z > 0.5 / 1) = 0.3085; 4 binomial standard errors
    expected = 1 - stats.norm.cdf(0.5)
    assert abs(np.mean(draws == 1.0) - expected) < 4 * binomial_se(expected, N_DRAWS)
    assert abs(np.mean(draws == 0.0) - expected) < 4 * binomial_se(expected, N_DRAWS)


def test_normal_with_zero_sd_is_its_mean():
    assert np.all(_draws({"distribution": "normal", "mean": 0.42, "sd": 0}) == 0.42)


def test_uniform_distribution_is_clipped():
    draws = _draws({"distribution": "uniform", "low": -0.5, "high": 0.5})
    assert draws.min() == 0.0 and draws.max() <= 0.5
    # half the mass lies below 0 and is clipped to exactly 0
    assert abs(np.mean(draws == 0.0) - 0.5) < 4 * binomial_se(0.5, N_DRAWS)
    inside = draws[draws > 0]
    assert stats.kstest(inside, stats.uniform(0, 0.5).cdf).pvalue > 1e-4


def test_distribution_objects_are_the_parsed_types():
    normal = {"distribution": "normal", "mean": 0.2, "sd": 0.1}
    uniform = {"distribution": "uniform", "low": 0, "high": 1}
    beta = {"distribution": "beta", "a": 1, "b": 3}
    s = validate_scenario({"clinicians": {"trust_in_management": normal},
                           "hybrids": {"alignment": uniform}, "peer": {"threshold": beta}})
    assert isinstance(s.clinicians.trust_in_management, Normal)
    assert isinstance(s.hybrids.alignment, Uniform)
    assert isinstance(s.peer.threshold, Beta)


def test_with_overrides_validates():
    s = Scenario()
    assert s.with_overrides(weeks=7).weeks == 7
    with pytest.raises(ScenarioError) as caught:
        s.with_overrides(weeks=0)
    assert caught.value.field == "weeks"
