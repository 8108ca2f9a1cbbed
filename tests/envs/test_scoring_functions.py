"""The true reward as a function of observations agrees with the scorer's env.step."""

import numpy as np

from ilkit.envs.scoring import make_scoring_env, observation_reward


def test_pendulum_observation_reward_is_the_scorers_reward():
    env = make_scoring_env("ilkit/Pendulum-v0")
    fn = observation_reward("ilkit/Pendulum-v0")
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=3)
    for _ in range(200):
        action = rng.uniform(-2.5, 2.5, size=(1,)).astype(np.float32)  # beyond the bounds too
        nxt, reward, *_ = env.step(np.clip(action, -2, 2))
        assert np.isclose(fn(obs[None], action[None], nxt[None])[0], reward, rtol=1e-5, atol=1e-6)
        obs = nxt


def test_half_cheetah_observation_reward_is_the_scorers_reward():
    env = make_scoring_env("ilkit/HalfCheetah-v0")
    fn = observation_reward("ilkit/HalfCheetah-v0")
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=3)
    for _ in range(100):
        action = rng.uniform(-1, 1, size=(6,)).astype(np.float32)
        nxt, reward, *_ = env.step(action)
        assert np.isclose(fn(obs[None], action[None], nxt[None])[0], reward, rtol=1e-6)
        obs = nxt


def test_tasks_whose_observation_does_not_hold_the_reward_have_none():
    assert observation_reward("ilkit/Hopper-v0") is None
    assert observation_reward("ilkit/CartPole-v0") is None
