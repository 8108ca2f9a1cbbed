"""Inverse RL on tabular tasks: the projection method by hand, and the issue's done-when."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ilkit.algorithms.feature_matching import projection
from ilkit.cli import cli
from ilkit.envs import tabular


def test_projection_method_on_a_hand_computed_case():
    # From state 0 an action a in {0, 1, 2} moves to state a; x(0) = (0, 0), x(1) = (1, 0),
    # x(2) = (0, 1); H = 2, γ = 1, so μ(π) = x(π(0)). The expert goes to 1 in 60% of its
    # demonstrations and to 2 in 40%: μ_E = (0.6, 0.4). The uniform policy: μ = (1/3, 1/3).
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    def solve_mu(w):
        a = int(np.argmax(x @ w))
        return x[a], a

    iters = projection(np.array([0.6, 0.4]), np.array([1, 1]) / 3, solve_mu, max_iter=3,
                       epsilon=1e-9)  # fmt: skip
    # 1: w = (4/15, 1/15), t = √17/15; goes to 1, μ = (1, 0);
    #    μ̄ = μ̄0 + (7/45)/(25/45) (2/3, −1/3) = (0.52, 0.24)
    # 2: w = (0.08, 0.16), t = √0.032; goes to 2, μ = (0, 1);
    #    μ̄ = (0.52, 0.24) + (0.08/0.848) (−0.52, 0.76)
    # 3: w = μ_E − μ̄ = (0.6 − 0.52 + 0.52·0.08/0.848, 0.4 − 0.24 − 0.76·0.08/0.848)
    assert [it.policy for it in iters] == [1, 2, 1]
    assert np.allclose(iters[0].weights, [4 / 15, 1 / 15])
    assert iters[0].margin == pytest.approx(np.sqrt(17) / 15)
    assert np.allclose(iters[0].mu_bar, [0.52, 0.24])
    assert np.allclose(iters[1].weights, [0.08, 0.16])
    assert iters[1].margin == pytest.approx(np.sqrt(0.032))
    k = 0.08 / 0.848
    assert np.allclose(iters[1].mu_bar, [0.52 - 0.52 * k, 0.24 + 0.76 * k])
    assert np.allclose(iters[2].weights, [0.08 + 0.52 * k, 0.16 - 0.76 * k])
    assert iters[0].margin > iters[1].margin > iters[2].margin  # the margin shrinks


def _random_task(env_id: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, a, f = 30, 4, 6
    tabular.register(
        env_id,
        transition=rng.dirichlet(np.full(n, 0.1), size=(n, a)),
        initial=rng.dirichlet(np.ones(n)),
        features=rng.normal(size=(n, f)),
        weights=rng.normal(size=f),
        horizon=20,
        gamma=0.95,
    )


@pytest.fixture
def user_task_table():
    """A task registered by a test leaves with it: the tests that walk the task table (every
    task registered, checked, ...) see only the shipped ones, in any test order."""
    import importlib

    import gymnasium as gym

    from ilkit.envs import tasks
    from ilkit.envs.tabular import _truth

    models = importlib.import_module("ilkit.envs.tabular.model")  # the package exports model()
    stores = (tasks.TASKS, gym.registry, models._MODELS, _truth._WEIGHTS, _truth._REWARDS)
    before = [set(store) for store in stores]
    yield
    for store, keys in zip(stores, before, strict=True):
        for key in set(store) - keys:
            del store[key]


def test_done_when_mce_irl_recovers_a_random_task_from_50_demos(tmp_path, user_task_table):
    env_id = "ilkit/IrlDoneWhenRandom-v0"  # random arrays no other test uses
    _random_task(env_id, seed=20261207)
    out = tmp_path / "run"
    run = CliRunner().invoke(cli, ["train", "mce_irl", "--env", env_id, "--demos", "50",
                                   "--seed", "0", "--out", str(out)])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in (out / "reward").iterdir()) == [
        "manifest.json",
        "reward.safetensors",
    ]
    result = CliRunner().invoke(cli, ["reward", "evaluate", str(out / "reward"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["env_id"] == env_id and scores["epic_exact"]
    assert scores["epic"] <= 0.25, scores
    assert scores["normalized_return"] >= 0.9, scores


def test_feature_matching_trains_through_the_common_interface(tmp_path):
    from ilkit.algorithms import train
    from ilkit.rewards import evaluate_reward, load_reward

    result = train("feature_matching", env_id="ilkit/SlipperyLavaGrid-v0", n_demos=50, seed=0,
                   out_dir=tmp_path / "fm")  # fmt: skip
    scores = evaluate_reward(load_reward(result.out_dir / "reward"), "ilkit/SlipperyLavaGrid-v0")
    assert scores["normalized_return"] >= 0.9 and scores["epic"] <= 0.25, scores


@pytest.mark.parametrize("algo", ["mce_irl", "feature_matching"])
def test_irl_on_a_task_without_a_model_is_one_line_and_writes_nothing(tmp_path, algo):
    out = tmp_path / "run"
    run = CliRunner().invoke(cli, ["train", algo, "--env", "ilkit/CartPole-v0", "--demos", "1",
                                   "--seed", "0", "--out", str(out)])  # fmt: skip
    assert run.exit_code == 1 and "needs a tabular task" in run.output, run.output
    assert not (out / "policy").exists() and not (out / "reward").exists()
