"""What every algorithm receives (:class:`RunContext`) and returns (:class:`RunOutput`)."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ilkit.algorithms.common import ObsNorm, evaluate_live
from ilkit.algorithms.errors import TrainingError
from ilkit.envs.tasks import TaskSpec

if TYPE_CHECKING:
    import torch as th


@dataclasses.dataclass
class Demos:
    """The expert demonstrations X of one run (the first ``n_episodes`` of the dataset)."""

    dataset_id: str | None
    """None when the algorithm consumes no demonstrations (its spec's ``consumes``)."""
    n_episodes: int
    obs: np.ndarray
    """Observations of every transition, episode after episode (no final observations)."""
    acts: np.ndarray
    trajectories: list | None
    """imitation ``Trajectory`` objects (for ``demos_as="trajectories"``); None otherwise."""


@dataclasses.dataclass
class RunContext:
    algorithm: str
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
    """A :class:`~ilkit.algorithms.checkpoint.RunCheckpointer` when the run saves and resumes
    mid-run state (GAIL/AIRL with the SAC generator); None otherwise."""
    curve: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """The learning curve so far (:meth:`record_point` appends to it)."""
    cpu_start: float = dataclasses.field(default_factory=time.process_time)
    """Process CPU time when the run started (minus the CPU before a resume)."""

    def record_point(self, module, norm: ObsNorm | None, *, step: int, **coords) -> None:
        """One learning-curve point: the current policy's true return on ``eval_episodes``
        validation seeds, after ``coords`` (``epoch``/``round``, ``env_steps``), with the CPU
        time so far (evaluations included; cores may be shared), appended to :attr:`curve`
        and logged under ``eval/`` at ``step``."""
        point = evaluate_live(module, norm, self.env_id, self.config.eval_episodes, self.device)
        cpu = round(time.process_time() - self.cpu_start, 1)
        point = {**coords, **point, "cpu_time_s": cpu}
        self.curve.append(point)
        for key, value in point.items():
            if value is not None:
                self.logger.record(f"eval/{key}", value)
        self.logger.dump(step)

    def eval_due(self, done: int, total: int) -> bool:
        """Whether a learning-curve point is due after ``done`` of ``total`` epochs/rounds."""
        every = self.config.eval_every
        return bool(every) and (done % every == 0 or done == total)

    def require_transitions(self, n: int, batch_size: int, what: str = "batch_size") -> None:
        if n < batch_size:
            raise TrainingError(
                f"{self.demos.n_episodes} demo episode(s) give {n} transitions, fewer than "
                f"{what}={batch_size}; use more demos (--demos) or --set {what}=<smaller>"
            )


@dataclasses.dataclass
class RunOutput:
    module: Any
    """The trained policy (an SB3 policy module; stored weights-only)."""
    obs_norm: ObsNorm | None
    curve: list[dict[str, Any]]
    """Learning-curve points: ``epoch`` or ``round``, ``env_steps``, ``mean_return``, ..."""
    env_steps: int
    expert_queries: int
    """States the expert labelled (each one label)."""
    offline: bool
    interventions: int = 0
    """Times a gate handed control to the expert."""
    preference_queries: int = 0
    """Fragment pairs compared by a preference oracle."""
    reward: Any = None
    """The learned reward (an :class:`ilkit.rewards.LearnedReward`) for algorithms whose spec
    writes one; saved under ``OUT/reward/``."""
    prior_cpu_s: float = 0.0
    """CPU seconds spent before a resume from a checkpoint (0 for an uninterrupted run)."""
    prior_wall_s: float = 0.0
    """Training wall seconds before a resume (the time between sessions not counted)."""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
