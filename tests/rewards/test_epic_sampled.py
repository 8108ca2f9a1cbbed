"""Sampled EPIC on a continuous task: 0 for the true reward however it is shaped or scaled,
1 for its negation, and no number where the observation does not determine the reward."""

import numpy as np
import pytest

from ilkit.envs.scoring import observation_reward
from ilkit.rewards.artifact import LearnedReward
from ilkit.rewards.evaluate import epic_sampled

PENDULUM = "ilkit/Pendulum-v0"


class _FunctionReward(LearnedReward):
    def __init__(self, fn):
        super().__init__({})
        self.fn = fn

    def __call__(self, obs, acts, next_obs, dones=None, *, env_id=None):
        return self.fn(np.asarray(obs), np.asarray(acts), np.asarray(next_obs))


def _true(obs, acts, nxt):
    return observation_reward(PENDULUM)(obs, acts, nxt)


def _shaped(obs, acts, nxt):  # 3 x true + γΦ(s') - Φ(s): the same optimal policies
    phi = lambda o: 5.0 * o[:, 2] ** 2 + np.sin(3 * o[:, 0])  # noqa: E731
    return 3.0 * _true(obs, acts, nxt) + 0.9 * phi(nxt) - phi(obs)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [(_true, 0.0), (_shaped, 0.0), (lambda o, a, n: -_true(o, a, n), 1.0)],
)
def test_epic_is_zero_up_to_shaping_and_scale_and_one_for_the_negation(fn, expected):
    out = epic_sampled(_FunctionReward(fn), PENDULUM)
    assert out["epic"] == pytest.approx(expected, abs=1e-6)
    assert out["epic_samples"]["transitions"] == 4000
    assert out["epic_samples"]["canonicalization_samples"] == 256


def test_an_unrelated_reward_is_far_and_a_partial_one_in_between():
    rng = np.random.default_rng(0)
    w = rng.normal(size=3)
    unrelated = epic_sampled(_FunctionReward(lambda o, a, n: np.tanh(o @ w)), PENDULUM)["epic"]
    upright_only = epic_sampled(_FunctionReward(lambda o, a, n: o[:, 0]), PENDULUM)["epic"]
    assert unrelated > 0.4 and 0.0 < upright_only < unrelated


def test_half_cheetah_epic_is_zero_for_its_true_reward():
    true = observation_reward("ilkit/HalfCheetah-v0")
    out = epic_sampled(_FunctionReward(true), "ilkit/HalfCheetah-v0")
    assert out["epic"] == pytest.approx(0.0, abs=1e-6)


def test_no_number_where_the_observation_does_not_hold_the_reward():
    out = epic_sampled(_FunctionReward(_true), "ilkit/Hopper-v0")
    assert out["epic"] is None and "simulator state" in out["epic_note"]
