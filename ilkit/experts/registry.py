"""Bundled experts: one weights-only policy artifact per task under ``ilkit/experts/bundled/``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ilkit.envs.tabular import is_tabular
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError

if TYPE_CHECKING:  # the artifact module imports torch: only on first load, not for --help
    from ilkit.policies import ArtifactPolicy

MANIFEST = "manifest.json"  # ilkit.policies.artifact.MANIFEST, without importing torch


class ExpertNotFoundError(IlkitError):
    """No expert is bundled for the requested task."""


def bundled_root() -> Path:
    """Directory holding one artifact directory per task name (``bundled/<Name>/``)."""
    return Path(str(resources.files("ilkit.experts").joinpath("bundled")))


def bundled_path(env_id: str) -> Path:
    """Where the expert of ``env_id`` is (or would be) bundled."""
    return bundled_root() / spec(env_id).name


def available() -> list[str]:
    """Task ids that have a bundled expert, in task-table order."""
    from ilkit.envs.tasks import TASKS

    return [i for i, t in TASKS.items() if (bundled_root() / t.name / MANIFEST).is_file()]


def manifest(env_id: str) -> dict[str, Any]:
    """The bundled expert's manifest (architecture, training, true return ...)."""
    from ilkit.policies import read_manifest

    if is_tabular(env_id):
        return _tabular_expert(env_id, "cpu").manifest
    return read_manifest(_existing(env_id))


def load(env_id: str, device: str = "auto") -> ArtifactPolicy:
    """The bundled expert of ``env_id``, with SB3's batched ``predict`` interface.

    Usable as the policy of a rollout and as imitation's DAgger expert; runs on CPU or CUDA.
    A tabular task's expert is computed (exact value iteration), not bundled.

    Raises:
        UnknownEnvError: ``env_id`` is not an ilkit task.
        ExpertNotFoundError: no expert is bundled for the task (the message lists those that are).
    """
    from ilkit.policies import load_policy

    if is_tabular(env_id):
        return _tabular_expert(env_id, device)
    return load_policy(_existing(env_id), device=device)


def _tabular_expert(env_id: str, device: str) -> ArtifactPolicy:
    from ilkit.envs.tabular import expert_policy
    from ilkit.rewards.tabular import policy_artifact

    fields = {"name": "exact tabular expert", "algorithm": "value_iteration",
              "optimality": "greedy after H backups of value iteration (task gamma)"}  # fmt: skip
    return policy_artifact(spec(env_id).id, expert_policy(spec(env_id).id), fields, device)


def _existing(env_id: str) -> Path:
    path = bundled_path(env_id)
    if not (path / MANIFEST).is_file():
        have = ", ".join(available()) or "none"
        raise ExpertNotFoundError(
            f"no bundled expert for {spec(env_id).id}; experts are bundled for: {have} "
            f"(train one with `ilkit expert train {spec(env_id).id}`)"
        )
    return path
