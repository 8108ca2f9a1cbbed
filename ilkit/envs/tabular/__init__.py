"""Tabular HR-MDPs: tasks whose model is public and whose reward is linear in known features.

Inverse RL with known dynamics (feature matching, maximum-causal-entropy IRL) needs the
transition model P(s'|s,a), the initial distribution and the feature map x(s); publishing them
reveals nothing about the reward R(s) = x(s)ᵀw, whose weights stay in a private store. The
env is hidden like every ilkit task (``step()`` returns 0.0, fixed horizon, γ in the spec), its
observation is the one-hot state, and its exact expert and reference returns come from dynamic
programming (:mod:`ilkit.envs.tabular.solve`), not from sampling.

A user task: ``ilkit.envs.tabular.register("ilkit/Homework-v0", transition=P, initial=mu0,
features=X, weights=w, horizon=H, gamma=g)`` in a module ``hw``; then ``gym.make("hw:ilkit/
Homework-v0")`` and ``ilkit ... --env hw:ilkit/Homework-v0`` work in a fresh process.
"""

from __future__ import annotations

from ilkit.envs.tabular.model import (
    ModelShapeError,
    NotADistributionError,
    NotFiniteError,
    NotTabularError,
    TabularModel,
    TabularModelError,
    TaskExistsError,
    expert_policy,
    ids,
    is_tabular,
    model,
    register,
)
from ilkit.envs.tabular.worlds import TRANSFER, register_builtin

__all__ = [
    "TRANSFER",
    "ModelShapeError",
    "NotADistributionError",
    "NotFiniteError",
    "NotTabularError",
    "TabularModel",
    "TabularModelError",
    "TaskExistsError",
    "expert_policy",
    "ids",
    "is_tabular",
    "model",
    "register",
]

register_builtin()
