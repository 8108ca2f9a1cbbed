"""Pieces every algorithm shares: obs normalisation, the storable policy, live evaluation.

Light at import (numpy only): algorithm modules import it at their top, and the registry
imports those for ``ilkit train --help``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch as th


@dataclasses.dataclass(frozen=True)
class ObsNorm:
    """Fixed observation standardisation from the demonstrations (the artifact's ``obs_norm``)."""

    mean: np.ndarray
    var: np.ndarray
    clip: float = 10.0
    epsilon: float = 1e-8

    @classmethod
    def from_observations(cls, obs: np.ndarray) -> ObsNorm:
        obs = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
        return cls(mean=obs.mean(axis=0), var=obs.var(axis=0))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        out = (np.asarray(obs) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(out, -self.clip, self.clip).astype(np.float32)

    def unnormalize(self, obs: np.ndarray) -> np.ndarray:
        return (np.asarray(obs) * np.sqrt(self.var + self.epsilon) + self.mean).astype(np.float32)

    def transitions(self, transitions):
        """imitation ``Transitions`` with ``obs`` and ``next_obs`` standardised."""
        return dataclasses.replace(
            transitions, obs=self(transitions.obs), next_obs=self(transitions.next_obs)
        )

    def to_artifact(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "clip": self.clip, "epsilon": self.epsilon}


def mlp_policy(obs_space, act_space, net_arch: Sequence[int], activation: str, device: th.device):
    """An SB3 ActorCriticPolicy that the weights-only artifact format can store."""
    import torch as th
    from stable_baselines3.common.policies import ActorCriticPolicy

    from ilkit.policies.artifact import ACTIVATIONS

    policy = ActorCriticPolicy(
        obs_space,
        act_space,
        # The optimizer of the policy is unused by BC (imitation builds its own); a huge rate
        # makes any accidental use obvious, as imitation does.
        lr_schedule=lambda _: th.finfo(th.float32).max,
        net_arch=list(net_arch),
        activation_fn=ACTIVATIONS[activation],
    )
    return policy.to(device)


def fit_obs_norm(config: Any, obs: np.ndarray) -> ObsNorm | None:
    """The run's fixed normalisation, from the demonstrations' observations, when
    ``config.normalize_obs`` is on (None otherwise)."""
    return ObsNorm.from_observations(obs) if config.normalize_obs else None


class NormalizedPolicy:
    """A live SB3 policy with the run's obs normalisation: what evaluation and DAgger call."""

    def __init__(self, module, norm: ObsNorm | None):
        self.module = module
        self.norm = norm
        self.observation_space = module.observation_space
        self.action_space = module.action_space

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        obs = self.norm(observation) if self.norm is not None else observation
        return self.module.predict(obs, state, episode_start, deterministic)


def evaluate_live(
    module, norm: ObsNorm | None, env_id: str, n_episodes: int, device: th.device
) -> dict[str, Any]:
    """Score the current policy on validation seeds with the true reward (learning curve)."""
    from ilkit.evaluation.evaluate import evaluate

    was_training = module.training
    module.set_training_mode(False)
    try:
        result = evaluate(
            NormalizedPolicy(module, norm),
            env_id,
            n_episodes=n_episodes,
            device=str(device),
            n_envs=min(n_episodes, 10),
        )
    finally:
        module.set_training_mode(was_training)
    return {
        "mean_return": result.mean,
        "std_return": result.std,
        "normalized_score": result.normalized_score,
    }
