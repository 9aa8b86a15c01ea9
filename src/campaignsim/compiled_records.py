"""What a compiled week records, in compiled loops: the joint count of the records
(outcomes.Records.record) and the week's enrolments (population.Population.enrol).

`np.bincount(joint_code + state)` first writes every clinician's cell to a temporary
array, then counts it: 24 µs a week at 10,000 staff. This loop counts each clinician's
cell as it reads it (14 µs). Counting is integer arithmetic, so the counts are the same.
`Population.enrol` made ~12 short numpy calls (15 µs a week at 1,040 staff) for a few
enrolments; `enrol` does its writes, counts and the two products of `rules.commitment`
in one loop. Imported only when `kernels.compiled()`.
"""

from __future__ import annotations

import numpy as np

from .agents import ENROLLED
from .kernels import njit


@njit
def count_cells(joint_code, state, size):
    """How many clinicians are in each joint cell: cell joint_code[i] + state[i] of i."""
    joint = np.zeros(size, dtype=np.int64)
    for i in range(len(state)):
        joint[joint_code[i] + state[i]] += 1
    return joint


@njit
def enrol(index, week, channel, ownership, fidelity, erosion_rate, activation_rate, seed,
          state, enrolled_week, channel_of, ownership_of, fidelity_of, erosion_base,
          activation, enrolments):
    """Population.enrol of enrolments `index` through `channel` (one each): state, week,
    channel, ownership and fidelity written, the enrolments counted by channel, the
    erosion base rate·(1 − o) and activation min(a·o, 1) of rules.commitment. Returns the
    ownership and fidelity of the campaign's enrolments (all but seeds), in index order."""
    owned = np.empty(len(index))
    faithful = np.empty(len(index))
    campaign = 0
    for i in range(len(index)):
        row = index[i]
        state[row] = ENROLLED
        enrolled_week[row] = week
        channel_of[row] = channel[i]
        enrolments[channel[i]] += 1
        ownership_of[row] = ownership[i]
        fidelity_of[row] = fidelity[i]
        erosion_base[row] = erosion_rate * (1.0 - ownership[i])
        activation[row] = min(activation_rate * ownership[i], 1.0)
        if channel[i] != seed:
            owned[campaign] = ownership[i]
            faithful[campaign] = fidelity[i]
            campaign += 1
    return owned[:campaign], faithful[:campaign]
