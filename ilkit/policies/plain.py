"""The supported way in for a policy trained with plain PyTorch: :func:`export`.

A student who trains an ``nn.Sequential`` on the expert dataset with their own loop calls
``ilkit.policies.export(net, env_id, out_dir)`` and hands in ``out_dir``: a weights-only
artifact of kind ``mlp`` (:mod:`ilkit.policies.mlp`) that ``ilkit leaderboard check``,
``ilkit evaluate`` and the board accept, with no Stable-Baselines3 names to learn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch as th

from ilkit.policies.artifact import save_policy
from ilkit.policies.mlp import MLPPolicy, layers_of, obs_dim
from ilkit.policies.nets import ArtifactError


def export(
    module: th.nn.Module,
    env_id: str,
    out_dir: str | os.PathLike,
    *,
    obs_norm: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a plain-PyTorch policy as a submission the leaderboard and ``ilkit evaluate`` take.

    Args:
        module: a ``torch.nn.Sequential`` of ``Linear`` layers and activations (tanh, relu,
            elu, leaky_relu, gelu) mapping a flattened observation to action logits (discrete
            tasks: the action is the argmax) or action means (continuous: clipped to the bounds).
        env_id: the task, e.g. ``"ilkit/CartPole-v0"``.
        out_dir: the submission directory to create (``manifest.json`` + ``policy.safetensors``).
        obs_norm: optional observation normalisation applied before the network,
            ``clip((obs - mean) / sqrt(var + epsilon), -clip, clip)``:
            ``{"mean": [...], "var": [...], "clip": 10.0, "epsilon": 1e-8}``.
        training: optional declared track, e.g. ``{"offline": True, "demos": 10}``
            (keys ``offline``, ``env_steps``, ``expert_queries``, ``demos``).
        overwrite: replace an existing ``out_dir``.

    Raises:
        ArtifactError: a layer that is not Linear or a known activation, input or output sizes
            that do not fit the task, or an ``out_dir`` that exists.
    """
    from ilkit.envs import make
    from ilkit.envs.tasks import spec

    task = spec(env_id)
    env = make(task.id)  # the public task: only its spaces are read
    obs_space, act_space = env.observation_space, env.action_space
    env.close()
    policy = MLPPolicy(layers_of(module), obs_space, act_space)
    policy.load_state_dict({k: v.detach().cpu() for k, v in module.state_dict().items()})
    if obs_norm is not None:
        dim = obs_dim(obs_space)
        for key in ("mean", "var"):
            if key not in obs_norm or np.asarray(obs_norm[key]).reshape(-1).shape != (dim,):
                raise ArtifactError(f"obs_norm[{key!r}] must hold {dim} numbers")
        obs_norm = {
            **obs_norm,
            "mean": np.asarray(obs_norm["mean"], dtype=np.float64).reshape(obs_space.shape),
            "var": np.asarray(obs_norm["var"], dtype=np.float64).reshape(obs_space.shape),
        }
    manifest: dict[str, Any] = {"algorithm": "plain PyTorch (ilkit.policies.export)"}
    if training is not None:
        manifest["training"] = dict(training)
    return save_policy(
        out_dir,
        env_id=task.id,
        manifest=manifest,
        module=policy,
        obs_norm=obs_norm,
        overwrite=overwrite,
    )
