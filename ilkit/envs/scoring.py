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


def observation_reward(env_id: str):
    """The true reward as a vectorised function (observations, actions, next observations) ->
    (N,), for the tasks whose observations determine it; None for the others (their reward
    reads simulator state the observation does not hold, so it cannot be evaluated at an
    arbitrary transition). Sampled EPIC (``ilkit.rewards``) needs exactly this."""
    from ilkit.envs.tasks import spec

    return _OBSERVATION_REWARDS.get(spec(env_id).name)


def _pendulum_reward(obs: np.ndarray, acts: np.ndarray, _next: np.ndarray) -> np.ndarray:
    # gymnasium's PendulumEnv.step: -(angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2), u
    # clipped to the max torque; obs = (cos th, sin th, thdot), so atan2 is th normalised
    # (tests/envs/test_scoring_functions.py checks it against env.step)
    obs = np.asarray(obs, dtype=np.float64).reshape(len(obs), 3)
    u = np.clip(np.asarray(acts, dtype=np.float64).reshape(len(obs)), -2.0, 2.0)
    th = np.arctan2(obs[:, 1], obs[:, 0])
    return -(th**2 + 0.1 * obs[:, 2] ** 2 + 0.001 * u**2)


def _half_cheetah_reward(obs: np.ndarray, acts: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    # gymnasium's HalfCheetah-v4 (forward weight 1, control cost 0.1, dt 0.05): the forward
    # velocity of the root; seals keeps the root's x position as observation 0
    obs, nxt = (np.asarray(x, dtype=np.float64).reshape(len(x), -1) for x in (obs, nxt))
    acts = np.asarray(acts, dtype=np.float64).reshape(len(obs), -1)
    return (nxt[:, 0] - obs[:, 0]) / 0.05 - 0.1 * np.sum(acts**2, axis=1)


_OBSERVATION_REWARDS = {"Pendulum": _pendulum_reward, "HalfCheetah": _half_cheetah_reward}
