"""Measure a policy's true return and write it as a bundled expert artifact."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ilkit.envs.tasks import spec
from ilkit.evaluation import evaluate
from ilkit.experts.registry import bundled_path
from ilkit.policies import controllers, load_policy, save_policy
from ilkit.progress import log

N_EVAL_EPISODES = 50

# task id -> the scripted controller that is its bundled expert
SCRIPTED = {
    "ilkit/CartPole-v0": controllers.CARTPOLE,
    "ilkit/MountainCar-v0": controllers.MOUNTAINCAR,
    "ilkit/Pendulum-v0": controllers.PENDULUM,
}


def true_return(policy: Any, env_id: str, n_episodes: int = N_EVAL_EPISODES) -> dict[str, Any]:
    """The manifest's ``true_return`` block: deterministic actions on the held-out seeds."""
    result = evaluate(policy, env_id, n_episodes=n_episodes, deterministic=True, device="cpu")
    return {
        "mean": result.mean,
        "std": result.std,
        "n_episodes": n_episodes,
        "seeds": "heldout",
        "deterministic": True,
    }


def expert_training_block(env_steps: int) -> dict[str, Any]:
    """The manifest's ``training`` block (the leaderboard's track): RL on the true reward."""
    return {
        "offline": env_steps == 0,
        "env_steps": env_steps,
        "expert_queries": 0,
        "demos": 0,
        "reward": "true reward (expert training)" if env_steps else "none (scripted)",
    }


def export_scripted(
    env_id: str, out: str | os.PathLike | None = None, *, n_episodes: int = N_EVAL_EPISODES
) -> Path:
    """Write the scripted expert of ``env_id`` (default: its bundled location), with its return.

    The artifact is first written to a temporary sibling and measured from there, so the
    manifest's figures are those of the exact files that ship.
    """
    task = spec(env_id)
    controller = SCRIPTED[task.id]
    target = Path(out) if out is not None else bundled_path(task.id)
    from ilkit.envs.scoring import make_scoring_env

    env = make_scoring_env(task.id)
    manifest = {
        "kind": "scripted",
        "controller": controller,
        "algorithm": "scripted",
        "hyperparameters": {},
        "timesteps": 0,
        "seed": None,
        "training": expert_training_block(0),
    }
    draft = save_policy(
        target.with_name(f".{target.name}.draft"),
        env_id=task.id,
        manifest=manifest,
        observation_space=env.observation_space,
        action_space=env.action_space,
        overwrite=True,
    )
    env.close()
    manifest["true_return"] = true_return(load_policy(draft, device="cpu"), task.id, n_episodes)
    path = save_policy(
        target,
        env_id=task.id,
        manifest=manifest,
        observation_space=env.observation_space,
        action_space=env.action_space,
        overwrite=True,
    )
    import shutil

    shutil.rmtree(draft, ignore_errors=True)
    ret = manifest["true_return"]
    log(f"{task.id}: scripted {controller}: {ret['mean']:.1f} ± {ret['std']:.1f} -> {path}")
    return path


if __name__ == "__main__":  # python -m ilkit.experts.export: re-export every scripted expert
    for env_id in SCRIPTED:
        export_scripted(env_id)
