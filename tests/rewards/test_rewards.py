"""Reward artifacts (weights-only, one-call load, SB3 wrapper) and exact reward evaluation."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
from click.testing import CliRunner

from ilkit.cli import cli
from ilkit.envs import spec
from ilkit.envs.tabular import _truth, model
from ilkit.rewards import (
    LearnedReward,
    LearnedRewardWrapper,
    LinearReward,
    RewardArtifactError,
    StateReward,
    evaluate_reward,
    from_reward_net,
    load_reward,
)
from ilkit.rewards.evaluate import RewardEvaluationError, canonicalize, pearson_distance

GRID = "ilkit/LavaGrid-v0"


class Shaped(LearnedReward):
    """R(s) + γΦ(s') − Φ(s), scaled: the same optimal policies, EPIC 0."""

    kind = "test"

    def __init__(self, table, phi, gamma, scale):
        super().__init__({})
        self.table, self.phi, self.gamma, self.scale = table, phi, gamma, scale

    def __call__(self, obs, acts, next_obs, dones=None, *, env_id=None):
        s, s2 = obs.argmax(1), next_obs.argmax(1)
        return self.scale * (self.table[s] + self.gamma * self.phi[s2] - self.phi[s])


def test_true_reward_scaled_and_shaped_scores_perfectly():
    m = model(GRID)
    phi = np.random.default_rng(0).normal(size=m.n_states) * 5
    for reward in (
        LinearReward(3.0 * _truth._WEIGHTS[GRID]),
        StateReward(_truth.true_reward(GRID) + 7.0),
        Shaped(_truth.true_reward(GRID), phi, m.gamma, 0.5),
    ):
        result = evaluate_reward(reward, GRID)
        assert result["epic"] == pytest.approx(0.0, abs=1e-6)
        assert result["normalized_return"] == pytest.approx(1.0)
        assert result["feature_gap_l1"] == pytest.approx(0.0, abs=1e-9)


def test_negated_reward_is_epic_one_and_worse_than_random():
    result = evaluate_reward(StateReward(-_truth.true_reward(GRID)), GRID)
    assert result["epic"] == pytest.approx(1.0)
    assert result["normalized_return"] < 0.0 and result["feature_gap_l1"] > 1.0


def test_epic_pieces_by_hand():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=50)
    d, rho = pearson_distance(a, b, np.ones(50))
    assert rho == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert d == pytest.approx(np.sqrt((1 - rho) / 2))
    # canonicalisation removes potential shaping exactly, and a constant
    n, k, g = 4, 2, 0.9
    R = rng.normal(size=(n, k, n))
    phi = rng.normal(size=n)
    shaped = R + g * phi[None, None, :] - phi[:, None, None] + 3.0
    d_s, d_a = np.full(n, 1 / n), np.full(k, 1 / k)
    assert np.allclose(canonicalize(R, g, d_s, d_a), canonicalize(shaped, g, d_s, d_a))


def test_state_and_linear_rewards_round_trip_weights_only(tmp_path):
    table = np.arange(model(GRID).n_states, dtype=np.float64)
    for reward, name in ((StateReward(table), "s"), (LinearReward(np.array([1.0, 2, 3, 4])), "l")):
        reward.save(tmp_path / name, env_id=GRID, training={"algorithm": "test", "seed": 3})
        files = sorted(p.name for p in (tmp_path / name).iterdir())
        assert files == ["manifest.json", "reward.safetensors"]
        loaded = load_reward(tmp_path / name)
        assert loaded.kind == reward.kind and loaded.env_id == GRID
        assert loaded.manifest["training"] == {"algorithm": "test", "seed": 3}
        assert np.allclose(loaded.transition_table(GRID), reward.transition_table(GRID))
    with pytest.raises(RewardArtifactError, match="exists"):
        StateReward(table).save(tmp_path / "s", env_id=GRID, training={})


