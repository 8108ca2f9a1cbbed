"""The hidden-reward and fixed-horizon properties, over every registered task."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ilkit.envs import ids, spec
from ilkit.envs.checks import check_task
from ilkit.errors import InvalidActionError
from ilkit.evaluation import make_scoring_env

ALL = ids()


@pytest.mark.parametrize("env_id", ALL)
def test_gymnasium_env_checker(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ALL)
def test_hidden_reward_properties_and_scorer_agreement(env_id):
    results = check_task(env_id, episodes=1, seed=3)
    failed = [(r.name, r.detail) for r in results if not r.ok]
    assert not failed


@pytest.mark.parametrize("env_id", ["ilkit/CartPole-v0", "ilkit/Pendulum-v0", "ilkit/Hopper-v0"])
def test_sb3_monitor_and_imitation_rollouts_see_only_zeros(env_id):
    from imitation.data import rollout
    from imitation.data.wrappers import RolloutInfoWrapper
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda: RolloutInfoWrapper(Monitor(gym.make(env_id)))] * 2)
    venv.seed(0)
    trajs = rollout.generate_trajectories(
        None, venv, rollout.make_min_episodes(2), rng=np.random.default_rng(0)
    )
    horizon = spec(env_id).horizon
    for traj in trajs:
        assert len(traj) == horizon  # fixed horizon: imitation's variable-horizon guard holds
        assert not np.any(traj.rews)
        assert traj.infos[-1]["TimeLimit.truncated"]  # the episode ended by truncation
        for info in traj.infos:
            assert set(info) <= {
                "episode",
                "rollout",
                "TimeLimit.truncated",
                "terminal_observation",
            }
            if "episode" in info:  # Monitor's episode summary
                assert info["episode"]["r"] == 0.0


def test_cartpole_absorbs_after_the_pole_falls():
    env, scorer = gym.make("ilkit/CartPole-v0"), make_scoring_env("ilkit/CartPole-v0")
    env.reset(seed=1)
    scorer.reset(seed=1)
    rewards, observations = [], []
    for _ in range(500):  # always push right: the pole falls within ~10 steps
        obs, reward, terminated, truncated, _ = env.step(1)
        _, true_reward, *_ = scorer.step(1)
        assert reward == 0.0 and not terminated
        rewards.append(true_reward)
        observations.append(obs)
    assert truncated
    first_zero = rewards.index(0.0)
    assert 5 < first_zero < 50  # standard CartPole return: steps before the fall
    assert not any(rewards[first_zero:])
    assert all(np.array_equal(o, observations[first_zero]) for o in observations[first_zero:])


def test_mountain_car_absorbing_goal_returns_standard_score():
    scorer = make_scoring_env("ilkit/MountainCar-v0")
    obs, _ = scorer.reset(seed=0)
    total = 0.0
    for _ in range(200):  # energy pumping reaches the goal well inside the horizon
        obs, reward, _, truncated, _ = scorer.step(2 if obs[1] >= 0 else 0)
        total += reward
    assert truncated and -200 < total < -80  # -1 per step until the goal, then 0


def test_continuous_lunar_lander_runs_under_numpy2():
    env = gym.make("ilkit/LunarLanderContinuous-v0")
    env.reset(seed=0)
    for _ in range(20):
        env.step(np.array([1.0, -0.7], dtype=np.float32))


@pytest.mark.parametrize(
    ("env_id", "action", "message"),
    [
        ("ilkit/CartPole-v0", 2, "out of range"),
        ("ilkit/CartPole-v0", 0.5, "integer"),
        ("ilkit/CartPole-v0", np.array([0, 1]), "shape"),
        ("ilkit/Pendulum-v0", np.array([0.1, 0.2]), "shape"),
        ("ilkit/Pendulum-v0", np.array([np.nan]), "NaN"),
        ("ilkit/Pendulum-v0", np.array([2.5]), "outside the bounds"),
        ("ilkit/Hopper-v0", "left", "numeric"),
    ],
)
def test_invalid_actions_raise_clear_errors(env_id, action, message):
    env = gym.make(env_id, disable_env_checker=True)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=message):
        env.step(action)


def test_actions_within_float_tolerance_are_clipped():
    env = gym.make("ilkit/Pendulum-v0")
    env.reset(seed=0)
    env.step(np.array([2.0 + 1e-7], dtype=np.float64))


def test_step_after_horizon_needs_reset():
    env = make_scoring_env("ilkit/Pendulum-v0")
    env.reset(seed=0)
    for _ in range(200):
        env.step(np.zeros(1, dtype=np.float32))
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(1, dtype=np.float32))


def test_same_seed_same_observations():
    a, b = gym.make("ilkit/LunarLander-v0"), gym.make("ilkit/LunarLander-v0")
    oa, _ = a.reset(seed=42)
    ob, _ = b.reset(seed=42)
    for t in range(100):
        oa = a.step(t % 4)[0]
        ob = b.step(t % 4)[0]
    assert np.array_equal(oa, ob)
