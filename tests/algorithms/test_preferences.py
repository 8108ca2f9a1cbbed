"""Preference learning on ilkit/Pendulum-v0 with a tiny budget, and the oracle's rules."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from ilkit.algorithms import train
from ilkit.algorithms.preferences import PreferencesConfig, query_schedule
from ilkit.rewards import load_reward
from ilkit.rewards.oracle import PreferenceOracle, QueryBudgetError

ENV = "ilkit/Pendulum-v0"


def test_oracle_hides_the_reward_and_answers_from_it():
    oracle = PreferenceOracle(ENV, budget=3)
    env, public = oracle.env_fn()(), gym.make(ENV)
    a, _ = env.reset(seed=5)
    b, _ = public.reset(seed=5)
    np.testing.assert_array_equal(a, b)
    for t in range(40):
        act = np.array([np.sin(t)], dtype=np.float32)
        mine, theirs = env.step(act), public.step(act)
        np.testing.assert_array_equal(mine[0], theirs[0])
        assert mine[1] == 0.0 and mine[4] == {}
    ledger = np.array(oracle._ledgers[0])
    early, late = (0, 0, 10), (0, 30, 10)
    better = 1.0 if ledger[:10].sum() > ledger[30:40].sum() else 0.0
    assert oracle.compare([(early, late), (late, early)]).tolist() == [better, 1 - better]
    assert oracle.queries == 2
    with pytest.raises(QueryBudgetError):
        oracle.compare([(early, late), (early, late)])
    assert oracle.queries == 2


def test_noisy_oracle_follows_bradley_terry():
    oracle = PreferenceOracle(ENV, temperature=1e6, seed=0)
    oracle._ledgers.append([0.0, 1.0])
    answers = oracle.compare([((0, 0, 1), (0, 1, 1))] * 400)
    assert set(np.unique(answers)) <= {0.0, 1.0}
    assert 0.35 < answers.mean() < 0.65  # a huge temperature: a coin


def test_query_schedule_spends_the_budget():
    cfg = PreferencesConfig(query_budget=300, initial_query_frac=0.2, query_until=0.5)
    schedule = query_schedule(cfg, 10)
    assert sum(schedule) == 300 and schedule[0] == 60 and schedule[-1] == 0
    assert query_schedule(cfg, 1) == [300]


def test_preferences_learn_with_counted_queries(data, tmp_path):
    config = {
        "total_timesteps": 6000,
        "query_budget": 200,
        "eval_every": 0,
        "eval_episodes": 3,
    }
    result = train("preferences", ENV, config=config, seed=0, device="cpu",
                   out_dir=tmp_path / "pref")  # fmt: skip
    assert result.preference_queries == 200
    assert result.n_demos == 0 and result.consumption["demos"] == 0  # it reads none
    assert result.consumption["preference_queries"] == 200
    assert result.expert_queries == 0
    assert result.metrics["final"]["normalized_score"] > 0.3  # random: 0
    reward = load_reward(result.out_dir / "reward")
    assert reward.fields["net_kind"] == "preference"
    obs = np.zeros((2, 3), dtype=np.float32)
    obs[:, 0] = [1.0, -1.0]  # upright vs hanging, no velocity, no torque
    r = reward(obs, np.zeros((2, 1)), obs)
    assert r[0] > r[1]
