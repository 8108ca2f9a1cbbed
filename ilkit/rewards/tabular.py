"""Tabular policies as ordinary policy artifacts, and exact scoring of a policy on a tabular task.

A stationary tabular policy π(a|s) is SB3's ``ActorCriticPolicy`` on the one-hot observation
with ``net_arch=[]``: the action net is then one linear layer whose weight column s holds the
logits of state s (an ``actor_critic`` artifact, no new policy kind).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ilkit.envs.tabular import model, solve

MIN_PROB = 1e-9  # log(1e-9) ≈ -20.7: a one-hot row stays greedy even when sampled


def policy_module(pi: np.ndarray):
    """The SB3 ``ActorCriticPolicy`` whose action distribution in state s is ``pi[s]``."""
    import torch as th
    from gymnasium import spaces

    from ilkit.policies.artifact import build_module

    pi = np.asarray(pi, dtype=np.float64)
    n_states, n_actions = pi.shape
    obs_space = spaces.Box(0.0, 1.0, shape=(n_states,), dtype=np.float32)
    module = build_module("actor_critic", {"net_arch": []}, obs_space, spaces.Discrete(n_actions))
    logits = np.log(np.maximum(pi, MIN_PROB))
    with th.no_grad():
        module.action_net.weight.copy_(th.as_tensor(logits.T, dtype=th.float32))
        module.action_net.bias.zero_()
    module.eval()
    return module


def policy_artifact(env_id: str, pi: np.ndarray, manifest: dict[str, Any], device: str = "cpu"):
    """A loaded-artifact-like policy (:class:`ilkit.policies.ArtifactPolicy`) for ``pi``."""
    from ilkit.policies.artifact import ArtifactPolicy, describe, resolve_device
    from ilkit.policies.spaces import space_to_json

    module = policy_module(pi)
    kind, arch = describe(module)
    dev = resolve_device(device)
    module.to(dev)
    data = {
        **manifest,
        "kind": kind,
        "architecture": arch,
        "env_id": env_id,
        "observation_space": space_to_json(module.observation_space),
        "action_space": space_to_json(module.action_space),
    }
    return ArtifactPolicy(data, module, None, dev)


def policy_table(policy: Any, n_states: int, n_actions: int) -> np.ndarray:
    """π (S, A) of any policy on one-hot observations: its deterministic action in each state
    (what ``ilkit evaluate`` runs) as a one-hot row."""
    acts, _ = policy.predict(np.eye(n_states, dtype=np.float32), deterministic=True)
    pi = np.zeros((n_states, n_actions))
    pi[np.arange(n_states), np.asarray(acts, dtype=np.int64).reshape(n_states)] = 1.0
    return pi


def exact_return(env_id: str, pi: np.ndarray) -> float:
    """Exact true (undiscounted) expected return of a stationary policy on a tabular task."""
    from ilkit.envs.tabular._truth import true_reward

    m = model(env_id)
    return solve.expected_return(m.transition, m.initial, pi, true_reward(env_id), m.horizon)
