"""Apprenticeship learning by feature matching: Abbeel & Ng's projection method (ICML 2004).

The expert's discounted feature expectations μ_E = E[Σ_{t<H} γ^t x(s_t)] are estimated from the
demonstrations. Starting from the uniform random policy, each iteration takes the reward
w = μ_E − μ̄ (μ̄: the projection of μ_E onto the line through the last two points), solves it
exactly (ilkit's optimal policy: greedy after H backups of value iteration), computes that
policy's μ exactly, and projects again; it stops when ‖μ_E − μ̄‖₂ ≤ ``epsilon``. The run writes
the reward w of the iteration whose policy's μ came closest to μ_E, and that policy (Abbeel &
Ng also allow a mixture of the policies; one deterministic policy is what ilkit stores).
Tabular tasks only: it needs the model and the features.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ilkit.algorithms.configs import option
from ilkit.algorithms.errors import TrainingError
from ilkit.algorithms.registry import AlgorithmSpec
from ilkit.algorithms.run import RunContext, RunOutput


@dataclasses.dataclass(frozen=True)
class FeatureMatchingConfig:
    """Abbeel & Ng's projection method (tabular tasks only)."""

    max_iter: int = option(50, "Projection iterations at most (each one exact value iteration).")
    epsilon: float = option(
        1e-3, "Stop when ‖μ_E − μ̄‖₂ falls below this (the margin t of the paper).", zero_ok=True
    )
    eval_episodes: int = option(5, "Validation episodes of the final learning-curve point.")


@dataclasses.dataclass(frozen=True)
class Iteration:
    weights: np.ndarray
    """The reward w^(i) = μ_E − μ̄^(i−1) solved in this iteration."""
    mu: np.ndarray
    """Feature expectations of the optimal policy for w^(i)."""
    mu_bar: np.ndarray
    """The projection μ̄^(i) after this iteration."""
    margin: float
    """t^(i) = ‖μ_E − μ̄^(i−1)‖₂, the norm of w^(i)."""
    policy: Any


def projection(
    mu_expert: np.ndarray,
    mu_start: np.ndarray,
    solve_mu: Callable[[np.ndarray], tuple[np.ndarray, Any]],
    *,
    max_iter: int,
    epsilon: float,
) -> list[Iteration]:
    """The projection method; ``solve_mu(w)`` returns (μ(π_w), π_w) for the optimal π_w of w."""
    mu_bar = np.asarray(mu_start, dtype=np.float64)
    out: list[Iteration] = []
    for _ in range(max_iter):
        w = mu_expert - mu_bar
        margin = float(np.linalg.norm(w))
        if margin <= epsilon:
            break
        mu, policy = solve_mu(w)
        d = mu - mu_bar
        dd = float(d @ d)
        if dd > 0:
            mu_bar = mu_bar + (float(d @ w) / dd) * d
        out.append(Iteration(w, mu, mu_bar.copy(), margin, policy))
        if dd == 0:  # the new policy adds nothing: converged as far as it goes
            break
    return out


def expert_feature_expectations(states: list[np.ndarray], features: np.ndarray, horizon: int,
                                gamma: float) -> np.ndarray:  # fmt: skip
    """μ_E from demonstrations' state indices (the first H states of each)."""
    disc = gamma ** np.arange(horizon)
    return np.mean([disc[: len(s[:horizon])] @ features[s[:horizon]] for s in states], axis=0)


def run(ctx: RunContext) -> RunOutput:
    from ilkit.algorithms.mce_irl import demo_states
    from ilkit.envs.tabular import is_tabular, model, solve
    from ilkit.rewards import LinearReward
    from ilkit.rewards.tabular import policy_module

    if not is_tabular(ctx.env_id):
        raise TrainingError(
            f"feature_matching needs a tabular task (known dynamics); {ctx.env_id} is not"
        )
    cfg = ctx.config
    m = model(ctx.env_id)
    x, P, mu0, H, g = m.features, m.transition, m.initial, m.horizon, m.gamma
    mu_expert = expert_feature_expectations(demo_states(ctx, m.n_states), x, H, g)

    def solve_mu(w: np.ndarray):
        pi = solve.optimal_policy(P, x @ w, g, H)
        return solve.feature_expectations(P, mu0, pi, x, H, g), pi

    uniform = solve.uniform_policy(m.n_states, m.n_actions)
    iters = projection(
        mu_expert,
        solve.feature_expectations(P, mu0, uniform, x, H, g),
        solve_mu,
        max_iter=cfg.max_iter,
        epsilon=cfg.epsilon,
    )
    if not iters:
        raise TrainingError("the uniform policy already matches the expert's features")
    best = min(iters, key=lambda it: float(np.linalg.norm(it.mu - mu_expert)))
    module = policy_module(best.policy)
    ctx.record_point(module, None, step=len(iters), epoch=len(iters), env_steps=0)
    fields = {"algorithm": "feature_matching"}
    return RunOutput(
        module=module,
        obs_norm=None,
        curve=ctx.curve,
        env_steps=0,
        expert_queries=0,
        offline=True,
        reward=LinearReward(best.weights, fields),
        extra={
            "iterations": len(iters),
            "final_margin": iters[-1].margin,
            "best_feature_distance": float(np.linalg.norm(best.mu - mu_expert)),
        },
    )


SPEC = AlgorithmSpec(
    name="feature_matching",
    summary="Abbeel & Ng's projection method on tabular tasks (writes the reward)",
    config=FeatureMatchingConfig,
    runner="ilkit.algorithms.feature_matching:run",
    consumes=("demos",),
    demos_as="trajectories",
    writes=("policy", "reward"),
    task_defaults={},
)
