"""Seed discipline: three splits that never meet.

* **training** seeds, below ``2**31``: anything a learner may see (dataset generation, training
  rollouts), derived from a user seed by :func:`training_seeds`;
* **validation** seeds, ``2**31 + i``: public and fixed; ``evaluate``'s default, learning curves,
  hyperparameter tuning and ``ilkit quickstart``. Anyone may tune on them, so a score on them is
  a development figure, not a test result;
* **test** seeds, in ``[2**31 + 2**30, 2**32)``: used only by a leaderboard, derived from a secret
  that whoever runs the board holds (``ilkit.leaderboard.testseeds``). The package holds no test
  seed; validation indices stay below ``2**30``, so the splits are disjoint.
"""

from __future__ import annotations

import numpy as np

VALIDATION_BASE = 2**31
VALIDATION_SIZE = 2**30
"""Validation seeds are ``VALIDATION_BASE + i`` for ``i < VALIDATION_SIZE``."""


def validation_seeds(n: int, start: int = 0) -> list[int]:
    """Validation seeds ``start .. start + n - 1`` (the same for every task and every run)."""
    if not (0 <= start and start + n <= VALIDATION_SIZE):
        raise ValueError(f"validation seed indices must lie in [0, 2**30), got {start}+{n}")
    return [VALIDATION_BASE + start + i for i in range(n)]


def training_seeds(seed: int, n: int) -> list[int]:
    """``n`` per-episode seeds derived from a user seed, all below :data:`VALIDATION_BASE`."""
    if not 0 <= seed < VALIDATION_BASE:
        raise ValueError(f"seed must be in [0, 2**31), got {seed}")
    state = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint32)
    return [int(s) & (VALIDATION_BASE - 1) for s in state]
