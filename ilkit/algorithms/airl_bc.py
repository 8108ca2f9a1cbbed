"""AIRL-BC: AIRL (SAC generator) whose actor also minimises TD3+BC's behavioural-cloning term.

Not AIRL alone, and named apart so that no row reads as one: the actor's loss gains
``bc_weight * mean|Q| * (actor's mean action - expert action)^2`` (held for the whole run:
``bc_decay_steps=0``), so the policy stays near the demonstrations while the shaped reward net
is learned as in AIRL. On Walker2d plain AIRL scored 0.912 / 0.243 (seeds 0, 1; 300k steps) and
AIRL-BC 0.951 / 1.133 / 1.004 (150k), but BC alone scores 1.046 on the same demos:
``benchmarks/results/baselines.md``. The reward saved under ``OUT/reward/`` is AIRL's g.
"""

import dataclasses

from ilkit.algorithms.adversarial import SAC_MUJOCO, SACGeneratorConfig
from ilkit.algorithms.airl import TASK_DEFAULTS as AIRL_DEFAULTS
from ilkit.algorithms.registry import AlgorithmSpec

BC_TERM = {"bc_weight": 0.4, "bc_decay_steps": 0}
"""TD3+BC's weight (its alpha 2.5 as 1/2.5), never fading: a fading term let Walker2d fall back
to plain AIRL's 0.2-0.4 once the weight dropped below ~0.2."""

TASK_DEFAULTS = {
    name: {"sac": {**generators["sac"], **BC_TERM}}
    for name, generators in AIRL_DEFAULTS.items()
    if "sac" in generators
}
# held near the demonstrations, Walker2d stays at the expert's level from 40k steps on
TASK_DEFAULTS["Walker2d"] = {"sac": {**SAC_MUJOCO, **BC_TERM, "total_timesteps": 150_000}}


def run(ctx):
    """AIRL's runner (its reward net, logit and reward artifact) with this config."""
    from gymnasium import spaces

    from ilkit.algorithms.adversarial import run as run_adversarial
    from ilkit.algorithms.errors import TrainingError

    if not isinstance(ctx.action_space, spaces.Box):
        raise TrainingError(f"airl_bc trains SAC: it needs continuous actions, not {ctx.task.id}")

    return run_adversarial(dataclasses.replace(ctx, algorithm="airl"))


SPEC = AlgorithmSpec(
    name="airl_bc",
    summary="AIRL with SAC whose actor is also pulled to the demonstrations (TD3+BC's term)",
    config={"sac": SACGeneratorConfig},
    runner=run,
    task_defaults=TASK_DEFAULTS,
    consumes=("demos", "env_steps"),
    demos_as="trajectories",
    writes=("policy", "reward"),
)
