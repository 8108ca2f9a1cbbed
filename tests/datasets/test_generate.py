import json
import os
from pathlib import Path

import gymnasium as gym
import minari
import numpy as np
import pytest
from conftest import REFS

from ilkit.datasets import (
    DatasetError,
    DatasetExistsError,
    DeviceBatchSampler,
    generate,
    load,
    load_arrays,
    to_trajectories,
    to_transitions,
)
from ilkit.datasets.checksums import data_file_checksums
from ilkit.datasets.generation import datasets_root
from ilkit.envs import spec, training_seeds
from ilkit.errors import IlkitError, UnknownEnvError
from ilkit.evaluation import make_scoring_env
from ilkit.policies import load_policy


def _replay(env, seed, actions):
    """Observations and rewards of the env reset with ``seed`` and driven by ``actions``."""
    obs = [env.reset(seed=int(seed))[0]]
    rewards = []
    for a in actions:
        o, r, terminated, truncated, _ = env.step(a)
        assert not terminated
        obs.append(o)
        rewards.append(r)
    assert truncated
    return np.stack(obs), np.array(rewards)


@pytest.mark.parametrize(
    ("env_id", "data_format"), [("ilkit/CartPole-v0", "hdf5"), ("ilkit/Pendulum-v0", "arrow")]
)
def test_round_trip_generate_load_convert(policies, env_id, data_format):
    task = spec(env_id)
    n = 3
    generate(env_id, n_episodes=n, seed=7, policy=policies[env_id], data_format=data_format,
             ref_scores=REFS, progress=False)  # fmt: skip
    ds = load(task.dataset_id, generate_if_missing=False)
    assert ds.total_episodes == n and ds.total_steps == n * task.horizon
    seeds = training_seeds(7, n)
    episode_meta = list(ds.storage.get_episode_metadata(range(n)))
    assert [m["seed"] for m in episode_meta] == seeds

    policy = load_policy(policies[env_id], device="cpu")
    env = gym.make(env_id)
    for seed, ep in zip(seeds, ds.iterate_episodes(), strict=True):
        assert ep.observations.shape == (task.horizon + 1, *env.observation_space.shape)
        assert not ep.terminations.any() and ep.truncations[-1] and not ep.truncations[:-1].any()
        assert not ep.rewards.any()  # the reward is hidden
        # the stored actions are the policy's deterministic actions at the stored observations
        expected, _ = policy.predict(ep.observations[:-1], deterministic=True)
        np.testing.assert_allclose(ep.actions, expected, rtol=0, atol=1e-6)
        # and replaying them from the seed reproduces the stored observations exactly
        obs, _ = _replay(env, seed, ep.actions)
        np.testing.assert_array_equal(obs, ep.observations)

    trajs = to_trajectories(ds)
    assert len(trajs) == n and all(t.terminal for t in trajs)
    assert trajs[0].obs.shape[0] == trajs[0].acts.shape[0] + 1
    trans = to_transitions(ds)
    assert len(trans) == n * task.horizon
    np.testing.assert_array_equal(trans.obs[: task.horizon], trajs[0].obs[:-1])
    np.testing.assert_array_equal(trans.next_obs[: task.horizon], trajs[0].obs[1:])
    assert trans.dones.sum() == n and trans.dones[task.horizon - 1]
    strict = to_transitions(ds, dones="terminations")
    assert not strict.dones.any()
    assert not any(t.terminal for t in to_trajectories(ds, dones="terminations"))

    obs, acts = load_arrays(ds, n_episodes=2)
    assert obs.dtype == np.float32 and len(obs) == len(acts) == 2 * task.horizon
    np.testing.assert_allclose(obs, trans.obs[: 2 * task.horizon], rtol=1e-6)
    np.testing.assert_array_equal(acts, trans.acts[: 2 * task.horizon])
    if task.action_type == "discrete":
        assert acts.dtype == np.int64 and acts.ndim == 1
    sampler = DeviceBatchSampler.from_dataset(ds, batch_size=64, device="cpu", n_episodes=2)
    assert sampler.n_samples == 2 * task.horizon
    batch_obs, batch_acts = next(iter(sampler))
    assert batch_obs.shape == (64, *obs.shape[1:]) and len(batch_acts) == 64


