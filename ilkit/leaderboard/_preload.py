"""Imported once by the evaluation forkserver so that each worker starts warm.

Every worker is forked from a process that already holds these modules (torch, SB3's policies,
the task registry and the scorer), which saves seconds of imports per submission x task. Building
one small policy and scoring env here also pulls in what those import lazily (torch's optimizer
machinery imports ``torch._dynamo``: about 2 s). Nothing here reads a submission's files.
"""

import stable_baselines3.common.policies  # noqa: F401
import stable_baselines3.sac.policies  # noqa: F401
import torch

import ilkit.envs  # noqa: F401
import ilkit.evaluation.evaluate  # noqa: F401
import ilkit.policies.submission  # noqa: F401
import ilkit.rewards.evaluate  # noqa: F401  (the reward track's workers)
import ilkit.rewards.loading  # noqa: F401
from ilkit.envs.scoring import make_scoring_env
from ilkit.policies.artifact import build_module


def _warm_up() -> None:
    torch.set_num_threads(1)
    for env_id, kinds in (
        ("ilkit/CartPole-v0", ("actor_critic",)),
        ("ilkit/Pendulum-v0", ("actor_critic", "sac_actor")),
    ):
        env = make_scoring_env(env_id)
        for kind in kinds:
            build_module(kind, {"net_arch": [8]}, env.observation_space, env.action_space)
        env.close()


_warm_up()
