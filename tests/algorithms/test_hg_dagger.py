"""HG-DAgger on ilkit/CartPole-v0 with tiny budgets: it learns, and labels fewer states than
DAgger on the same budget; the gates' takeover rules on synthetic actions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ilkit.algorithms import make_config, train
from ilkit.algorithms.errors import ConfigError
from ilkit.algorithms.gates import GATES, make_gate
from ilkit.cli import cli
from ilkit.evaluation.evaluate import evaluate

ENV = "ilkit/CartPole-v0"
CLEAR_MARGIN = 100.0  # mean return to beat: ~4.5x a random policy's ~22
BUDGET = {"total_timesteps": 2000, "round_min_timesteps": 1000, "eval_every": 0}


def test_deviation_gate_takes_over_holds_and_hands_back():
    g = make_gate("deviation", n_envs=2, discrete=True, tau=0.0, min_takeover=3)
    expert = np.array([1, 1])
    steps = [np.array([0, 1]), np.array([1, 1]), np.array([1, 1]), np.array([1, 1])]
    control = [g.decide(None, learner, expert)[0].tolist() for learner in steps]
    # env 0 deviates at step 0: held 3 steps although the learner agrees again, then handed back
    assert control == [[True, False], [True, False], [True, False], [False, False]]
    assert g.interventions == 1
    g.decide(None, np.array([0, 0]), expert)
    assert g.interventions == 3
    g.episode_end(np.array([True, False]))
    assert g.in_control.tolist() == [False, True]


def test_continuous_deviation_uses_tau():
    g = make_gate("deviation", n_envs=1, discrete=False, tau=0.5, min_takeover=1)
    assert not g.decide(None, np.array([[0.3, 0.0]]), np.zeros((1, 2)))[0][0]
    assert g.decide(None, np.array([[0.3, 0.5]]), np.zeros((1, 2)))[0][0]


def test_gate_config_is_checked():
    assert {"deviation", "ensemble"} <= set(GATES)
    with pytest.raises(ConfigError, match="gate must be one of"):
        make_config("hg_dagger", ENV, {"gate": "coin"})


def test_hg_dagger_learns_with_fewer_labels_than_dagger(data, tmp_path):
    out = tmp_path / "hg"
    result = CliRunner().invoke(
        cli,
        ["train", "hg_dagger", "--env", ENV, "--seed", "0", "--out", str(out), "--json",
         "--demos", "2", *[f"--set={k}={v}" for k, v in BUDGET.items()]],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    hg_labels = report["expert_labels"]
    assert 0 < hg_labels < report["env_steps"]
    assert 0 < report["interventions"] <= hg_labels
    assert evaluate(out / "policy", ENV, n_episodes=10, device="cpu").mean > CLEAR_MARGIN
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["expert_control_share"] == pytest.approx(hg_labels / report["env_steps"], 1e-3)

    dagger = train("dagger", ENV, n_demos=2, config=BUDGET, seed=0, device="cpu",
                   out_dir=tmp_path / "dagger")  # fmt: skip
    assert hg_labels < dagger.expert_queries


def test_ensemble_gate_learns(data, tmp_path):
    config = {**BUDGET, "gate": "ensemble", "n_heads": 3, "n_epochs": 2}
    result = train("hg_dagger", ENV, n_demos=2, config=config, seed=0, device="cpu",
                   out_dir=tmp_path / "ens")  # fmt: skip
    assert result.expert_queries < result.env_steps
    assert result.metrics["gate"] == "ensemble"
    assert evaluate(result.artifact_path, ENV, n_episodes=10, device="cpu").mean > CLEAR_MARGIN
