"""Policies: the weights-only artifact format, scripted controllers (the classic-control experts
and the one uniform-random policy) and the one space comparison, for every room above.

The artifact functions are imported on first use, so light modules (scripted controllers, CLI
command definitions) do not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ilkit.policies.scripted import RandomPolicy

if TYPE_CHECKING:
    from ilkit.policies.artifact import (
        ArtifactError,
        ArtifactPolicy,
        load_policy,
        read_manifest,
        resolve_device,
        save_policy,
    )

_ARTIFACT_EXPORTS = (
    "ArtifactError",
    "ArtifactPolicy",
    "load_policy",
    "read_manifest",
    "resolve_device",
    "save_policy",
)


class Policy(Protocol):
    """Anything with SB3's ``predict``: what evaluation, rollouts and DAgger accept."""

    def predict(
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]: ...


def __getattr__(name: str) -> Any:
    if name in _ARTIFACT_EXPORTS:
        return getattr(importlib.import_module("ilkit.policies.artifact"), name)
    raise AttributeError(f"module 'ilkit.policies' has no attribute {name!r}")


__all__ = [
    "ArtifactError",
    "ArtifactPolicy",
    "Policy",
    "RandomPolicy",
    "load_policy",
    "read_manifest",
    "resolve_device",
    "save_policy",
]
