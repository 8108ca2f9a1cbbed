"""ilkit's BC loss is imitation's loss (cross-entropy / Gaussian NLL), minus dead L2 work."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from imitation.algorithms.bc import BehaviorCloningLossCalculator

from ilkit.algorithms.bc import bc_loss
from ilkit.algorithms.common import mlp_policy


@pytest.mark.parametrize(
    "act_space",
    [gym.spaces.Discrete(3), gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)],
    ids=["discrete", "continuous"],
)
@pytest.mark.parametrize("l2_weight", [0.0, 1e-3])
def test_same_loss_and_gradients_as_imitation(act_space, l2_weight):
    obs_space = gym.spaces.Box(-5.0, 5.0, (4,), dtype=np.float32)
    th.manual_seed(0)
    policy = mlp_policy(obs_space, act_space, (16, 16), "tanh", th.device("cpu"))
    obs = th.randn(64, 4)
    acts = th.as_tensor(np.stack([act_space.sample() for _ in range(64)]))
    results = []
    for loss_fn in (BehaviorCloningLossCalculator(1e-3, l2_weight), bc_loss(1e-3, l2_weight)):
        policy.zero_grad()
        metrics = loss_fn(policy, obs, acts)
        metrics.loss.backward()
        # imitation's zero-weight L2 term gives unused parameters (the value head) zero
        # gradients; ilkit leaves them None: the same update
        grads = [
            th.zeros_like(p) if p.grad is None else p.grad.clone() for p in policy.parameters()
        ]
        results.append((metrics, grads))
    (theirs, their_grads), (ours, our_grads) = results
    th.testing.assert_close(ours.loss, theirs.loss)
    th.testing.assert_close(ours.neglogp, theirs.neglogp)
    for a, b in zip(our_grads, their_grads, strict=True):
        th.testing.assert_close(a, b)


def test_discrete_loss_is_cross_entropy():
    obs_space = gym.spaces.Box(-5.0, 5.0, (4,), dtype=np.float32)
    policy = mlp_policy(obs_space, gym.spaces.Discrete(3), (8,), "tanh", th.device("cpu"))
    obs, acts = th.randn(32, 4), th.randint(0, 3, (32,))
    logits = policy.action_net(policy.mlp_extractor.forward_actor(policy.extract_features(obs)))
    expected = th.nn.functional.cross_entropy(logits, acts)
    th.testing.assert_close(bc_loss(0.0, 0.0)(policy, obs, acts).neglogp, expected)