def test_bad_artifacts_are_one_line_errors(tmp_path):
    with pytest.raises(RewardArtifactError, match="no manifest.json"):
        load_reward(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(RewardArtifactError, match="not valid JSON"):
        load_reward(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "ilkit-reward", "kind": "x"}))
    with pytest.raises(RewardArtifactError, match="unknown reward kind"):
        load_reward(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "ilkit-reward", "kind": "state"}))
    (tmp_path / "reward.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(RewardArtifactError, match="not a valid safetensors") as info:
        load_reward(tmp_path)
    assert "\n" not in str(info.value)
    with pytest.raises(RewardArtifactError, match="41 features|4 features"):
        LinearReward(np.ones(41)).transition_table(GRID)


@pytest.mark.parametrize("kind", ["gail_logit", "airl_g", "airl_shaped"])
def test_imitation_reward_nets_are_stored_as_plain_layers(tmp_path, kind):
    import torch as th
    from imitation.rewards.reward_nets import BasicRewardNet, BasicShapedRewardNet
    from imitation.util.networks import RunningNorm

    env = gym.make("ilkit/Pendulum-v0")
    ob, ac = env.observation_space, env.action_space
    if kind == "gail_logit":
        net = BasicRewardNet(ob, ac, hid_sizes=[8, 8], normalize_input_layer=RunningNorm)
    else:
        net = BasicShapedRewardNet(
            ob, ac, reward_hid_sizes=[8], potential_hid_sizes=[8, 4], discount_factor=0.9,
            normalize_input_layer=RunningNorm,
        )  # fmt: skip
    rng = np.random.default_rng(0)
    batch = (rng.normal(size=(32, 3)).astype(np.float32), rng.uniform(-2, 2, (32, 1)),
             rng.normal(size=(32, 3)).astype(np.float32), rng.random(32) < 0.2)  # fmt: skip
    net.train()
    net(*net.preprocess(*batch))  # move the running norms off the identity
    net.eval()
    norm = {"mean": np.full(3, 0.5), "var": np.full(3, 4.0), "clip": 10.0, "epsilon": 1e-8}
    normed = tuple(np.clip((x - 0.5) / 2.0, -10, 10).astype(np.float32) if i in (0, 2) else x
                   for i, x in enumerate(batch))  # fmt: skip
    with th.no_grad():
        tensors = net.preprocess(*normed)
        want = (net.base(*tensors) if kind == "airl_g" else net(*tensors)).numpy()
    reward = from_reward_net(net, kind=kind, obs_norm=norm)
    reward.save(tmp_path / "r", env_id="ilkit/Pendulum-v0", training={})
    loaded = load_reward(tmp_path / "r")
    assert np.allclose(loaded(*batch), want, atol=1e-5)
    with pytest.raises(RewardArtifactError, match="kind must be"):
        from_reward_net(net, kind="nope")


def test_wrapper_pays_the_learned_reward_and_sb3_trains_on_it():
    from stable_baselines3 import PPO

    table = np.arange(model(GRID).n_states, dtype=np.float64)
    env = LearnedRewardWrapper(gym.make(GRID), StateReward(table))
    obs, _ = env.reset(seed=0)
    _, r, *_ = env.step(1)
    assert r == table[obs.argmax()]
    PPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0).learn(64)


def test_cli_reward_evaluate_json_and_errors(tmp_path):
    LinearReward(_truth._WEIGHTS[GRID]).save(tmp_path / "r", env_id=GRID, training={})
    out = CliRunner().invoke(cli, ["reward", "evaluate", str(tmp_path / "r"), "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["epic"] == pytest.approx(0) and result["normalized_return"] == pytest.approx(1)
    moved = spec("ilkit/LavaGridMoved-v0").id  # same features: the reward transfers
    out = CliRunner().invoke(cli, ["reward", "evaluate", str(tmp_path / "r"), "--env", moved])
    assert out.exit_code == 0 and "normalized return 1.0000" in out.output, out.output
    out = CliRunner().invoke(cli, ["reward", "evaluate", str(tmp_path / "r"), "--env",
                                   "ilkit/Pendulum-v0"])  # fmt: skip
    assert out.exit_code == 1 and "--retrain-steps" in out.output


def test_non_tabular_task_is_re_optimised_with_sb3_on_the_learned_reward(tmp_path):
    """Plumbing only (a tiny budget): SAC trains on the wrapper, evaluate scores it."""
    import torch as th
    from imitation.rewards.reward_nets import BasicRewardNet

    env = gym.make("ilkit/Pendulum-v0")
    net = BasicRewardNet(env.observation_space, env.action_space, hid_sizes=[4])
    th.manual_seed(0)
    from_reward_net(net, kind="gail_logit").save(tmp_path / "r", env_id="ilkit/Pendulum-v0",
                                                 training={})  # fmt: skip
    out = CliRunner().invoke(cli, ["reward", "evaluate", str(tmp_path / "r"), "--json",
                                   "--retrain-steps", "200"])  # fmt: skip
    assert out.exit_code == 0, out.output
    result = json.loads(out.output[out.output.index("{") :])
    assert "SAC, 200 env steps" in result["retraining"]
    assert 0.0 <= result["epic"] <= 1.0 and result["epic_samples"]["transitions"] == 4000
    assert isinstance(result["normalized_return"], float)
    with pytest.raises(RewardEvaluationError, match="positive integer"):
        evaluate_reward(load_reward(tmp_path / "r"), "ilkit/Pendulum-v0", retrain_steps=0)
