"""The private store of the hidden reward of every tabular task.

Only the scorer (:mod:`ilkit.envs.tabular.base`, driven by ``ilkit.envs.scoring``), the exact
expert (:func:`ilkit.envs.tabular.expert_policy`) and reward evaluation (``ilkit.rewards``) read
it. The weights are never in a Gymnasium spec, its kwargs, an env attribute or ``info``.
"""

from __future__ import annotations

import numpy as np

from ilkit.envs.tasks import spec

_WEIGHTS: dict[str, np.ndarray] = {}
_REWARDS: dict[str, np.ndarray] = {}


def set_weights(env_id: str, weights: np.ndarray, features: np.ndarray) -> None:
    _WEIGHTS[env_id] = weights
    reward = features @ weights
    reward.setflags(write=False)
    _REWARDS[env_id] = reward


def true_reward(env_id: str) -> np.ndarray:
    """R(s) = x(s)ᵀw of a tabular task (S,): for scoring only."""
    return _REWARDS[spec(env_id).id]
