"""What an expert artifact's manifest says about it: its true return and its training track."""

from __future__ import annotations

from typing import Any

from ilkit.evaluation import evaluate

N_EVAL_EPISODES = 50


def true_return(policy: Any, env_id: str, n_episodes: int = N_EVAL_EPISODES) -> dict[str, Any]:
    """The manifest's ``true_return`` block: deterministic actions on the held-out seeds."""
    result = evaluate(policy, env_id, n_episodes=n_episodes, deterministic=True, device="cpu")
    return {
        "mean": result.mean,
        "std": result.std,
        "n_episodes": n_episodes,
        "seeds": "validation",
        "deterministic": True,
    }


def expert_training_block(env_steps: int) -> dict[str, Any]:
    """The manifest's ``training`` block (the leaderboard's track): RL on the true reward."""
    return {
        "offline": env_steps == 0,
        "env_steps": env_steps,
        "expert_queries": 0,
        "interventions": 0,
        "preference_queries": 0,
        "demos": 0,
        "reward": "true reward (expert training)" if env_steps else "none (scripted)",
    }
