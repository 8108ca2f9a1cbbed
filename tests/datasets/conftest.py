"""Fixtures: small seeded MLP policies saved as ilkit artifacts (no bundled expert needed)."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch as th
from stable_baselines3.common.policies import ActorCriticPolicy

import ilkit  # noqa: F401  (registers the tasks)
from ilkit.policies import save_policy

REFS = (0.0, 100.0)  # given reference scores: skips the held-out measurement in most tests


def _mlp_artifact(path, env_id: str, seed: int = 0):
    env = gym.make(env_id)
    th.manual_seed(seed)
    module = ActorCriticPolicy(
        env.observation_space, env.action_space, lambda _: 0.0, net_arch=[64, 64]
    )
    env.close()
    return save_policy(path, env_id=env_id, manifest={"name": f"test-mlp-{seed}"}, module=module)


@pytest.fixture(scope="session")
def policies(tmp_path_factory):
    """``{env_id: artifact path}`` of a seeded, untrained 64x64 MLP per task used here."""
    root = tmp_path_factory.mktemp("policies")
    return {
        env_id: _mlp_artifact(root / env_id.replace("/", "_"), env_id)
        for env_id in ("ilkit/CartPole-v0", "ilkit/Pendulum-v0")
    }
