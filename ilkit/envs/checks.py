"""Checks that a registered task is a well-formed HR-MDP (what ``ilkit envs check`` runs)."""

from __future__ import annotations

import dataclasses
import json
import warnings

import gymnasium as gym
import numpy as np

from ilkit.envs.tasks import spec

# Names that would betray a reward if they appeared in info, the spec or wrapper attributes.
REWARD_WORDS = ("reward", "return", "score", "cost", "success")


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


def _leaky_names(names) -> list[str]:
    return [n for n in names if any(w in str(n).lower() for w in REWARD_WORDS)]


def _public_attributes(env: gym.Env) -> list[str]:
    """Public attribute names along the wrapper chain (what a learner reaches without digging)."""
    names, layer = [], env
    while True:
        names += [n for n in vars(layer) if not n.startswith("_")]
        if not isinstance(layer, gym.Wrapper):
            return names
        layer = layer.env


def check_task(env_id: str, *, episodes: int = 2, seed: int = 0) -> list[CheckResult]:
    """Gymnasium's env checker plus the hidden-reward properties, on random rollouts."""
    from gymnasium.utils.env_checker import check_env

    from ilkit.envs.scoring import make_scoring_env

    task = spec(env_id)
    results: list[CheckResult] = []

    def record(name: str, fn) -> None:
        try:
            detail = fn() or ""
            results.append(CheckResult(name, True, detail))
        except AssertionError as err:
            results.append(CheckResult(name, False, str(err)))

    env = gym.make(task.id)

    def gymnasium_checker():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(env.unwrapped, skip_render_check=True)

    def spec_has_no_reward():
        data = json.loads(env.spec.to_json())
        fields = {**data, **data.get("kwargs", {})}
        leaks = _leaky_names(k for k, v in fields.items() if v is not None)
        assert not leaks, f"spec fields mention a reward: {leaks}"
        assert env.spec.max_episode_steps == task.horizon, "spec horizon differs from the task"
        leaks = _leaky_names(_public_attributes(env))
        assert not leaks, f"public wrapper attributes mention a reward: {leaks}"

    def hidden_reward_fixed_horizon():
        score_env = make_scoring_env(task.id)
        rng = np.random.default_rng(seed)
        steps = 0
        for ep in range(episodes):
            obs, info = env.reset(seed=seed + ep)
            s_obs, _ = score_env.reset(seed=seed + ep)
            assert info == {}, f"reset info is not empty: {list(info)}"
            assert np.array_equal(obs, s_obs), "scorer and public env differ at reset"
            env.action_space.seed(int(rng.integers(2**31)))
            for t in range(1, task.horizon + 1):
                action = env.action_space.sample()
                obs, reward, terminated, truncated, info = env.step(action)
                s_obs, _, _, s_truncated, _ = score_env.step(action)
                steps += 1
                assert type(reward) is float and reward == 0.0, f"step {t}: reward {reward!r}"
                assert info == {}, f"step {t}: info is not empty: {list(info)}"
                assert not terminated, f"step {t}: terminated is True"
                assert truncated == (t == task.horizon), f"step {t}: truncated={truncated}"
                assert truncated == s_truncated, f"step {t}: scorer truncation differs"
                assert np.array_equal(obs, s_obs), f"step {t}: scorer observation differs"
        score_env.close()
        return f"{episodes} episodes, {steps} steps"

    record("gymnasium env checker", gymnasium_checker)
    record("no reward in spec or wrapper attributes", spec_has_no_reward)
    record("reward 0.0, empty info, fixed horizon, scorer agrees", hidden_reward_fixed_horizon)
    env.close()
    return results
