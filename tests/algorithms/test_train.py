"""End-to-end training of BC, DAgger, GAIL and AIRL on ilkit/CartPole-v0 with tiny budgets.

Each run must beat a uniform random policy (about 22 on CartPole) by a clear margin on
held-out seeds, and its artifact must reload to the same actions.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ilkit.algorithms import ConfigError, make_config, train
from ilkit.cli import cli
from ilkit.errors import IlkitError
from ilkit.evaluation.evaluate import evaluate
from ilkit.policies import RandomPolicy, load_policy

ENV = "ilkit/CartPole-v0"
CLEAR_MARGIN = 100.0  # mean return to beat: ~4.5x a random policy's ~22
SMALL_EVAL = {"eval_every": 0, "eval_episodes": 3}


def _held_out_mean(artifact) -> float:
    return evaluate(artifact, ENV, n_episodes=10, device="cpu").mean


def _assert_round_trip(result) -> None:
    """The reloaded artifact acts exactly like the policy that training left in memory."""
    loaded = load_policy(result.artifact_path, device="cpu")
    rng = np.random.default_rng(0)
    obs = rng.normal(0.0, 0.5, size=(256, 4)).astype(np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], result.policy.predict(obs)[0]
    )
    manifest = loaded.manifest
    assert manifest["algorithm"] == result.algorithm
    assert manifest["task"] == ENV
    assert manifest["training"]["demos"] == result.n_demos
    assert manifest["training"]["env_steps"] == result.env_steps
    assert manifest["training"]["expert_queries"] == result.expert_queries
    assert "imitation" in manifest["versions"]


def test_random_policy_is_the_bar():
    import gymnasium as gym

    space = gym.make(ENV).action_space
    assert evaluate(RandomPolicy(space, seed=0), ENV, n_episodes=10).mean < 40


def test_bc_learns_and_round_trips(data, tmp_path):
    result = train(
        "bc",
        ENV,
        n_demos=5,
        config={"eval_every": 5},
        seed=0,
        device="cpu",
        out_dir=tmp_path / "bc",
    )
    assert result.env_steps == 0 and result.expert_queries == 0 and result.n_demos == 5
    assert _held_out_mean(result.artifact_path) > CLEAR_MARGIN
    _assert_round_trip(result)
    assert load_policy(result.artifact_path).manifest["training"]["offline"] is True
    metrics = json.loads((tmp_path / "bc" / "metrics.json").read_text())
    assert [p["epoch"] for p in metrics["curve"]] == [5, 10]
    assert (tmp_path / "bc" / "learning_curve.png").stat().st_size > 0
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "bc/tb").iterdir())


def test_lr_annealer_decays_each_round_and_restores():
    from types import SimpleNamespace

    from ilkit.algorithms.bc import lr_annealer

    cfg = make_config("bc", ENV, {"lr": 0.01, "n_epochs": 4, "anneal_lr": True})
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    step = lr_annealer(SimpleNamespace(optimizer=optimizer), cfg)
    rates = []
    for _ in range(2 * cfg.n_epochs):  # two DAgger rounds of n_epochs each
        step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.0075, 0.005, 0.0025, 0.01] * 2)
    off = lr_annealer(SimpleNamespace(optimizer=optimizer), make_config("bc", ENV, {"lr": 0.5}))
    off()
    assert optimizer.param_groups[0]["lr"] == 0.01  # anneal_lr off: the rate is left alone


def test_dagger_counts_expert_queries(data, tmp_path):
    config = {
        "total_timesteps": 3000,
        "round_min_timesteps": 1000,
        "anneal_lr": True,
        **SMALL_EVAL,
    }
    result = train(
        "dagger", ENV, n_demos=2, config=config, seed=0, device="cpu", out_dir=tmp_path / "dagger"
    )
    # every learner/expert step is one state the expert labels
    assert result.env_steps >= 3000
    assert result.expert_queries == result.env_steps
    assert result.metrics["rounds"] >= 2  # round 0 (the dataset) + collected rounds
    assert _held_out_mean(result.artifact_path) > CLEAR_MARGIN
    _assert_round_trip(result)


@pytest.mark.parametrize(
    ("algo", "steps", "anneal"), [("gail", 40_000, False), ("airl", 30_000, True)]
)
def test_adversarial_learns(data, tmp_path, algo, steps, anneal):
    config = {"total_timesteps": steps, "anneal_lr": anneal, **SMALL_EVAL}
    result = train(
        algo, ENV, n_demos=10, config=config, seed=0, device="cpu", out_dir=tmp_path / algo
    )
    assert steps - 2048 < result.env_steps <= steps
    assert result.expert_queries == 0
    assert _held_out_mean(result.artifact_path) > CLEAR_MARGIN
    _assert_round_trip(result)
    assert result.policy.norm is not None  # fixed obs normalisation, stored in the artifact
    assert "obs_norm" in load_policy(result.artifact_path).manifest
    rates = _logged_generator_learning_rates(result.out_dir)
    assert rates[-1] < rates[0] if anneal else rates[-1] == rates[0]
    _assert_reward_prefers_the_expert(result, "gail_logit" if algo == "gail" else "airl_g")


def _assert_reward_prefers_the_expert(result, net_kind: str) -> None:
    """The saved reward (weights-only) scores the expert's transitions above the same states
    with the other action: what the discriminator learned survives the round trip."""
    from ilkit import datasets
    from ilkit.rewards import load_reward

    reward = load_reward(result.out_dir / "reward")
    assert reward.fields["net_kind"] == net_kind
    assert reward.manifest["training"]["seed"] == result.metrics["seed"]
    trajs = datasets.to_trajectories(datasets.load("ilkit/CartPole/expert-v0"), 10)
    obs = np.concatenate([t.obs[:-1] for t in trajs])
    nxt = np.concatenate([t.obs[1:] for t in trajs])
    acts = np.concatenate([t.acts for t in trajs])
    expert, other = reward(obs, acts, nxt), reward(obs, 1 - acts, nxt)
    assert np.all(np.isfinite(expert)) and expert.mean() > other.mean()


def _logged_generator_learning_rates(out_dir) -> list[float]:
    import csv

    with open(out_dir / "tb" / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    key = next(k for k in rows[0] if k.endswith("train/learning_rate"))
    return [float(r[key]) for r in rows if r.get(key)]


def test_config_errors_are_clear():
    with pytest.raises(ConfigError, match=r"unknown bc config key\(s\) lrr; valid keys: .*lr"):
        make_config("bc", ENV, {"lrr": "0.1"})
    with pytest.raises(ConfigError, match="bad value 'abc' for config key 'batch_size'"):
        make_config("bc", ENV, {"batch_size": "abc"})
    with pytest.raises(ConfigError, match="n_epochs must be > 0"):
        make_config("dagger", ENV, {"n_epochs": 0})
    with pytest.raises(ConfigError, match="unknown algorithm 'ppo'"):
        make_config("ppo", ENV)
    with pytest.raises(ConfigError, match="bc_weight needs generator=sac"):
        make_config("airl", ENV, {"bc_weight": "0.4"})  # CartPole's generator is PPO
    config = make_config("gail", ENV, {"net_arch": "128,128", "normalize_obs": "false"})
    assert config.net_arch == (128, 128) and config.normalize_obs is False


def test_cli_config_error_is_one_line(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "bc",
            "--env",
            ENV,
            "--seed",
            "0",
            "--out",
            str(tmp_path),
            "--set",
            "learning_rate=0.1",
        ],
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        result.output.strip().splitlines()[0]
    ] and result.output.startswith("error: unknown bc config key(s) learning_rate; valid keys:")
    assert not (tmp_path / "policy").exists()


def test_bad_inputs_fail_before_training(data, tmp_path):
    with pytest.raises(IlkitError, match="has 10 episodes; cannot use 11 demos"):
        train("bc", ENV, n_demos=11, seed=0, device="cpu", out_dir=tmp_path / "a")
    (tmp_path / "b" / "policy").mkdir(parents=True)
    with pytest.raises(IlkitError, match="exists"):
        train("bc", ENV, seed=0, device="cpu", out_dir=tmp_path / "b")
    with pytest.raises(IlkitError, match="recorded on ilkit/CartPole-v0, not ilkit/Pendulum-v0"):
        train("bc", "ilkit/Pendulum-v0", dataset_id="ilkit/CartPole/expert-v0", out_dir=tmp_path)
    with pytest.raises(IlkitError, match="unknown environment"):
        train("bc", "ilkit/CartPol-v0", seed=0, out_dir=tmp_path / "c")


def test_cli_train_json(data, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "bc",
            "--env",
            ENV,
            "--demos",
            "3",
            "--seed",
            "1",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--set",
            "n_epochs=2",
            "--set",
            "eval_every=0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["algorithm"] == "bc" and payload["n_demos"] == 3
    assert payload["artifact_path"] == str(out / "policy")
    assert load_policy(out / "policy").manifest["config"]["n_epochs"] == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_path(data, tmp_path):
    result = train(
        "bc", ENV, n_demos=5, config=SMALL_EVAL, seed=0, device="auto", out_dir=tmp_path / "bc"
    )
    assert result.metrics["device"].startswith("cuda")
    assert next(result.policy.module.parameters()).is_cuda
    assert _held_out_mean(result.artifact_path) > CLEAR_MARGIN
    gail = train(
        "gail",
        ENV,
        n_demos=10,
        config={"total_timesteps": 4096, **SMALL_EVAL},
        seed=0,
        device="cuda",
        out_dir=tmp_path / "gail",
    )
    assert next(gail.policy.module.parameters()).is_cuda
    loaded = load_policy(gail.artifact_path, device="cuda")
    obs = np.zeros((4, 4), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(obs)[0], gail.policy.predict(obs)[0])


def test_cli_show_config_lists_keys_with_help():
    result = CliRunner().invoke(
        cli, ["train", "gail", "--env", ENV, "--show-config", "--json", "--set", "n_envs=2"]
    )
    assert result.exit_code == 0, result.output
    config = json.loads(result.stdout)
    assert config["n_envs"]["value"] == 2
    assert config["disc_lr"]["help"].startswith("Adam learning rate of the discriminator")
    assert "gamma" not in config  # the generator's discount is the task's γ, not a knob
