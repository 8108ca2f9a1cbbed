"""GAIL and AIRL with the off-policy generator (``generator=sac``) on ilkit/Pendulum-v0.

Each run must beat a uniform random policy (normalized score about 0) by a clear margin on
held-out seeds within a tiny budget, and its SAC-actor artifact must reload to the same actions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as th

from ilkit.algorithms import make_config, train
from ilkit.algorithms.errors import TrainingError
from ilkit.errors import IlkitError
from ilkit.evaluation.evaluate import evaluate
from ilkit.policies import load_policy
from ilkit.policies.scripted import RandomPolicy

ENV = "ilkit/Pendulum-v0"
CLEAR_MARGIN = 0.5  # normalized score to beat: a random policy scores about 0
TINY = {"net_arch": (64, 64), "eval_every": 0, "eval_episodes": 3}


def test_random_policy_scores_about_zero():
    import gymnasium as gym

    space = gym.make(ENV).action_space
    score = evaluate(RandomPolicy(space, seed=0), ENV, n_episodes=10).normalized_score
    assert score < 0.2


@pytest.mark.parametrize(
    ("algo", "steps", "log_pi", "bc"),
    [
        ("gail", 6000, False, 0.0),
        ("airl", 8000, False, 0.0),
        ("airl", 8000, True, 0.0),
        ("airl", 8000, False, 0.4),  # the BC term decays to 0 by half-way
    ],
)
def test_sac_generator_learns_and_round_trips(data, tmp_path, algo, steps, log_pi, bc):
    config = {
        "generator": "sac",
        "total_timesteps": steps,
        "airl_log_pi": log_pi,
        "bc_weight": bc,
        "bc_decay_steps": steps // 2,
        **TINY,
    }
    result = train(algo, ENV, n_demos=10, config=config, seed=0, device="cpu", out_dir=tmp_path)
    assert result.env_steps == steps and result.expert_queries == 0
    score = evaluate(result.artifact_path, ENV, n_episodes=10, device="cpu").normalized_score
    assert score > CLEAR_MARGIN
    loaded = load_policy(result.artifact_path, device="cpu")
    assert loaded.manifest["kind"] == "sac_actor"  # weights-only, SAC's actor
    assert loaded.manifest["config"]["generator"] == "sac"
    obs = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(obs)[0], result.policy.predict(obs)[0])
    assert result.metrics["final_disc"]["disc_loss"] > 0


def test_choosing_sac_switches_to_its_defaults():
    ppo = make_config("gail", ENV)
    sac = make_config("gail", ENV, {"generator": "sac"})
    assert ppo.generator == "ppo" and sac.generator == "sac"
    assert (sac.n_envs, sac.batch_size, sac.grad_penalty) == (1, 256, 10.0)
    assert sac.total_timesteps < ppo.total_timesteps  # off-policy: far fewer steps
    mixed = make_config("airl", ENV, {"generator": "sac", "n_envs": 2})
    assert mixed.n_envs == 2 and mixed.generator == "sac"


def test_sac_generator_needs_continuous_actions(tmp_path, monkeypatch):
    from ilkit.datasets import generate

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    generate("ilkit/CartPole-v0", n_episodes=2, seed=0, progress=False)
    with pytest.raises(TrainingError, match="generator=sac needs continuous actions"):
        train(
            "gail",
            "ilkit/CartPole-v0",
            config={"generator": "sac", "demo_batch_size": 64},
            seed=0,
            device="cpu",
            out_dir=tmp_path / "run",
        )
    assert not (tmp_path / "run" / "policy").exists()


def test_replay_buffer_rewards_come_from_the_current_discriminator():
    from gymnasium import spaces

    from ilkit.algorithms.offpolicy import DiscriminatorReward, RelabelingReplayBuffer

    reward = DiscriminatorReward()
    obs_space = spaces.Box(-1, 1, (2,), np.float32)
    act_space = spaces.Box(-1, 1, (1,), np.float32)
    buffer = RelabelingReplayBuffer(16, obs_space, act_space, reward_fn=reward)
    for i in range(8):
        o = np.full((1, 2), i, np.float32)
        buffer.add(o, o + 1, np.zeros((1, 1), np.float32), np.array([123.0]), np.array([False]),
                   [{}])  # fmt: skip
    reward.fn = lambda obs, acts, next_obs, dones: obs[:, 0] * 2
    batch = buffer.sample(32)
    np.testing.assert_allclose(batch.rewards[:, 0], 2 * batch.observations[:, 0])
    reward.fn = lambda obs, acts, next_obs, dones: th.zeros(len(obs))  # a newer discriminator
    assert float(buffer.sample(32).rewards.abs().sum()) == 0.0
    assert float(buffer.sample_stored(32).rewards.mean()) == 123.0  # the stored env reward


def _small_sac(cls, batch_size: int, seed: int):
    """SB3's SAC (or a subclass) with 32x32 nets on gymnasium's Pendulum."""
    import gymnasium as gym

    return cls(
        "MlpPolicy",
        gym.make("Pendulum-v1"),
        learning_starts=64,
        batch_size=batch_size,
        policy_kwargs={"net_arch": [32, 32]},
        seed=seed,
        device="cpu",
    )


def test_lean_sac_makes_sb3s_updates_exactly():
    """LeanSAC skips work whose result SB3 discards: the weights must come out identical."""
    from stable_baselines3 import SAC

    from ilkit.algorithms.offpolicy import LeanSAC

    def model(cls, steps):
        sac = _small_sac(cls, batch_size=32, seed=3)
        if steps:
            sac.learn(steps)
        return sac.policy.state_dict(), sac.log_ent_coef.detach().clone()

    (start_w, start_alpha), (sb3, sb3_alpha), (lean, lean_alpha) = (
        model(SAC, 0),
        model(SAC, 300),
        model(LeanSAC, 300),
    )
    assert sb3.keys() == lean.keys()
    for key in sb3:
        assert th.equal(sb3[key], lean[key]), key
    assert th.equal(sb3_alpha, lean_alpha)
    # 236 updates moved every part, target critics included: not a comparison of initial weights
    for part in ("actor.mu.weight", "critic.qf1.2.weight", "critic_target.qf1.2.weight"):
        assert not th.equal(start_w[part], lean[part]), part
    assert not th.equal(start_alpha, lean_alpha)


def test_bc_term_pulls_the_actor_to_the_expert_then_decays_to_nothing():
    import gymnasium as gym

    from ilkit.algorithms.offpolicy import LeanSAC

    obs = th.as_tensor(np.random.default_rng(0).normal(size=(512, 3)), dtype=th.float32)
    target = th.tanh(obs[:, :1] - obs[:, 1:2])  # an "expert" action in SAC's [-1, 1] scale

    def mse_after(weight: float) -> float:
        sac = _small_sac(LeanSAC, batch_size=64, seed=0)
        if weight:
            sac.add_bc_term(obs, target, weight, decay_steps=10_000)
        sac.learn(1000)
        with th.no_grad():
            return float(((sac.actor(obs, deterministic=True) - target) ** 2).mean())

    assert mse_after(1.0) < 0.25 * mse_after(0.0)

    sac = LeanSAC("MlpPolicy", gym.make("Pendulum-v1"), device="cpu")
    sac.add_bc_term(obs, target, 0.4, decay_steps=1000)
    sac.num_timesteps = 250
    assert sac.bc_weight_now() == pytest.approx(0.3)
    sac.num_timesteps = 1000
    assert sac.bc_weight_now() == 0.0
    sac.add_bc_term(obs, target, 0.4, decay_steps=0)  # never decays
    assert sac.bc_weight_now() == 0.4


class _Killed(Exception):
    """Stands in for the end of a session: the process stops right after a checkpoint."""


def test_killed_run_resumes_from_its_checkpoint_and_still_learns(data, tmp_path, monkeypatch):
    from ilkit.algorithms import run_checkpoint as checkpoint

    config = {"generator": "sac", "total_timesteps": 6000, **TINY}
    ckpt = tmp_path / "ckpt"
    save = checkpoint.RunCheckpointer.save
    saves = []

    def save_then_die(self, state):
        saves.append(state["round"])
        if len(saves) == 3:  # as if the run had trained 1000 s before this kill
            save(self, {**state, "cpu_s": state["cpu_s"] + 1e3, "wall_s": state["wall_s"] + 1e3})
            raise _Killed
        save(self, state)

    monkeypatch.setattr(checkpoint.RunCheckpointer, "save", save_then_die)
    kwargs = dict(n_demos=10, config=config, seed=0, device="cpu", checkpoint_dir=ckpt)
    with pytest.raises(_Killed):
        train("gail", ENV, out_dir=tmp_path / "a", checkpoint_interval_s=1e-9, **kwargs)
    assert (ckpt / checkpoint.CHECKPOINT_FILE).exists()
    monkeypatch.setattr(checkpoint.RunCheckpointer, "save", save)

    # a checkpoint of another run is refused, not silently reused
    with pytest.raises(IlkitError, match="belongs to a different run"):
        train("gail", ENV, out_dir=tmp_path / "b", **{**kwargs, "seed": 1})

    result = train("gail", ENV, out_dir=tmp_path / "c", **kwargs)
    assert result.metrics["resumed_at_round"] == saves[-1] > 0
    assert result.env_steps == 6000  # the budget counts the steps before the kill
    # time before the kill counts too
    assert result.metrics["cpu_time_s"] > 1e3 and result.metrics["wall_time_s"] > 1e3
    assert not (ckpt / checkpoint.CHECKPOINT_FILE).exists()  # cleared once finished
    score = evaluate(result.artifact_path, ENV, n_episodes=10, device="cpu").normalized_score
    assert score > CLEAR_MARGIN


def test_unreadable_checkpoint_is_a_clear_error(tmp_path):
    from ilkit.algorithms.run_checkpoint import CHECKPOINT_FILE, RunCheckpointer

    (tmp_path / CHECKPOINT_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(IlkitError, match="not a readable ilkit checkpoint"):
        RunCheckpointer(tmp_path, {"seed": 0}, 60).load()


class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):  # unpickling this would write a file
        return (open, (str(self.path), "w"))


def test_checkpoint_is_never_unpickled(tmp_path):
    from ilkit.algorithms.run_checkpoint import CHECKPOINT_FILE, RunCheckpointer

    target = tmp_path / "pwned"
    th.save({"fingerprint": "{}", "x": _Payload(target)}, tmp_path / CHECKPOINT_FILE)
    with pytest.raises(IlkitError, match="objects other than tensors and plain values"):
        RunCheckpointer(tmp_path, {}, 60).load()
    assert not target.exists()


def test_checkpoint_save_cut_by_a_kill_leaves_nothing_behind(tmp_path):
    from ilkit.algorithms.run_checkpoint import CHECKPOINT_FILE, RunCheckpointer

    stale = tmp_path / f".{CHECKPOINT_FILE}.abc123.tmp"  # what an interrupted save leaves
    stale.write_bytes(b"half a checkpoint")
    ckpt = RunCheckpointer(tmp_path, {"seed": 0}, 60)
    assert ckpt.load() is None and not stale.exists()
    ckpt.save({"round": 3, "weights": th.ones(2)})
    assert ckpt.load()["round"] == 3
    ckpt.clear()
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_of_another_layout_is_refused(tmp_path):
    from ilkit.algorithms.run_checkpoint import CHECKPOINT_FILE, RunCheckpointer

    fingerprint = {"seed": 0}
    ckpt = RunCheckpointer(tmp_path, fingerprint, 60)
    old = {"round": 3, "fingerprint": ckpt.fingerprint}  # format 1 had no "format" key
    th.save(old, tmp_path / CHECKPOINT_FILE)
    with pytest.raises(IlkitError, match="another ilkit version .*format 1.*delete it"):
        ckpt.load()


def test_checkpoint_from_before_a_config_key_existed_resumes_only_at_its_off_value(tmp_path):
    from ilkit.algorithms.run_checkpoint import RunCheckpointer

    defaults = {"lr": 0.1, "bc_weight": 0.0}
    RunCheckpointer(tmp_path, {"seed": 0, "config": {"lr": 0.5}}, 60).save({"round": 3})
    same = RunCheckpointer(
        tmp_path, {"seed": 0, "config": {"lr": 0.5, "bc_weight": 0.0}}, 60, defaults
    )
    assert same.load()["round"] == 3
    for changed in ({"lr": 0.5, "bc_weight": 0.4}, {"lr": 0.1, "bc_weight": 0.0}):
        other = RunCheckpointer(tmp_path, {"seed": 0, "config": changed}, 60, defaults)
        with pytest.raises(IlkitError, match="belongs to a different run"):
            other.load()
