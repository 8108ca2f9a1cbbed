"""Policies and their weights-only artifact format (shared by experts, algorithms, evaluation)."""

from typing import Protocol

import numpy as np

from ilkit.policies.artifact import (
    ArtifactError,
    ArtifactPolicy,
    load_policy,
    read_manifest,
    resolve_device,
    save_policy,
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


__all__ = [
    "ArtifactError",
    "ArtifactPolicy",
    "Policy",
    "load_policy",
    "read_manifest",
    "resolve_device",
    "save_policy",
]
