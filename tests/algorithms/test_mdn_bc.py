"""Mixture-density BC on Detour: it goes around the obstacle where Gaussian BC does not.

Detour's expert picks its side at random per episode, so its demonstrations are bimodal where
it turns. Both heads get the same small CPU budget (30 demos, 60 epochs); the MDN must score
clearly higher on the validation seeds, and its artifact must reload (kind ``mdn``), score
the same through ``ilkit evaluate`` and also work as DAgger's policy.
"""

from __future__ import annotations

import pytest

from ilkit.algorithms import ConfigError, make_config, train
from ilkit.evaluation.evaluate import evaluate
from ilkit.policies import load_policy

ENV = "ilkit/Detour-v0"
BUDGET = {"n_epochs": 60}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    import os

    from ilkit.datasets import generate

    root = tmp_path_factory.mktemp("detour")
    before = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(root / "minari")
    try:
        generate(ENV, n_episodes=30, seed=0, progress=False)
        return {
            head: train(
                "bc",
                ENV,
                seed=0,
                device="cpu",
                out_dir=root / head,
                config={**BUDGET, "policy": head},
            )  # fmt: skip
            for head in ("default", "mdn")
        }
    finally:
        if before is None:
            os.environ.pop("MINARI_DATASETS_PATH")
        else:
            os.environ["MINARI_DATASETS_PATH"] = before


def test_mdn_beats_gaussian_bc_on_detour(runs):
    gaussian = evaluate(runs["default"].artifact_path, ENV, n_episodes=20).normalized_score
    mdn = evaluate(runs["mdn"].artifact_path, ENV, n_episodes=20).normalized_score
    assert mdn > 0.8, mdn
    assert mdn > gaussian + 0.2, (mdn, gaussian)


def test_mdn_artifact_reloads_as_kind_mdn(runs):
    policy = load_policy(runs["mdn"].artifact_path, device="cpu")
    assert policy.manifest["kind"] == "mdn"
    assert policy.manifest["architecture"]["n_components"] == 5
    assert policy.manifest["config"]["policy"] == "mdn"


def test_policy_head_is_validated():
    with pytest.raises(ConfigError, match="policy must be one of"):
        make_config("bc", ENV, {"policy": "flow"})
    with pytest.raises(ConfigError, match="n_components must be > 0"):
        make_config("bc", ENV, {"n_components": "0"})


def test_mdn_on_discrete_actions_is_a_clear_error(tmp_path):
    from ilkit.errors import IlkitError

    with pytest.raises(IlkitError, match="policy=mdn needs continuous actions"):
        train("bc", "ilkit/CartPole-v0", n_demos=2, out_dir=tmp_path,
              config={"policy": "mdn", "n_epochs": 1})  # fmt: skip


def test_dagger_trains_an_mdn_policy(runs, tmp_path):
    result = train("dagger", ENV, n_demos=10, seed=0, device="cpu", out_dir=tmp_path,
                   config={"policy": "mdn", "n_epochs": 5, "total_timesteps": 600,
                           "round_min_timesteps": 300, "eval_every": 0})  # fmt: skip
    assert result.expert_queries > 0
    assert load_policy(result.artifact_path, device="cpu").manifest["kind"] == "mdn"
