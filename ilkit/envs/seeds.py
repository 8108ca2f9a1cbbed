"""Seed discipline: data and training seeds never meet the held-out evaluation seeds.

Seeds below ``2**31`` are for anything a learner may see (dataset generation, training);
held-out evaluation seeds are ``2**31 + i``. A leaderboard score is therefore never measured on
an episode whose initial state appears in a dataset.
"""

from __future__ import annotations

import numpy as np

HELDOUT_BASE = 2**31


def heldout_seeds(n: int) -> list[int]:
    """The first ``n`` held-out evaluation seeds (the same for every task and every run)."""
    return [HELDOUT_BASE + i for i in range(n)]


def training_seeds(seed: int, n: int) -> list[int]:
    """``n`` per-episode seeds derived from a user seed, all below :data:`HELDOUT_BASE`."""
    if not 0 <= seed < HELDOUT_BASE:
        raise ValueError(f"seed must be in [0, 2**31), got {seed}")
    state = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint32)
    return [int(s) & (HELDOUT_BASE - 1) for s in state]
