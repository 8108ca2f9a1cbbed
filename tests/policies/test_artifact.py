import json

import gymnasium as gym
import numpy as np
import pytest
import torch as th

from ilkit.policies import ArtifactError, load_policy, read_manifest, save_policy


@pytest.fixture(scope="module")
def ppo_policy():
    from stable_baselines3 import PPO

    return PPO("MlpPolicy", gym.make("ilkit/CartPole-v0"), seed=0, device="cpu").policy


def test_actor_critic_round_trip_gives_identical_actions(tmp_path, ppo_policy):
    norm = {"mean": np.arange(4.0), "var": np.full(4, 4.0), "clip": 5.0, "epsilon": 1e-8}
    save_policy(
        tmp_path / "p",
        env_id="ilkit/CartPole-v0",
        manifest={"algorithm": "ppo"},
        module=ppo_policy,
        obs_norm=norm,
    )
    loaded = load_policy(tmp_path / "p", device="cpu")
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32) * 3
    expected = np.clip((obs - norm["mean"]) / np.sqrt(4.0 + 1e-8), -5, 5).astype(np.float32)
    assert np.array_equal(
        loaded.predict(obs)[0], ppo_policy.predict(expected, deterministic=True)[0]
    )
    single, _ = loaded.predict(obs[0])
    assert single.shape == () and loaded.manifest["kind"] == "actor_critic"
    assert loaded.manifest["versions"]["torch"] == th.__version__


def test_sac_actor_round_trip(tmp_path):
    from stable_baselines3 import SAC

    sac = SAC("MlpPolicy", gym.make("ilkit/Pendulum-v0"), seed=0, device="cpu")
    save_policy(tmp_path / "s", env_id="ilkit/Pendulum-v0", manifest={}, module=sac.actor)
    loaded = load_policy(tmp_path / "s", device="cpu")
    obs = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs)[0], sac.actor.predict(obs, deterministic=True)[0]
    )


def test_weights_file_is_safetensors_not_pickle(tmp_path, ppo_policy):
    save_policy(tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={}, module=ppo_policy)
    raw = (tmp_path / "p" / "policy.safetensors").read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    json.loads(raw[8 : 8 + header_len])  # safetensors: a JSON header, then raw tensor bytes
    assert b"\x80\x04" not in raw[:2]  # no pickle protocol marker at the start


def test_existing_artifact_is_kept_unless_overwrite(tmp_path, ppo_policy):
    save_policy(tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={"v": 1}, module=ppo_policy)
    with pytest.raises(ArtifactError, match="exists"):
        save_policy(
            tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={"v": 2}, module=ppo_policy
        )
    assert read_manifest(tmp_path / "p")["v"] == 1
    save_policy(
        tmp_path / "p",
        env_id="ilkit/CartPole-v0",
        manifest={"v": 2},
        module=ppo_policy,
        overwrite=True,
    )
    assert read_manifest(tmp_path / "p")["v"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temporary leftovers


def test_bad_artifacts_give_clear_errors(tmp_path, ppo_policy):
    with pytest.raises(ArtifactError, match="not a policy artifact"):
        load_policy(tmp_path / "missing")
    save_policy(tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={}, module=ppo_policy)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    manifest["architecture"]["net_arch"] = {"pi": [8], "vf": [8]}
    (tmp_path / "p" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="does not fit the declared architecture"):
        load_policy(tmp_path / "p")
    (tmp_path / "p" / "policy.safetensors").write_bytes(b"garbage")
    with pytest.raises(ArtifactError, match="not a valid safetensors"):
        load_policy(tmp_path / "p")
    (tmp_path / "p" / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_policy(tmp_path / "p")


def test_unknown_kind_is_refused(tmp_path, ppo_policy):
    save_policy(tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={}, module=ppo_policy)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    manifest["kind"] = "pickled_module"
    (tmp_path / "p" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="unknown policy kind"):
        load_policy(tmp_path / "p")


def test_uniform_random_scripted_artifact(tmp_path):
    env = gym.make("ilkit/Pendulum-v0")
    manifest = {"kind": "scripted", "controller": "uniform_random", "seed": 3}
    for name in ("a", "b"):
        save_policy(
            tmp_path / name,
            env_id="ilkit/Pendulum-v0",
            manifest=manifest,
            observation_space=env.observation_space,
            action_space=env.action_space,
        )
    a, b = load_policy(tmp_path / "a"), load_policy(tmp_path / "b")
    obs = np.zeros((500, 3), dtype=np.float32)
    actions = a.predict(obs)[0]
    assert actions.shape == (500, 1) and np.all(np.abs(actions) <= 2.0)
    assert actions.std() > 0.8  # uniform on [-2, 2] has std 1.15
    np.testing.assert_array_equal(actions, b.predict(obs)[0])  # seeded: reproducible


def test_artifacts_are_readable_by_others(tmp_path, ppo_policy):
    path = save_policy(tmp_path / "p", env_id="ilkit/CartPole-v0", manifest={}, module=ppo_policy)
    assert path.stat().st_mode & 0o755 == 0o755
    assert all(f.stat().st_mode & 0o644 == 0o644 for f in path.iterdir())
