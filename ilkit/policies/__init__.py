"""Policies: the weights-only artifact format, what a submission is, plain-PyTorch export,
scripted controllers (the classic-control experts and the one uniform-random policy) and the
one space comparison, for every room above.

One fact the room rests on: nothing a policy file holds is ever executed. Every kind is rebuilt
from a JSON manifest's declared architecture and filled from safetensors (or a
``torch.load(weights_only=True)`` state dict), so ``ilkit evaluate``, ``ilkit leaderboard
check`` and the board can read a stranger's submission (:mod:`ilkit.policies.submission`).

The artifact functions are imported on first use (:func:`ilkit.lazy.lazy_exports`), so light
modules (scripted controllers, CLI command definitions) do not pull in torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from ilkit.lazy import lazy_exports
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
    from ilkit.policies.plain import export


class Policy(Protocol):
    """Anything with SB3's ``predict``: what evaluation, rollouts and DAgger accept."""

    def predict(
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]: ...


REWARD_FORMAT = "ilkit-reward"
"""The manifest format of a reward artifact (:mod:`ilkit.rewards.artifact`). It lives here, light
and below the rewards room, because a submission (:mod:`.submission`) may hold rewards too."""

__getattr__ = lazy_exports(
    __name__,
    {
        "ArtifactError": ".artifact",
        "ArtifactPolicy": ".artifact",
        "load_policy": ".artifact",
        "read_manifest": ".artifact",
        "resolve_device": ".artifact",
        "save_policy": ".artifact",
        "export": ".plain",
    },
)

__all__ = [
    "ArtifactError",
    "ArtifactPolicy",
    "REWARD_FORMAT",
    "Policy",
    "RandomPolicy",
    "export",
    "load_policy",
    "read_manifest",
    "resolve_device",
    "save_policy",
]
