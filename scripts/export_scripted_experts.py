"""Re-export the scripted experts (CartPole, MountainCar, Pendulum) with their measured return.

A developer script: it writes ``ilkit/experts/bundled/<Name>/`` in the source tree beside it
(which ships with the package), never into an installed package.

Usage: ``python scripts/export_scripted_experts.py``
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ilkit.envs.scoring import make_scoring_env
from ilkit.envs.tasks import spec
from ilkit.experts.export import N_EVAL_EPISODES, expert_training_block, true_return
from ilkit.policies import controllers, load_policy, save_policy
from ilkit.progress import log

BUNDLED = Path(__file__).resolve().parents[1] / "ilkit" / "experts" / "bundled"

# task id -> the scripted controller that is its bundled expert
SCRIPTED = {
    "ilkit/CartPole-v0": controllers.CARTPOLE,
    "ilkit/MountainCar-v0": controllers.MOUNTAINCAR,
    "ilkit/Pendulum-v0": controllers.PENDULUM,
    "ilkit/Detour-v0": controllers.DETOUR,
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
    target = Path(out) if out is not None else BUNDLED / task.name
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
    shutil.rmtree(draft, ignore_errors=True)
    ret = manifest["true_return"]
    log(f"{task.id}: scripted {controller}: {ret['mean']:.1f} ± {ret['std']:.1f} -> {path}")
    return path


if __name__ == "__main__":
    for env_id in SCRIPTED:
        export_scripted(env_id)
