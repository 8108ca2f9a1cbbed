"""A mixture-density policy for continuous actions: an MLP whose head is a Gaussian mixture.

Behavioural cloning fits a policy by maximum likelihood. With a single diagonal Gaussian per
state, demonstrations that go two ways from the same state (left or right of an obstacle) are
averaged into the middle; a mixture of K Gaussians can put one component on each way. The
policy outputs, per state, mixture weights ``softmax(logits)`` and per component a mean and a
diagonal log standard deviation, and BC minimises the exact negative log-likelihood

    -log p(a|s) = -logsumexp_k [ log w_k + sum_d log N(a_d; mu_kd, sigma_kd) ]

(:func:`mixture_log_prob`). Stochastic actions sample a component, then its Gaussian;
deterministic actions are the mean of the component with the largest weight (not the mixture's
mean, which is the average this policy exists to avoid).

It is an SB3 ``BasePolicy`` (``predict``, ``set_training_mode``, action clipping), so imitation's
BC and DAgger train it and ilkit's evaluation, rollouts and leaderboard call it like any other
policy; the artifact kind is ``mdn`` (:func:`describe` / :func:`build`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.preprocessing import get_flattened_obs_dim
from stable_baselines3.common.torch_layers import FlattenExtractor

KIND = "mdn"
LOG_STD_MIN, LOG_STD_MAX = -3.0, 2.0
"""Bounds on each component's log standard deviation. Without a floor a component that sits on
identical actions (a scripted expert's) shrinks toward zero width, its likelihood diverges and
the sharp loss surface stalls the fit of the weights; a floor of e^-3 ~ 0.05 (on actions of
order 1) keeps the fit smooth, and deterministic actions use the means only."""
_LOG_2PI = math.log(2.0 * math.pi)


def mixture_log_prob(
    logits: th.Tensor, means: th.Tensor, log_stds: th.Tensor, actions: th.Tensor
) -> th.Tensor:
    """``log p(a)`` under a mixture of diagonal Gaussians, per row.

    Args:
        logits: ``(B, K)`` unnormalised log mixture weights.
        means, log_stds: ``(B, K, D)`` per-component means and log standard deviations.
        actions: ``(B, D)``.
    """
    log_w = th.log_softmax(logits, dim=-1)
    z = (actions.unsqueeze(1) - means) * th.exp(-log_stds)
    log_comp = -0.5 * (z * z + _LOG_2PI).sum(-1) - log_stds.sum(-1)  # (B, K)
    return th.logsumexp(log_w + log_comp, dim=-1)


class MDNPolicy(BasePolicy):
    """MLP trunk -> (mixture logits, component means, component log stds) over the actions."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        *,
        net_arch: Sequence[int] = (64, 64),
        activation: str = "tanh",
        activation_fn: type[th.nn.Module] = th.nn.Tanh,
        n_components: int = 5,
        lr_schedule: Any = None,  # accepted for SB3's signature; BC builds its own optimizer
    ):
        """``activation`` is the name the artifact records for ``activation_fn`` (a key of
        ``ilkit.policies.artifact.ACTIVATIONS``, which resolves it when loading).

        Raises:
            ValueError: discrete actions, or fewer than one component.
        """
        if not isinstance(action_space, spaces.Box):
            raise ValueError("a mixture-density (mdn) policy needs a continuous action space")
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {n_components}")
        super().__init__(observation_space, action_space, features_extractor_class=FlattenExtractor)
        self.features_extractor = FlattenExtractor(observation_space)
        self.net_arch = [int(n) for n in net_arch]
        self.activation = activation
        self.n_components = int(n_components)
        self.action_dim = int(math.prod(action_space.shape))
        layers: list[th.nn.Module] = []
        width = get_flattened_obs_dim(observation_space)
        for n in self.net_arch:
            layers += [th.nn.Linear(width, n), activation_fn()]
            width = n
        self.trunk = th.nn.Sequential(*layers)
        k, d = self.n_components, self.action_dim
        self.logits = th.nn.Linear(width, k)
        self.means = th.nn.Linear(width, k * d)
        self.log_stds = th.nn.Linear(width, k * d)
        # Spread the initial means so the components start apart instead of identical.
        with th.no_grad():
            self.means.bias.copy_(th.linspace(-0.5, 0.5, k).repeat_interleave(d))

    def mixture(self, obs: th.Tensor) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        """``(logits (B, K), means (B, K, D), log_stds (B, K, D))`` for a batch of observations."""
        h = self.trunk(self.extract_features(obs, self.features_extractor))
        k, d = self.n_components, self.action_dim
        means = self.means(h).view(-1, k, d)
        log_stds = self.log_stds(h).view(-1, k, d).clamp(LOG_STD_MIN, LOG_STD_MAX)
        return self.logits(h), means, log_stds

    def forward(self, obs: th.Tensor, deterministic: bool = False) -> th.Tensor:
        return self._predict(obs, deterministic)

    def _predict(self, observation: th.Tensor, deterministic: bool = False) -> th.Tensor:
        logits, means, log_stds = self.mixture(observation)
        if deterministic:
            k = logits.argmax(dim=-1)
        else:
            k = th.distributions.Categorical(logits=logits).sample()
        rows = th.arange(len(k), device=k.device)
        action = means[rows, k]
        if not deterministic:
            action = action + th.exp(log_stds[rows, k]) * th.randn_like(action)
        return action.view(-1, *self.action_space.shape)

    def evaluate_actions(self, obs: th.Tensor, actions: th.Tensor):
        """``(values, log_prob, entropy)`` as imitation's BC loss reads them from a policy:
        no value head, and a mixture has no closed-form entropy (None: no entropy bonus)."""
        logits, means, log_stds = self.mixture(obs)
        actions = actions.reshape(len(actions), self.action_dim).to(means.dtype)
        return None, mixture_log_prob(logits, means, log_stds, actions), None

    def architecture(self) -> dict[str, Any]:
        return {
            "net_arch": list(self.net_arch),
            "activation": self.activation,
            "n_components": self.n_components,
        }

    def _get_constructor_parameters(self) -> dict[str, Any]:  # SB3's save(); DAgger snapshots
        return {**super()._get_constructor_parameters(), **self.architecture()}


def build(
    arch: dict[str, Any],
    obs_space: spaces.Space,
    act_space: spaces.Space,
    activations: dict[str, type[th.nn.Module]],
) -> MDNPolicy:
    """An untrained :class:`MDNPolicy` from an artifact's declared architecture."""
    activation = str(arch.get("activation", "tanh"))
    return MDNPolicy(
        obs_space,
        act_space,
        net_arch=[int(n) for n in arch["net_arch"]],
        activation=activation,
        activation_fn=activations[activation],
        n_components=int(arch["n_components"]),
    )
