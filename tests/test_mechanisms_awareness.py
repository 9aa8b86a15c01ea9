"""Awareness as a process (`[awareness]`, docs/model.md §7.10), in tiny worlds with the
draws chosen by hand, under both engines.

With the table, an unaware clinician becomes aware only through a channel that reaches
her this week, with probability A = 1 − Π_c (1 − a_c), and (unless `unaware_enrol`)
only the aware can enrol. The one draw u is partitioned: enrol on [0, P), backlash on
[P, P + (1 − P)b), aware on the next (1 − P)(1 − b)·A of it. Each test puts one draw
just below and one just above a boundary worked out by hand.
"""

from __future__ import annotations

from campaignsim.agents import AWARE, DISENGAGED, ENROLLED, UNAWARE
from worlds import HYBRID, channel, generated, run, state
from worlds import engine  # noqa: F401 (the fixture: both engines)

# broadcast B = 0.2 at trust 0.5 (ρ = 0.5): enrolment hazard h = 0.1; awareness a_b = 0.3
BROADCAST = {"broadcast": {"intensity": 0.2}}


def states(model, n: int) -> list[int]:
    return [state(model, i) for i in range(n)]


def test_the_unaware_must_first_become_aware(engine):
    model = generated({**BROADCAST, "awareness": {"broadcast": 0.3}}, n=3, engine=engine)
    # week 1: P = 0 for the unaware, so u = 0.05 (< h) does not enrol; aware iff u < 0.3
    run(model, {0: 0.05, 1: 0.2999, 2: 0.3001})
    assert states(model, 3) == [AWARE, AWARE, UNAWARE]
    # week 2: the aware now enrol iff u < h = 0.1; the unaware still cannot
    run(model, {0: 0.0999, 1: 0.1001, 2: 0.0001})
    assert states(model, 3) == [ENROLLED, AWARE, AWARE]
    assert channel(model, 0) == "broadcast"


def test_unaware_enrol_uses_the_rest_of_the_draw(engine):
    tables = {**BROADCAST, "awareness": {"broadcast": 0.3, "unaware_enrol": True}}
    model = run(generated(tables, n=3, engine=engine), {0: 0.0999, 1: 0.3699, 2: 0.3701})
    # enrol iff u < 0.1; else aware iff u − 0.1 < 0.9·0.3 = 0.27, i.e. u < 0.37
    assert states(model, 3) == [ENROLLED, AWARE, UNAWARE]


def test_backlash_comes_before_awareness(engine):
    # M = 0.3, backlash 0.5, τ = 0.2: b = 0.12; the unaware cannot enrol (P = 0):
    # D iff u < 0.12; aware iff u − 0.12 < 0.88·a_m = 0.88·0.5 = 0.44, i.e. u < 0.56
    tables = {"mandate": {"pressure": 0.3, "backlash": 0.5}, "awareness": {"mandate": 0.5}}
    model = run(generated(tables, n=4, trust=0.2, engine=engine),
                {0: 0.1199, 1: 0.1201, 2: 0.5599, 3: 0.5601})
    assert states(model, 4) == [DISENGAGED, AWARE, AWARE, UNAWARE]


def test_channels_combine_as_independent_chances(engine):
    # broadcast a_b = 0.3 and an event a_e = 0.5 in week 1: A = 1 − 0.7·0.5 = 0.65
    tables = {**BROADCAST, "events": {"weeks": [1], "reach": 0.1},
              "awareness": {"broadcast": 0.3, "event": 0.5}}
    model = run(generated(tables, n=2, engine=engine), {0: 0.6499, 1: 0.6501})
    assert states(model, 2) == [AWARE, UNAWARE]


def test_no_channel_no_awareness(engine):
    # a broadcast that makes nobody aware (a_b = 0) leaves everyone unaware at u = 0
    tables = {**BROADCAST, "awareness": {"broadcast": 0.0}}
    model = run(generated(tables, n=2, engine=engine), {0: 0.0, 1: 0.0})
    assert states(model, 2) == [UNAWARE, UNAWARE]


def test_a_hybrids_approach_makes_aware(engine):
    # approached by the hybrid (hazard 0.56, but unaware: P = 0): aware iff u < a = 0.4
    tables = {"hybrids": HYBRID, "awareness": {"approach": 0.4}}
    model = run(generated(tables, n=2, hybrids=1, managers=0, engine=engine),
                {0: 0.3999, 1: 0.4001})
    assert states(model, 2) == [AWARE, UNAWARE]


def test_enrolled_neighbours_spread_awareness(engine):
    # four clinicians, all tied, two seeds: each unaware hears from K = 2 enrolled
    # neighbours, A = 1 − (1 − 0.2)² = 0.36 (thresholds of 1: nobody enrols by peers)
    tables = {"peer": {"threshold": 1.0}, "awareness": {"neighbour": 0.2},
              "seeding": {"count": 2, "rule": "random"}}
    below = run(generated(tables, n=4, ties=1.0, engine=engine), {i: 0.3599 for i in range(4)})
    above = run(generated(tables, n=4, ties=1.0, engine=engine), {i: 0.3601 for i in range(4)})
    assert sorted(states(below, 4)) == [AWARE, AWARE, ENROLLED, ENROLLED]
    assert sorted(states(above, 4)) == [UNAWARE, UNAWARE, ENROLLED, ENROLLED]
