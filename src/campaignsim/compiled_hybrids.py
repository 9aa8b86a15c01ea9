"""The hybrids' week as one compiled loop (numba): the numbers of their steps one by one.

Each week the hybrids step in a random order (Mesa's `AgentSet.shuffle_do`), each taking
up to `capacity` of its department's open clinicians (HybridLeader.choose_clinicians:
the first hybrid of a department sees all of them, a later one what the earlier left),
at random or the aware first, by the smallest of one random key per candidate. That is
~10 µs of Python a hybrid (the step, its gathering, its draw, its `argpartition`), 24
hybrids a week in the baseline. Here the week is:

1. the same order: the hybrids' AgentSet shuffled by the same `random.shuffle` (which
   draws by the list's length only, so shuffling positions gives Mesa's permutation);
2. the same keys with one draw: how many keys each hybrid draws is known before drawing
   (a hybrid seeing n > capacity candidates draws n; n ≤ capacity takes all without
   drawing; capacity 0 takes nothing, and the next sees what it saw), and consecutive
   `Generator.random(a)`, `random(b)` are `random(a + b)` cut in two (PCG64 gives one
   double per 64-bit output; tests/test_kernels_hybrids.py checks it);
3. the same choices: `choose` walks the hybrids in that order over each department's
   candidates (ascending, as `Approaches.hybrid_candidates` gathers them) and takes the
   `capacity` smallest keys — the same SET `argpartition` takes; its order within the set
   is never read (each clinician is approached by one hybrid at most, so the writes of
   `Approaches.hybrids_done` and the candidates left for the next are sets);
4. the same arithmetic: the hazard credibility × (alignment × resonance + framing) and the
   credibility's drift, with the operations of agents.py in its order (numba contracts
   no multiply-add without fastmath), so equal numbers, not close ones.

In weeks when nobody is open the kernel only drifts the credibilities (the model owes
the shuffle, as on the numpy path). Imported only when `kernels.compiled()`; the numpy
path is the hybrids' own `step`, unchanged.
Ties between keys (possible only when aware_first adds 1 to keys 2⁻⁵³ apart) would be
broken by position here and by introselect in `argpartition`: a chance of order 10⁻¹³
a week, never seen.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from .agents import UNAWARE
from .kernels import njit


@njit
def gather(approachable, by_department, department_starts, order, hybrid_department,
           campaigning, capacity):
    """Every department's open clinicians, ascending (`rows[starts[d]:starts[d + 1]]`),
    and how many keys the hybrids draw this week in `order`. `by_department`: the
    clinicians by department, ascending within each, department d's from
    `department_starts[d]` (one pass, where counting first took two)."""
    departments = len(department_starts) - 1
    rows = np.empty(len(by_department), dtype=np.int64)
    starts = np.empty(departments + 1, dtype=np.int64)
    left = np.empty(departments, dtype=np.int64)
    found = 0
    for d in range(departments):
        starts[d] = found
        for i in by_department[department_starts[d]:department_starts[d + 1]]:
            rows[found] = i  # kept only when approachable: no branch to mispredict
            found += approachable[i]
        left[d] = found - starts[d]
    starts[departments] = found
    draws = 0
    for h in order:
        if campaigning[h] and capacity > 0:
            seen = left[hybrid_department[h]]
            if seen > capacity:
                draws += seen
            left[hybrid_department[h]] = max(seen - capacity, 0)
    return rows, starts, draws


CREDIBILITY = attrgetter("credibility")

#: Up to this capacity the smallest keys are found by insertion into a sorted list of the
#: smallest so far (expected O(seen + capacity² log seen); at capacity 1 and ~70 keys, the
#: baseline's week, ~10× faster than numba's np.partition); above, by quickselect.
INSERTION_UP_TO = 16


@njit
def smallest(keys, count, room, taken_at):
    """Writes to `taken_at[:count]` the positions of the `count` smallest `keys` (1 ≤ count
    < len(keys)), ascending; of keys equal at the cut, the first ones (the set of a stable
    sort's first `count`; argpartition's but for ties). `room`: space for `count` keys."""
    if count > INSERTION_UP_TO:
        cut, at_cut = _cut_among(_select(keys.copy(), count), count)
        taken = 0
        for k in range(len(keys)):
            if keys[k] < cut or (keys[k] == cut and at_cut > 0):
                at_cut -= keys[k] == cut
                taken_at[taken] = k
                taken += 1
        return
    room[:count] = np.inf  # the smallest keys so far, ascending, at positions taken_at
    for k in range(len(keys)):
        key = keys[k]
        if key < room[count - 1]:
            j = count - 1
            while j > 0 and room[j - 1] > key:
                room[j], taken_at[j] = room[j - 1], taken_at[j - 1]
                j -= 1
            room[j], taken_at[j] = key, k
    for i in range(1, count):  # the positions ascending (insertion: count ≤ 16)
        position, j = taken_at[i], i
        while j > 0 and taken_at[j - 1] > position:
            taken_at[j] = taken_at[j - 1]
            j -= 1
        taken_at[j] = position


@njit
def _select(values, count):
    """`values` reordered so that its first `count` are its `count` smallest, the last of
    them the largest (Hoare's quickselect; numba's np.partition took 5.7 s to compile)."""
    low, high, target = 0, len(values) - 1, count - 1
    while low < high:
        pivot = values[(low + high) // 2]
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if target <= j:
            high = j
        elif target >= i:
            low = i
        else:  # between j and i every value is the pivot
            break
    return values


@njit
def _cut_among(selected, count):
    """The largest of `selected[:count]` (its last) and how many equal it."""
    cut, at_cut = selected[count - 1], 0
    for j in range(count):
        at_cut += selected[j] == cut
    return cut, at_cut


@njit
def choose(rows, starts, keys, order, hybrid_department, campaigning, alignment, credibility,
           capacity, aware_first, adapted_resonance, credibility_max, legitimacy_cost,
           credibility_rate, state, resonance, hazard, approached_alignment, touched,
           approached):
    """Each hybrid in `order` approaches its choice (writing `hazard`,
    `approached_alignment`, `touched`, and `approached[h]`, how many); then every
    campaigning hybrid's credibility drifts. Returns whether anyone was approached."""
    left = starts[1:] - starts[:-1]  # a department's candidates left: rows[start:start+left]
    used = 0                         # keys read so far
    anyone = False
    room = np.empty(min(capacity, INSERTION_UP_TO))  # smallest's
    work = np.empty(left.max() if len(left) else 0)  # a hybrid's keys
    taken_at = np.empty(min(capacity, len(work)), dtype=np.int64)  # positions taken
    for h in order:
        if not campaigning[h]:
            continue
        d = hybrid_department[h]
        start, seen = starts[d], left[d]
        taken = min(capacity, seen)
        if capacity > 0 and seen > capacity:  # else all of them (or none), no keys
            mine = work[:seen]
            for k in range(seen):  # aware_first: the unaware's keys raised by 1
                raised = aware_first and state[rows[start + k]] == UNAWARE
                mine[k] = keys[used + k] + (1.0 if raised else 0.0)  # x + 0.0 is x
            used += seen
            smallest(mine, capacity, room, taken_at)
        else:
            for i in range(taken):
                taken_at[i] = i
        framing = (1 - alignment[h]) * adapted_resonance
        for i in range(taken):
            row = rows[start + taken_at[i]]
            hazard[row] = credibility[h] * (alignment[h] * resonance[row] + framing)
            approached_alignment[row] = alignment[h]
            touched[row] = True
        # the others left for the department's next hybrid, still ascending: the rows
        # before the first taken stay where they are
        kept, i = (taken_at[0] if taken else seen), 0
        for k in range(kept, seen):
            if i < taken and k == taken_at[i]:
                i += 1
            else:
                rows[start + kept] = rows[start + k]
                kept += 1
        left[d] = kept
        approached[h] = seen - kept
        anyone = anyone or seen > kept
    for h in range(len(campaigning)):
        if campaigning[h]:
            target = credibility_max * (1 - legitimacy_cost * alignment[h])
            credibility[h] += credibility_rate * (target - credibility[h])
    return anyone