def test_with_rewards_records_the_true_reward_under_another_name(policies):
    env_id = "ilkit/Pendulum-v0"
    ds = generate(env_id, n_episodes=2, seed=3, policy=policies[env_id], with_rewards=True,
                  ref_scores=REFS, progress=False)  # fmt: skip
    assert ds.spec.dataset_id == "ilkit/Pendulum/expert-withrewards-v0"
    assert not (datasets_root() / spec(env_id).dataset_id).exists()
    meta = ds.storage.metadata["ilkit"]
    assert meta["with_rewards"] is True and "true reward" in meta["rewards"]
    scorer = make_scoring_env(env_id)
    for seed, ep in zip(training_seeds(3, 2), ds.iterate_episodes(), strict=True):
        obs, rewards = _replay(scorer, seed, ep.actions)
        np.testing.assert_array_equal(obs, ep.observations)
        np.testing.assert_allclose(ep.rewards, rewards)
        assert (ep.rewards < 0).all()  # Pendulum's reward is a cost


@pytest.mark.parametrize("data_format", ["hdf5", "arrow"])
def test_data_files_identical_whatever_workers_and_envs(policies, data_format):
    env_id = "ilkit/Pendulum-v0"  # continuous: batch-size-dependent matmuls would show here
    sums = []
    for workers, n_envs in [(1, 64), (2, 3), (3, 1)]:
        ds = generate(env_id, n_episodes=5, seed=11, policy=policies[env_id],
                      workers=workers, n_envs=n_envs, data_format=data_format, force=True,
                      ref_scores=REFS, progress=False)  # fmt: skip
        sums.append(data_file_checksums(ds.spec.data_path))
        meta = ds.storage.metadata["ilkit"]
        assert meta["checksums"] == sums[-1]
    assert sums[0] == sums[1] == sums[2]
    other = generate(env_id, n_episodes=5, seed=12, policy=policies[env_id], force=True,
                     data_format=data_format, ref_scores=REFS, progress=False)  # fmt: skip
    assert data_file_checksums(other.spec.data_path) != sums[0]


def test_metadata_and_minari_interoperability(policies):
    env_id = "ilkit/CartPole-v0"
    generate(env_id, n_episodes=2, seed=0, policy=policies[env_id], ref_scores=(10.0, 500.0),
             progress=False)  # fmt: skip
    ds = minari.load_dataset("ilkit/CartPole/expert-v0")  # Minari itself reads it
    assert ds.total_episodes == 2
    assert "ilkit/CartPole/expert-v0" in minari.list_local_datasets()
    np.testing.assert_allclose(minari.get_normalized_score(ds, np.array([255.0])), [0.5])
    meta = ds.storage.metadata
    assert meta["ref_min_score"] == 10.0 and meta["ref_max_score"] == 500.0
    assert ds.env_spec.id == env_id and ds.spec.env_spec.max_episode_steps == 500
    il = meta["ilkit"]
    assert il["env_id"] == env_id and il["seed"] == 0
    assert il["episode_seeds"] == training_seeds(0, 2)
    assert all(s < 2**31 for s in il["episode_seeds"])  # never a held-out seed
    assert il["expert"]["name"] == "test-mlp-0" and il["task"]["horizon"] == 500
    assert (
        set(il["checksums"]) == {"main_data.hdf5"} and len(il["checksums"]["main_data.hdf5"]) == 64
    )
    assert il["ilkit_version"]


def test_reference_scores_measured_on_heldout_seeds_when_missing(policies, monkeypatch):
    import ilkit.datasets.generation as generation

    monkeypatch.setattr(generation, "REF_EPISODES", 4)
    env_id = "ilkit/CartPole-v0"
    ds = generate(env_id, n_episodes=1, seed=0, policy=policies[env_id], progress=False)
    meta = ds.storage.metadata
    task = spec(env_id)
    for key, known in (("ref_min_score", task.ref_random_return),
                       ("ref_max_score", task.ref_expert_return)):  # fmt: skip
        source = meta["ilkit"]["references"][f"{key}_source"]
        assert ("references.json" in source) if known is not None else ("held-out" in source)
        assert np.isfinite(meta[key])


def test_existing_dataset_needs_force_and_force_replaces(policies):
    env_id = "ilkit/CartPole-v0"
    first = generate(env_id, n_episodes=2, seed=0, policy=policies[env_id], ref_scores=REFS,
                     progress=False)  # fmt: skip
    before = data_file_checksums(first.spec.data_path)
    with pytest.raises(DatasetExistsError, match="--force"):
        generate(env_id, n_episodes=3, seed=1, policy=policies[env_id], progress=False)
    assert data_file_checksums(first.spec.data_path) == before
    second = generate(env_id, n_episodes=3, seed=1, policy=policies[env_id], force=True,
                      ref_scores=REFS, progress=False)  # fmt: skip
    assert second.total_episodes == 3
    assert [p.name for p in datasets_root().iterdir()] == ["ilkit"]  # no temporary leftovers


