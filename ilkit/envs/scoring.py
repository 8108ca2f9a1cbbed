"""The scorer: the only code in ilkit that reads a task's true reward.

A :class:`ScoringEnv` is the public task with its reward revealed. For the same seed and actions
it produces exactly the observations of ``gym.make(env_id)``, plus the true reward.

It lives in ``envs``, the lowest room, beside the dynamics it drives, so that every room that
measures a true return (``ilkit envs check``, expert training, :func:`ilkit.evaluation.evaluate`)
reaches it without importing upwards. It is private: ``ilkit.envs`` does not export it, and no
registered id makes one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ilkit.envs.dynamics import TaskEnv


class ScoringEnv(TaskEnv):
    """Gymnasium env of a task with its true reward; fixed horizon, never terminates."""

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, truncated = self._dynamics.step(action)
        return obs, reward, False, truncated, {}


def make_scoring_env(env_id: str, **kwargs: Any) -> ScoringEnv:
    """The true-reward form of ``env_id`` (for evaluation and expert training only)."""
    return ScoringEnv(env_id, **kwargs)
