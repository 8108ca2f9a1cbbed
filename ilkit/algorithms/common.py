"""Pieces shared by the four algorithms: training envs, obs normalisation, policies, evaluation."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecEnvWrapper

from ilkit.envs.seeds import VALIDATION_BASE, training_seeds
from ilkit.errors import IlkitError
from ilkit.policies.artifact import ACTIVATIONS


class TrainingError(IlkitError):
    """Training could not run: missing demonstrations, an expert, too little data, ..."""


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

    def to_artifact(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "clip": self.clip, "epsilon": self.epsilon}


class NormalizedObsVecEnv(VecEnvWrapper):
    """Applies a fixed :class:`ObsNorm` to every observation, terminal ones included."""

    def __init__(self, venv: VecEnv, norm: ObsNorm):
        super().__init__(venv)
        self.norm = norm

    def reset(self) -> np.ndarray:
        return self.norm(self.venv.reset())

    def step_wait(self):
        obs, rews, dones, infos = self.venv.step_wait()
        for info in infos:
            if "terminal_observation" in info:
                info["terminal_observation"] = self.norm(info["terminal_observation"])
        return self.norm(obs), rews, dones, infos


class StepCounter(VecEnvWrapper):
    """Counts environment steps (one per sub-env per ``step``): the budget a run used."""

    def __init__(self, venv: VecEnv):
        super().__init__(venv)
        self.steps = 0

    def reset(self) -> np.ndarray:
        return self.venv.reset()

    def step_wait(self):
        self.steps += self.num_envs
        return self.venv.step_wait()


def make_training_venv(env_id: str, n_envs: int, seed: int) -> StepCounter:
    """The public hidden-reward env (never the scorer), ``n_envs`` copies seeded below 2**31."""
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor

    def make(i: int):
        return lambda: Monitor(gym.make(env_id))

    venv = DummyVecEnv([make(i) for i in range(n_envs)])
    base = min(training_seeds(seed, 1)[0], VALIDATION_BASE - 1 - n_envs)
    venv.seed(base)  # env i starts from base + i; later episodes continue each env's RNG
    venv.action_space.seed(base)
    return StepCounter(venv)


def mlp_policy(obs_space, act_space, net_arch: Sequence[int], activation: str, device: th.device):
    """An SB3 ActorCriticPolicy that the weights-only artifact format can store."""
    from stable_baselines3.common.policies import ActorCriticPolicy

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


def record_curve_point(
    curve: list[dict[str, Any]],
    logger: Any,
    module,
    norm: ObsNorm | None,
    env_id: str,
    n_episodes: int,
    device: th.device,
    *,
    round_: int,
    env_steps: int,
    cpu_start: float,
) -> None:
    """One learning-curve point of an adversarial run: :func:`evaluate_live` after ``round_``
    rounds, with the env steps and the process CPU time so far (evaluations included), appended
    to ``curve`` and logged under ``eval/``."""
    point = evaluate_live(module, norm, env_id, n_episodes, device)
    cpu = round(time.process_time() - cpu_start, 1)
    point = {"round": round_, "env_steps": env_steps, **point, "cpu_time_s": cpu}
    curve.append(point)
    for key, value in point.items():
        if value is not None:
            logger.record(f"eval/{key}", value)