def test_bad_input_is_one_clear_error_and_leaves_nothing(policies):
    with pytest.raises(UnknownEnvError, match="did you mean"):
        generate("ilkit/CartPol-v0", n_episodes=1, seed=0, policy=policies["ilkit/CartPole-v0"])
    with pytest.raises(DatasetError, match="data_format"):
        generate("ilkit/CartPole-v0", n_episodes=1, seed=0, data_format="csv")
    with pytest.raises(DatasetError, match="positive"):
        generate("ilkit/CartPole-v0", n_episodes=0, seed=0)
    with pytest.raises(DatasetError, match="does not fit"):
        generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=policies["ilkit/Pendulum-v0"])
    with pytest.raises(IlkitError, match="not a policy artifact"):
        generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=os.getcwd())
    root = datasets_root()
    assert not list(root.rglob("metadata.json")) and not list(root.glob(".ilkit-tmp-*"))


def test_full_disk_is_a_clear_error_and_leaves_nothing(policies, monkeypatch):
    import errno

    import ilkit.atomic as atomic

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "fsync_tree", no_space)
    with pytest.raises(DatasetError, match="no space left"):
        generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=policies["ilkit/CartPole-v0"],
                 ref_scores=REFS, progress=False)  # fmt: skip
    root = datasets_root()
    assert not list(root.glob(".ilkit-tmp-*")) and not (root / "ilkit/CartPole/expert-v0").exists()


def test_metadata_json_is_plain_json(policies):
    ds = generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=policies["ilkit/CartPole-v0"],
                  ref_scores=REFS, progress=False)  # fmt: skip
    raw = json.loads((Path(ds.spec.data_path) / "metadata.json").read_text())
    assert raw["dataset_id"] == "ilkit/CartPole/expert-v0" and raw["total_steps"] == 500


def test_fast_batch_predictor_matches_sb3_predict_exactly(policies, tmp_path):
    from ilkit.datasets.rollout import batch_predictor
    from ilkit.evaluation import RandomPolicy

    rng = np.random.default_rng(0)
    for path in policies.values():
        policy = load_policy(path, device="cpu")
        obs = rng.normal(size=(64, *policy.observation_space.shape)).astype(np.float32) * 3
        fast = batch_predictor(policy)(obs)
        slow, _ = policy.predict(obs, deterministic=True)
        assert fast.dtype == slow.dtype and fast.shape == slow.shape
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(batch_predictor(policy.module)(obs), slow)
    # observation normalisation and SAC's squashed actor take the same path
    from ilkit.policies.artifact import build_module, save_policy

    env = gym.make("ilkit/Pendulum-v0")
    actor = build_module("sac_actor", {"net_arch": [32, 32]}, env.observation_space,
                         env.action_space)  # fmt: skip
    norm = {"mean": np.array([0.1, -0.2, 0.3]), "var": np.array([0.5, 2.0, 4.0]), "clip": 5.0}
    path = save_policy(tmp_path / "sac", env_id="ilkit/Pendulum-v0", manifest={}, module=actor,
                       obs_norm=norm)  # fmt: skip
    policy = load_policy(path, device="cpu")
    obs = rng.normal(size=(64, 3)).astype(np.float32) * 3
    np.testing.assert_array_equal(batch_predictor(policy)(obs), policy.predict(obs)[0])
    # anything else goes through its own predict
    env = gym.make("ilkit/CartPole-v0")
    assert batch_predictor(RandomPolicy(env.action_space))(np.zeros((5, 4))).shape == (5,)


def test_a_policy_with_invalid_actions_is_a_clear_error():
    class Wobbly:
        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            return np.full(len(obs), 0.7), None  # not an integer action

    with pytest.raises(IlkitError, match="integer action"):
        generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=Wobbly(), ref_scores=REFS,
                 progress=False)  # fmt: skip
    assert not list(datasets_root().rglob("metadata.json"))


def test_relative_datasets_path_works(policies, tmp_path, monkeypatch):
    # a relative MINARI_DATASETS_PATH (as in `MINARI_DATASETS_PATH=data ilkit generate ...`)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINARI_DATASETS_PATH", "rel/minari")
    env_id = "ilkit/CartPole-v0"
    ds = generate(env_id, n_episodes=2, seed=0, policy=policies[env_id], ref_scores=REFS,
                  progress=False)  # fmt: skip
    assert ds.total_episodes == 2
    assert (tmp_path / "rel" / "minari" / "ilkit" / "CartPole" / "expert-v0").is_dir()
    assert load("ilkit/CartPole/expert-v0").total_episodes == 2
