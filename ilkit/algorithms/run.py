"""What every algorithm receives (:class:`RunContext`) and returns (:class:`RunOutput`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch as th

from ilkit.algorithms.common import ObsNorm, TrainingError
from ilkit.envs.tasks import TaskSpec


@dataclasses.dataclass
class Demos:
    """The expert demonstrations X of one run (the first ``n_episodes`` of the dataset)."""

    dataset_id: str
    n_episodes: int
    obs: np.ndarray
    """Observations of every transition, episode after episode (no final observations)."""
    acts: np.ndarray
    trajectories: list | None
    """imitation ``Trajectory`` objects (DAgger, GAIL, AIRL); None for BC."""


@dataclasses.dataclass
class RunContext:
    env_id: str
    task: TaskSpec
    config: Any
    seed: int
    device: th.device
    rng: np.random.Generator
    demos: Demos
    logger: Any
    """imitation's HierarchicalLogger writing TensorBoard and CSV under the run directory."""
    observation_space: Any
    action_space: Any
    scratch_dir: Any
    checkpoint: Any = None
    """A :class:`~ilkit.algorithms.checkpoint.Checkpointer` when the run saves and resumes
    mid-run state (GAIL/AIRL with the SAC generator); None otherwise."""

    def record_eval(self, point: dict[str, Any], step: int) -> None:
        """Learning-curve point -> TensorBoard (``eval/*``)."""
        for key, value in point.items():
            if value is not None:
                self.logger.record(f"eval/{key}", value)
        self.logger.dump(step)

    def require_transitions(self, n: int, batch_size: int, what: str = "batch_size") -> None:
        if n < batch_size:
            raise TrainingError(
                f"{self.demos.n_episodes} demo episode(s) give {n} transitions, fewer than "
                f"{what}={batch_size}; use more demos (--demos) or --set {what}=<smaller>"
            )


@dataclasses.dataclass
class RunOutput:
    module: th.nn.Module
    """The trained SB3 policy (stored weights-only)."""
    obs_norm: ObsNorm | None
    curve: list[dict[str, Any]]
    """Learning-curve points: ``epoch`` or ``round``, ``env_steps``, ``mean_return``, ..."""
    env_steps: int
    expert_queries: int
    offline: bool
    prior_cpu_s: float = 0.0
    """CPU seconds spent before a resume from a checkpoint (0 for an uninterrupted run)."""
    prior_wall_s: float = 0.0
    """Training wall seconds before a resume (the time between sessions not counted)."""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
