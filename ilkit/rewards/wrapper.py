"""A Gymnasium wrapper that pays a learned reward, so any SB3 algorithm can train on it."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from ilkit.rewards.artifact import LearnedReward


class LearnedRewardWrapper(gym.Wrapper):
    """``step()`` returns the learned reward of (obs, action, next_obs, done) instead of the
    env's (0.0 for an ilkit task). The true reward stays hidden: nothing else changes."""

    def __init__(self, env: gym.Env, learned: LearnedReward, env_id: str | None = None):
        super().__init__(env)
        self._learned = learned
        self._env_id = env_id or (env.spec.id if env.spec is not None else None)
        self._last_obs: np.ndarray | None = None

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self._last_obs = np.asarray(obs)
        return obs, info

    def step(self, action: Any):
        obs, _, terminated, truncated, info = self.env.step(action)
        r = self._learned(
            self._last_obs[None],
            np.asarray(action)[None],
            np.asarray(obs)[None],
            np.array([terminated]),
            env_id=self._env_id,
        )
        self._last_obs = np.asarray(obs)
        return obs, float(np.asarray(r).reshape(-1)[0]), terminated, truncated, info
