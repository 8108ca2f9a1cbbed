"""Every bundled expert loads, acts on its task, and keeps its manifest promises."""

import gymnasium as gym
import numpy as np
import pytest

import ilkit
import ilkit.experts as experts
from ilkit.envs.dynamics import validate_action
from ilkit.errors import IlkitError
from ilkit.evaluation import evaluate
from ilkit.policies import ArtifactPolicy
from ilkit.policies.submission import training_info

BUNDLED = experts.available()
MANIFEST_FIELDS = ("algorithm", "hyperparameters", "timesteps", "seed", "versions", "true_return")


def test_classic_control_experts_are_bundled():
    for name in ("CartPole", "MountainCar", "Pendulum"):
        assert f"ilkit/{name}-v0" in BUNDLED


@pytest.mark.parametrize("env_id", BUNDLED)
def test_expert_acts_on_its_task_batched(env_id):
    policy = experts.load(env_id, device="cpu")
    assert isinstance(policy, ArtifactPolicy)
    env = gym.make(env_id)
    obs = np.stack([env.reset(seed=s)[0] for s in range(5)])
    actions, state = policy.predict(obs, deterministic=True)
    assert state is None and len(actions) == 5
    for action in actions:
        validate_action(env.action_space, action)  # raises on a wrong shape or bounds
    single, _ = policy.predict(obs[0])
    validate_action(env.action_space, single)
    for _ in range(20):  # and keeps acting through an episode
        obs, *_ = env.step(policy.predict(obs[0] if obs.ndim > 1 else obs)[0])
    env.close()


@pytest.mark.parametrize("env_id", BUNDLED)
def test_manifest_records_training_and_return(env_id):
    manifest = experts.manifest(env_id)
    for field in MANIFEST_FIELDS:
        assert field in manifest, field
    ret = manifest["true_return"]
    assert ret["n_episodes"] == 50 and ret["seeds"] == "validation"
    assert np.isfinite(ret["mean"]) and ret["std"] >= 0
    if manifest["kind"] != "scripted":
        assert "net_arch" in manifest["architecture"]  # [] for a linear (ARS) policy
    # the leaderboard's track for the expert entry: every field known
    track = training_info(manifest)
    assert None not in track.values() and track["demos"] == 0
    assert track["env_steps"] == manifest["timesteps"]
    assert ilkit.envs.spec(env_id).ref_expert_return == pytest.approx(ret["mean"])


def test_scripted_cartpole_scores_500_on_validation_seeds():
    result = evaluate(experts.load("ilkit/CartPole-v0"), "ilkit/CartPole-v0", n_episodes=5)
    assert result.returns == (500.0,) * 5


def test_missing_expert_names_the_tasks_that_have_one(monkeypatch, tmp_path):
    monkeypatch.setattr("ilkit.experts.registry.bundled_root", lambda: tmp_path)
    (tmp_path / "CartPole").mkdir()
    with pytest.raises(experts.ExpertNotFoundError, match="none"):
        experts.load("ilkit/CartPole-v0")
    monkeypatch.undo()
    from ilkit.envs.tabular import is_tabular  # tabular experts are computed, never missing

    missing = [i for i in ilkit.envs.ids() if i not in BUNDLED and not is_tabular(i)]
    if missing:
        with pytest.raises(experts.ExpertNotFoundError, match="ilkit/CartPole-v0"):
            experts.load(missing[0])


def test_unknown_task_is_a_clear_error():
    with pytest.raises(IlkitError, match="did you mean"):
        experts.load("ilkit/Cartpole-v0")


def test_loading_never_unpickles(monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling while loading an expert")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    for env_id in BUNDLED:
        experts.load(env_id, device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("env_id", BUNDLED)
def test_bundled_return_matches_manifest(env_id):
    """Re-measure each expert on the 50 held-out seeds: the manifest must be reproducible."""
    ret = experts.manifest(env_id)["true_return"]
    result = evaluate(experts.load(env_id, device="cpu"), env_id, n_episodes=50)
    assert result.mean == pytest.approx(ret["mean"], rel=1e-3, abs=1e-2)
