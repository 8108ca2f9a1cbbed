"""Exact dynamic programming on a tabular model: value iteration, policy evaluation, occupancy.

Plain numpy on arrays; nothing here knows a task's true reward (callers pass a reward vector).

One notion of "optimal" throughout ilkit's tabular tasks: the policy is **stationary** (it sees
the state, not the time step: the observation is the one-hot state) and **greedy** with respect
to the discounted Q-values after ``horizon`` backups of hard value iteration (``gamma`` of the
task). It is scored by its exact **undiscounted** expected return over the fixed horizon (what
``ilkit evaluate`` samples). Re-optimising a learned reward uses the same procedure, so a reward
equal to the true one up to shaping and scale scores exactly 1.0.
"""

from __future__ import annotations

import numpy as np

TIE_TOL = 1e-9


def q_values(transition: np.ndarray, reward: np.ndarray, gamma: float, backups: int) -> np.ndarray:
    """Hard value iteration: Q (S, A) after ``backups`` Bellman backups from zero.

    ``reward`` is R(s) (S,), received in the state an action is taken from, or R(s, a) (S, A).
    """
    r = reward if reward.ndim == 2 else reward[:, None]
    value = np.zeros(transition.shape[0])
    q = np.zeros(transition.shape[:2])
    for _ in range(max(1, int(backups))):
        q = r + gamma * (transition @ value)
        value = q.max(axis=1)
    return q


def greedy(q: np.ndarray) -> np.ndarray:
    """The deterministic greedy policy (S, A) of ``q``; ties (up to 1e-9) go to the first action."""
    best = q >= q.max(axis=1, keepdims=True) - TIE_TOL * (1.0 + np.abs(q).max())
    pi = np.zeros_like(q, dtype=np.float64)
    pi[np.arange(len(q)), best.argmax(axis=1)] = 1.0
    return pi


def optimal_policy(
    transition: np.ndarray, reward: np.ndarray, gamma: float, horizon: int
) -> np.ndarray:
    """ilkit's optimal policy (see the module docstring) for ``reward``: (S, A), one-hot rows."""
    return greedy(q_values(transition, reward, gamma, horizon))


def uniform_policy(n_states: int, n_actions: int) -> np.ndarray:
    return np.full((n_states, n_actions), 1.0 / n_actions)


def state_distributions(
    transition: np.ndarray, initial: np.ndarray, policy: np.ndarray, horizon: int
) -> np.ndarray:
    """d_t(s) for t = 0 .. horizon-1 (horizon, S): where a stationary policy is at each step."""
    p_pi = np.einsum("sa,sat->st", policy, transition)
    out = np.empty((horizon, len(initial)))
    d = np.asarray(initial, dtype=np.float64)
    for t in range(horizon):
        out[t] = d
        d = d @ p_pi
    return out


def expected_return(
    transition: np.ndarray,
    initial: np.ndarray,
    policy: np.ndarray,
    reward: np.ndarray,
    horizon: int,
) -> float:
    """Exact undiscounted expected return sum_{t<H} E[R(s_t)] of a stationary policy."""
    return float(state_distributions(transition, initial, policy, horizon).sum(0) @ reward)


def feature_expectations(
    transition: np.ndarray,
    initial: np.ndarray,
    policy: np.ndarray,
    features: np.ndarray,
    horizon: int,
    gamma: float,
) -> np.ndarray:
    """μ(π) = sum_{t<H} γ^t E[x(s_t)] (F,): discounted feature counts (Abbeel & Ng 2004)."""
    d = state_distributions(transition, initial, policy, horizon)
    return (gamma ** np.arange(horizon)) @ d @ features