def shuffled_positions(random, count: int) -> np.ndarray:
    """The positions 0 … count − 1 in the order `random.shuffle` gives a list of `count`:
    Mesa's `shuffle_do` order, from the same numbers (a shuffle draws by length only)."""
    positions = list(range(count))
    random.shuffle(positions)
    return np.array(positions, dtype=np.int64)


class HybridWeek:
    """One model's hybrids' weeks through the kernels (a model holds one when compiled).

    Keeps what changes only when hybrids leave: the AgentSet's members in its order, and
    their departments, alignments and whether they campaign, as arrays; made again when
    `model.hybrids` is another list (the model makes a new one when hybrids leave) or the
    AgentSet another size (iterating the AgentSet to compare its members, weak references,
    cost more than the rest of the week's Python)."""

    def __init__(self):
        self._members = ()
        self._key = None          # what the table was made for: (model.hybrids, size)
        self._departments = None  # the clinicians by department, for `gather`

    def _clinicians_by_department(self, model, anyone_open: bool) -> tuple:
        """`gather`'s `by_department` and `department_starts`: the world's department
        members end to end (clinicians never change department), or none of them in a
        week nobody is open."""
        if not anyone_open:
            return np.empty(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        if self._departments is None:
            members = model.department_members
            sizes = [len(department) for department in members]
            self._departments = (np.concatenate([*members, np.empty(0, dtype=np.int64)]),
                                 np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))
        return self._departments

    def _table(self, model, hybrids) -> None:
        key = (model.hybrids, len(hybrids))
        if self._key is not None and key[0] is self._key[0] and key[1] == self._key[1]:
            return
        self._key = key
        members = self._members = tuple(hybrids)
        self._campaigners = [h for h in members if h.campaigning]
        self._position = np.array([i for i, h in enumerate(members) if h.campaigning],
                                  dtype=np.int64)
        self.department = np.array([h.department for h in members], dtype=np.int64)
        self.campaigning = np.array([h.campaigning for h in members], dtype=np.bool_)
        self.alignment = np.array([h.alignment for h in members], dtype=np.float64)
        settings = self._campaigners[0].settings if self._campaigners else None
        self.settings = settings
        if settings is not None:  # `choose`'s constants, in its order
            self.constants = (settings.capacity, settings.approach == "aware_first",
                              *map(float, (settings.adapted_resonance, settings.credibility_max,
                                           settings.legitimacy_cost, settings.credibility_rate)))

    def step(self, model, hybrids, anyone_open: bool) -> None:
        """The week of `hybrids` (the model's HybridLeader AgentSet): when anyone is open,
        the order of `hybrids.shuffle_do("step")`, its draws, its choices and drifts; when
        nobody is, the drifts only (the model owes the shuffle, CampaignModel._hybrids_step)."""
        self._table(model, hybrids)
        # Mesa shuffles its weakrefs: the same length, so the same order
        order = shuffled_positions(hybrids.random, len(self._members) if anyone_open else 0)
        if self.settings is None:  # nobody campaigns: the shuffle was all the week drew
            return
        approaches, population = model.approaches, model.population
        rows, starts, draws = gather(
            approaches.approachable, *self._clinicians_by_department(model, anyone_open),
            order, self.department, self.campaigning, self.settings.capacity)
        keys = model.rng.random(draws)
        credibility = np.fromiter(map(CREDIBILITY, self._members), dtype=np.float64,
                                  count=len(self._members))
        approached = np.zeros(len(self._members), dtype=np.int64)
        if choose(rows, starts, keys, order, self.department, self.campaigning, self.alignment,
                  credibility, *self.constants, population.state, population.resonance,
                  approaches.hybrid_hazard, approaches.hybrid_alignment,
                  approaches.hybrid_touched, approached):
            approaches.any_hybrid = True
        for hybrid, value, count in zip(self._campaigners, credibility[self._position].tolist(),
                                        approached[self._position].tolist()):
            hybrid.credibility = value
            hybrid.approached_last_week = count
