"""The scorer: the only code in ilkit that reads a task's true reward.

A :class:`ScoringEnv` is the public task with its reward revealed. For the same seed and actions
it produces exactly the observations of ``gym.make(env_id)``, plus the true reward.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from ilkit.envs.dynamics import TaskDynamics
from ilkit.envs.tasks import spec


class ScoringEnv(gym.Env):
    """Gymnasium env of a task with its true reward; fixed horizon, never terminates."""

    def __init__(self, env_id: str, render_mode: str | None = None):
        self.task_spec = spec(env_id)
        self._dynamics = TaskDynamics(self.task_spec, render_mode=render_mode)
        self.observation_space = self._dynamics.observation_space
        self.action_space = self._dynamics.action_space
        self.metadata = self._dynamics.metadata
        self.render_mode = render_mode

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        return self._dynamics.reset(seed=seed), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, truncated = self._dynamics.step(action)
        return obs, reward, False, truncated, {}

    def render(self):
        return self._dynamics.render()

    def close(self) -> None:
        self._dynamics.close()


def make_scoring_env(env_id: str, **kwargs: Any) -> ScoringEnv:
    """The true-reward form of ``env_id`` (for evaluation and expert training only)."""
    return ScoringEnv(env_id, **kwargs)
