"""Training envs: the public hidden-reward env (never the scorer), counted and normalised."""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecEnvWrapper

from ilkit.algorithms.common import ObsNorm
from ilkit.envs.seeds import VALIDATION_BASE, training_seeds


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


def make_training_venv(
    env_id: str, n_envs: int, seed: int, norm: ObsNorm | None = None
) -> tuple[StepCounter, VecEnv]:
    """The public hidden-reward env (never the scorer), ``n_envs`` copies seeded below 2**31.

    Returns the step counter (``.steps``: the run's env-step budget used) and the env the
    learner steps: the counter itself, or the counter under ``norm``'s fixed normalisation.
    """
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor

    def make(i: int):
        return lambda: Monitor(gym.make(env_id))

    venv = DummyVecEnv([make(i) for i in range(n_envs)])
    base = min(training_seeds(seed, 1)[0], VALIDATION_BASE - 1 - n_envs)
    venv.seed(base)  # env i starts from base + i; later episodes continue each env's RNG
    venv.action_space.seed(base)
    counter = StepCounter(venv)
    return counter, (counter if norm is None else NormalizedObsVecEnv(counter, norm))
