"""ilkit follows four pieces of private code of its pinned libraries (each measured faster than
the public path: benchmarks/results/private_copies.md, sac_update.md, bc_throughput.md). Each
test fails when the library's original changes, so that a version bump re-checks the copy
instead of silently diverging from it."""

from __future__ import annotations

import hashlib
import inspect

import pytest


def _source_digest(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def _sac_train():
    from stable_baselines3 import SAC

    return SAC.train


def _dagger_load_demos():
    from imitation.algorithms import dagger

    return dagger.DAggerTrainer._try_load_demos


def _actor_critic(name):
    def get():
        from stable_baselines3.common.policies import ActorCriticPolicy

        return getattr(ActorCriticPolicy, name)

    return get


def _distribution_mode(name):
    def get():
        from stable_baselines3.common import distributions

        return getattr(distributions, name).mode

    return get


def _mujoco(name):
    def get():
        from gymnasium.envs.mujoco.mujoco_env import MujocoEnv

        return getattr(MujocoEnv, name)

    return get


# library source -> (its digest when the copy was last checked, the copy in ilkit)
PINNED = {
    "SAC.train": (_sac_train, "d5ad8c53cd5177d0", "ilkit/algorithms/offpolicy.py LeanSAC.train"),
    "DAggerTrainer._try_load_demos": (
        _dagger_load_demos, "1ad13d659a3072b6",
        "ilkit/algorithms/dagger.py DeviceDAggerTrainer._try_load_demos",
    ),
    "ActorCriticPolicy._predict": (
        _actor_critic("_predict"), "f283010ffe44ad4e",
        "ilkit/datasets/rollout.py _actor_critic_mode",
    ),
    "ActorCriticPolicy.get_distribution": (
        _actor_critic("get_distribution"), "f2f8ddb30a9beaea",
        "ilkit/datasets/rollout.py _actor_critic_mode",
    ),
    "ActorCriticPolicy._get_action_dist_from_latent": (
        _actor_critic("_get_action_dist_from_latent"), "96660636deab9f17",
        "ilkit/datasets/rollout.py _actor_critic_mode",
    ),
    "CategoricalDistribution.mode": (
        _distribution_mode("CategoricalDistribution"), "9ec10b6425faaba0",
        "ilkit/datasets/rollout.py _actor_critic_mode",
    ),
    "DiagGaussianDistribution.mode": (
        _distribution_mode("DiagGaussianDistribution"), "adbe6d88ca17f78e",
        "ilkit/datasets/rollout.py _actor_critic_mode",
    ),
    "MujocoEnv.do_simulation": (
        _mujoco("do_simulation"), "e74c4bf660b003c1",
        "ilkit/envs/dynamics.py TaskDynamics.step_unchecked (obs-only MuJoCo step)",
    ),
    "MujocoEnv._step_mujoco_simulation": (
        _mujoco("_step_mujoco_simulation"), "59cfa150d2b7b23b",
        "ilkit/envs/dynamics.py TaskDynamics.step_unchecked (obs-only MuJoCo step)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_library_code_an_ilkit_copy_follows_is_unchanged(name):
    get, digest, copy = PINNED[name]
    assert _source_digest(get()) == digest, (
        f"{name} changed in the installed library: re-check {copy} against it (and its "
        "benchmark), then update the digest here"
    )
