"""Imported once by the evaluation forkserver so that each worker starts warm.

Every worker is forked from a process that already holds these modules (torch, SB3's policies,
the task registry and the scorer), which saves seconds of imports per submission x task.
Nothing here runs submission code or reads a submission's files.
"""

import stable_baselines3.common.policies  # noqa: F401
import stable_baselines3.sac.policies  # noqa: F401
import torch  # noqa: F401
import torch.optim  # noqa: F401

import ilkit.envs  # noqa: F401
import ilkit.evaluation.evaluate  # noqa: F401
import ilkit.evaluation.submissions  # noqa: F401
import ilkit.policies  # noqa: F401
