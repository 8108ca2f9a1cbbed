"""Checkpoints restore everything training needs: weights, optimizers, normalisation, buffer."""

import numpy as np
import pytest
import torch as th

from ilkit.envs.tasks import spec
from ilkit.experts.expert_checkpoint import load_checkpoint, save_checkpoint
from ilkit.experts.hyperparams import hyperparams
from ilkit.experts.train import ExpertTrainConfig, _build


@pytest.mark.parametrize(
    ("env_id", "algo", "extra"),
    [
        ("ilkit/MountainCar-v0", "ppo", {}),  # VecNormalize
        ("ilkit/Pendulum-v0", "sac", {"learning_starts": 50}),  # replay buffer, entropy coef
    ],
)
def test_checkpoint_round_trip(tmp_path, env_id, algo, extra):
    params = {**hyperparams(env_id, algo), **extra}
    config = ExpertTrainConfig(env_id=env_id, algo=algo, timesteps=300, seed=1, device="cpu")
    model, venv = _build(spec(env_id), config, params)
    model.learn(300)
    save_checkpoint(tmp_path / "ckpt", model, venv, {"best_mean": -1.0})

    fresh, fresh_venv = _build(spec(env_id), config, params)
    state = load_checkpoint(tmp_path / "ckpt", fresh, fresh_venv)
    assert state["best_mean"] == -1.0 and fresh.num_timesteps == model.num_timesteps
    for name, tensors in model.get_parameters().items():
        restored = fresh.get_parameters()[name]
        if name == "policy":
            for key, value in tensors.items():
                assert th.equal(value, restored[key]), key
        else:  # optimizer: same step counts and moments
            assert str(tensors["state"]) == str(restored["state"])
    if hasattr(venv, "obs_rms"):
        assert np.array_equal(venv.obs_rms.mean, fresh_venv.obs_rms.mean)
        assert venv.ret_rms.count == fresh_venv.ret_rms.count
    if algo == "sac":
        assert th.equal(model.log_ent_coef, fresh.log_ent_coef)
        size = model.replay_buffer.pos
        assert size > 0 and fresh.replay_buffer.pos == size
        assert np.array_equal(model.replay_buffer.observations[:size],
                              fresh.replay_buffer.observations[:size])  # fmt: skip
    obs = np.stack([venv.observation_space.sample() for _ in range(3)])
    assert np.array_equal(model.predict(obs, deterministic=True)[0],
                          fresh.predict(obs, deterministic=True)[0])  # fmt: skip


def test_tqc_actor_exports_as_a_sac_actor(tmp_path):
    from ilkit.experts.train import _actor_module
    from ilkit.policies import load_policy, save_policy

    env_id = "ilkit/Pendulum-v0"
    config = ExpertTrainConfig(env_id=env_id, algo="tqc", timesteps=10, seed=0, device="cpu")
    model, _ = _build(spec(env_id), config, hyperparams(env_id, "tqc"))
    save_policy(tmp_path / "a", env_id=env_id, manifest={}, module=_actor_module(model, "tqc"))
    loaded = load_policy(tmp_path / "a", device="cpu")
    assert loaded.manifest["kind"] == "sac_actor"
    obs = np.stack([model.observation_space.sample() for _ in range(4)])
    expected, _ = model.predict(obs, deterministic=True)
    assert np.allclose(loaded.predict(obs)[0], expected, atol=1e-6)


def test_ars_resumes_its_search_point_and_exports_a_linear_policy(tmp_path):
    from ilkit.experts.train import _actor_module
    from ilkit.policies import load_policy, save_policy

    env_id = "ilkit/Swimmer-v0"
    config = ExpertTrainConfig(env_id=env_id, algo="ars", timesteps=4000, seed=0, device="cpu")
    model, venv = _build(spec(env_id), config, hyperparams(env_id, "ars"))
    model.learn(4000)  # two updates of the (zero-initialised) linear map
    assert model.weights.abs().sum() > 0
    save_checkpoint(tmp_path / "ckpt", model, venv, {})
    fresh, fresh_venv = _build(spec(env_id), config, hyperparams(env_id, "ars"))
    load_checkpoint(tmp_path / "ckpt", fresh, fresh_venv)
    assert th.equal(fresh.weights, model.weights)  # the next update starts from here

    save_policy(tmp_path / "a", env_id=env_id, manifest={}, module=_actor_module(model, "ars"))
    loaded = load_policy(tmp_path / "a", device="cpu")
    assert loaded.manifest["kind"] == "ars"
    assert loaded.manifest["architecture"]["net_arch"] == []
    obs = np.stack([venv.observation_space.sample() for _ in range(5)])
    assert np.array_equal(loaded.predict(obs)[0], model.predict(obs, deterministic=True)[0])
