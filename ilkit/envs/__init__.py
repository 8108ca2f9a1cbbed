"""HR-MDP tasks registered with Gymnasium: ``gym.make("ilkit/CartPole-v0")``.

Importing this module registers every task (``import ilkit`` does it), and
``gym.make("ilkit.envs:ilkit/CartPole-v0")`` works without a prior import.
"""

from __future__ import annotations

import gymnasium as gym

from ilkit.envs.seeds import training_seeds, validation_seeds
from ilkit.envs.tasks import TASKS, TaskSpec, spec

__all__ = ["TASKS", "TaskSpec", "ids", "make", "spec", "training_seeds", "validation_seeds"]


def ids() -> list[str]:
    """Ids of every registered task, in table order."""
    return list(TASKS)


def make(env_id: str, **kwargs) -> gym.Env:
    """``gym.make`` with ilkit's clear error for an unknown id (close matches listed)."""
    return gym.make(spec(env_id).id, **kwargs)


def _register() -> None:
    for task in TASKS.values():
        if task.id in gym.registry:  # re-import (e.g. importlib.reload): keep the first
            continue
        gym.register(
            id=task.id,
            entry_point="ilkit.envs.hidden:HiddenRewardEnv",
            max_episode_steps=task.horizon,
            kwargs={"task": task.id},
        )


_register()

from ilkit.envs import tabular as _tabular  # noqa: E402, F401  (registers the tabular tasks)
