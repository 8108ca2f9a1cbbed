"""How close a learned reward comes to the hidden one (the only code in this room that reads it).

* ``epic``: the EPIC pseudometric (Gleave et al., ICLR 2021). Both rewards R(s, a, s') are
  canonicalised under the coverage distribution D_S × D_A (S, S' ~ D_S independent, A ~ D_A):
  C(R)(s,a,s') = R(s,a,s') + E[γR(s',A,S') − R(s,A,S') − γR(S,A,S')], which removes potential
  shaping; then the Pearson distance sqrt((1 − ρ)/2) ∈ [0, 1] over transitions drawn from
  D_S × D_A × D_S. It is also invariant to positive rescaling. Exact on tabular tasks (every
  (s, a, s') weighed by its coverage probability). Sampled on a continuous task whose
  observations determine its true reward (Pendulum, HalfCheetah): D_S the states a uniform
  random policy visits on training seeds, D_A uniform, the expectations over
  ``EPIC_MEAN_SAMPLES`` draws, the Pearson distance over the random policy's own transitions;
  the counts are reported.
* ``normalized_return``: the true return of ilkit's optimal policy for the learned reward
  (:mod:`ilkit.envs.tabular.solve`: greedy after H backups of value iteration with the task's
  γ), exact, normalised by the task's exact random and expert returns (same procedure on the
  true reward), so a reward equal to the true one up to shaping and scale scores 1.0.
* ``feature_gap``: ‖μ(π) − μ(π*)‖₁, μ the discounted feature counts over the horizon.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ilkit.envs.tabular import _truth, is_tabular, model, solve
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError
from ilkit.rewards.artifact import LearnedReward, RewardArtifactError
from ilkit.rewards.tabular import exact_return

COVERAGES = ("uniform", "expert")
EPIC_TRANSITIONS = 4000
"""Sampled EPIC: random-policy transitions (20 Pendulum episodes, 4 HalfCheetah ones)."""
EPIC_MEAN_SAMPLES = 256
"""Sampled EPIC: (A, S') draws behind each canonicalisation expectation."""


class RewardEvaluationError(IlkitError):
    """A reward evaluation that cannot be done (a task it does not apply to, a bad option)."""


def canonicalize(R: np.ndarray, gamma: float, d_s: np.ndarray, d_a: np.ndarray) -> np.ndarray:
    """EPIC's canonically shaped reward C(R) (S, A, S) under coverage D_S × D_A."""
    # E_{A,S'}[R(x, A, S')] for every x: (S,)
    mean_from = np.einsum("xay,a,y->x", R, d_a, d_s)
    mean_all = float(d_s @ mean_from)
    return R + gamma * mean_from[None, None, :] - mean_from[:, None, None] - gamma * mean_all


def pearson_distance(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """(sqrt((1 − ρ)/2), ρ) under ``weights``; ρ = 0 if either reward is constant there."""
    w = weights / weights.sum()
    da, db = a - w @ a, b - w @ b
    var_a, var_b = w @ (da * da), w @ (db * db)
    if var_a <= 1e-24 or var_b <= 1e-24:
        rho = 0.0
    else:
        rho = float(np.clip((w @ (da * db)) / np.sqrt(var_a * var_b), -1.0, 1.0))
    return float(np.sqrt((1.0 - rho) / 2.0)), rho


def epic_tabular(
    learned: np.ndarray, true: np.ndarray, gamma: float, d_s: np.ndarray, d_a: np.ndarray
) -> tuple[float, float]:
    """Exact EPIC distance (and ρ) between two (S, A, S) rewards."""
    ca = canonicalize(learned, gamma, d_s, d_a).ravel()
    cb = canonicalize(true, gamma, d_s, d_a).ravel()
    weights = np.einsum("x,a,y->xay", d_s, d_a, d_s).ravel()
    return pearson_distance(ca, cb, weights)


def _state_coverage(env_id: str, coverage: str) -> np.ndarray:
    m = model(env_id)
    if coverage == "uniform":
        return np.full(m.n_states, 1.0 / m.n_states)
    if coverage == "expert":
        from ilkit.envs.tabular import expert_policy

        d = solve.state_distributions(m.transition, m.initial, expert_policy(env_id), m.horizon)
        return d.mean(axis=0)
    raise RewardEvaluationError(f"coverage must be one of {', '.join(COVERAGES)}, got {coverage!r}")


def evaluate_reward(
    reward: LearnedReward,
    env_id: str,
    *,
    coverage: Literal["uniform", "expert"] = "uniform",
    retrain_steps: int | None = None,
    seed: int = 0,
    episodes: int = 50,
    device: str = "auto",
) -> dict[str, Any]:
    """Score ``reward`` against the hidden reward of ``env_id`` (see the module docstring).

    On a task that is not tabular only ``normalized_return`` is measured: SB3 SAC (continuous
    actions) or PPO (discrete) trained from scratch for ``retrain_steps`` environment steps
    on :class:`~ilkit.rewards.wrapper.LearnedRewardWrapper` (the task's γ, seed ``seed``),
    then scored on ``episodes`` validation episodes with the true reward, and ``epic`` is
    sampled (:func:`epic_sampled`; None, with the reason, where the observation does not
    determine the true reward).

    Raises:
        UnknownEnvError: ``env_id`` is not an ilkit task.
        RewardEvaluationError: a non-tabular task without ``retrain_steps``, or a bad
            ``coverage``.
        RewardArtifactError: the reward does not fit the task (state count, features).
    """
    task = spec(env_id)
    if not is_tabular(task.id):
        if retrain_steps is None:
            raise RewardEvaluationError(
                f"{task.id} is not tabular: EPIC is exact on tabular tasks only, and the "
                "re-optimised return needs a training budget (--retrain-steps N)"
            )
        return {
            **_retrained_continuous(reward, task, retrain_steps, seed, episodes, device),
            **epic_sampled(reward, task.id, seed=seed),
        }
    m = model(task.id)
    d_s = _state_coverage(task.id, coverage)
    d_a = np.full(m.n_actions, 1.0 / m.n_actions)
    learned = reward.transition_table(task.id)
    if not np.isfinite(learned).all():
        raise RewardArtifactError("the learned reward is not finite on every transition")
    true_state = _truth.true_reward(task.id)
    true = np.broadcast_to(true_state[:, None, None], learned.shape)
    epic, rho = epic_tabular(learned, true, m.gamma, d_s, d_a)
    # re-optimise on the learned reward: R(s, a) = E_{s'}[R(s, a, s')]
    r_sa = np.einsum("xay,xay->xa", m.transition, learned)
    pi = solve.optimal_policy(m.transition, r_sa, m.gamma, m.horizon)
    ret = exact_return(task.id, pi)
    lo, hi = task.ref_random_return, task.ref_expert_return
    normalized = None if lo is None or hi is None or hi == lo else (ret - lo) / (hi - lo)
    from ilkit.envs.tabular import expert_policy

    mu = solve.feature_expectations(m.transition, m.initial, pi, m.features, m.horizon, m.gamma)
    mu_star = solve.feature_expectations(
        m.transition, m.initial, expert_policy(task.id), m.features, m.horizon, m.gamma
    )
    return {
        "env_id": task.id,
        "reward_kind": reward.kind,
        "epic": epic,
        "pearson": rho,
        "coverage": coverage,
        "epic_exact": True,
        "normalized_return": normalized,
        "retrained_return": ret,
        "ref_random_return": lo,
        "ref_expert_return": hi,
        "retraining": "exact: greedy after H backups of value iteration on the learned reward "
        f"(H={m.horizon}, gamma={m.gamma})",
        "feature_gap_l1": float(np.abs(mu - mu_star).sum()),
    }


def retraining_learner(env, task, steps: int, seed: int, device: str = "auto"):
    """The SB3 learner that re-optimises a reward on a task that is not tabular, trained for
    ``steps`` on ``env`` (one torch thread: small batches, intra-op threads only contend).
    Public so that a benchmark can train the same recipe on the true reward (its anchor)."""
    import torch as th
    from gymnasium import spaces
    from stable_baselines3 import PPO, SAC

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise RewardEvaluationError(f"retrain_steps must be a positive integer, got {steps!r}")
    common = dict(gamma=task.gamma, seed=seed, device=device, verbose=0)
    if isinstance(env.action_space, spaces.Box):  # rl-zoo's SAC on Pendulum: lr 1e-3, 64x64
        kwargs = {"learning_rate": 1e-3, "policy_kwargs": {"net_arch": [64, 64]},
                  "learning_starts": min(1000, max(1, steps // 10))}  # fmt: skip
        learner = SAC("MlpPolicy", env, **kwargs, **common)
    else:
        learner = PPO("MlpPolicy", env, **common)
    old_threads = th.get_num_threads()
    th.set_num_threads(1)
    try:
        learner.learn(steps)
    finally:
        th.set_num_threads(old_threads)
    return learner


def _retrained_continuous(reward, task, steps: int, seed: int, episodes: int, device: str):
    import gymnasium as gym
    from stable_baselines3 import SAC

    from ilkit.evaluation import evaluate
    from ilkit.rewards.wrapper import LearnedRewardWrapper

    env = LearnedRewardWrapper(gym.make(task.id), reward, env_id=task.id)
    learner = retraining_learner(env, task, steps, seed, device)
    continuous = isinstance(learner, SAC)
    result = evaluate(learner, task.id, n_episodes=episodes, device="cpu")
    return {
        "env_id": task.id,
        "reward_kind": reward.fields.get("net_kind", reward.kind),
        "normalized_return": result.normalized_score,
        "retrained_return": result.mean,
        "ref_random_return": task.ref_random_return,
        "ref_expert_return": task.ref_expert_return,
        "retraining": f"SB3 {'SAC' if continuous else 'PPO'}, {steps} env steps on the learned "
        f"reward, gamma={task.gamma}, seed {seed}; scored on {episodes} validation episodes",
        "feature_gap_l1": None,
    }


def epic_sampled(reward: LearnedReward, env_id: str, *, seed: int = 0) -> dict[str, Any]:
    """Sampled EPIC (see the module docstring) on a continuous task; ``epic`` None, with the
    reason, where the true reward is not a function of the observation."""
    import gymnasium as gym

    from ilkit.envs.scoring import observation_reward
    from ilkit.envs.seeds import training_seeds

    true_fn = observation_reward(env_id)
    if true_fn is None:
        return {
            "epic": None,
            "epic_exact": False,
            "epic_note": f"not measured: {env_id}'s true reward reads simulator state that its "
            "observation does not hold, so it cannot be evaluated at sampled transitions",
        }
    env = gym.make(env_id)
    env.action_space.seed(seed)
    obs, acts, nxt = [], [], []
    for episode_seed in training_seeds(seed, 1 + EPIC_TRANSITIONS // env.spec.max_episode_steps):
        o, _ = env.reset(seed=int(episode_seed))
        done = False
        while not done and len(obs) < EPIC_TRANSITIONS:
            a = env.action_space.sample()
            o2, _, terminated, truncated, _ = env.step(a)
            obs.append(o), acts.append(a), nxt.append(o2)
            o, done = o2, terminated or truncated
    env.close()
    s, a, s2 = (np.asarray(x, dtype=np.float32) for x in (obs, acts, nxt))
    rng = np.random.default_rng([seed, 1])
    m = EPIC_MEAN_SAMPLES
    mean_a = np.stack([env.action_space.sample() for _ in range(m)]).astype(np.float32)
    mean_s2 = s[rng.integers(len(s), size=m)]  # S' ~ D_S
    mean_s = s[rng.integers(len(s), size=m)]  # S ~ D_S
    gamma = spec(env_id).gamma

    def learned(x, u, y):
        return np.asarray(reward(x, u, y, np.zeros(len(x)), env_id=env_id), dtype=np.float64)

    def true(x, u, y):
        return true_fn(x, u, y)

    def mean_from(fn, xs):  # E_{A,S'}[R(x, A, S')] for each x: N x M evaluations, chunked
        out = np.empty(len(xs))
        for i in range(0, len(xs), 64):
            chunk = xs[i : i + 64]
            rep = np.repeat(chunk, m, axis=0)
            tiled_a = np.tile(mean_a, (len(chunk), 1))
            tiled_y = np.tile(mean_s2, (len(chunk), 1))
            out[i : i + 64] = fn(rep, tiled_a, tiled_y).reshape(len(chunk), m).mean(axis=1)
        return out

    canonical = {}
    for name, fn in (("learned", learned), ("true", true)):
        constant = float(fn(mean_s, mean_a, mean_s2).mean())
        canonical[name] = (
            fn(s, a, s2) + gamma * mean_from(fn, s2) - mean_from(fn, s) - gamma * constant
        )
    if not np.isfinite(canonical["learned"]).all():
        raise RewardArtifactError("the learned reward is not finite on the sampled transitions")
    epic, rho = pearson_distance(canonical["learned"], canonical["true"], np.ones(len(s)))
    return {
        "epic": epic,
        "pearson": rho,
        "epic_exact": False,
        "epic_samples": {
            "transitions": len(s),
            "canonicalization_samples": m,
            "coverage": "states of a uniform random policy (training seeds), uniform actions",
        },
    }
