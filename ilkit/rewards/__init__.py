"""Learned rewards: weights-only reward artifacts, and how close they come to the hidden reward.

Inverse RL recovers the reward an HR-MDP hides, so a learned reward is an artifact like a
policy (``OUT/reward/``: safetensors + JSON manifest, :func:`load_reward` in one call,
:class:`LearnedRewardWrapper` to train any SB3 algorithm on it), and "how good is it" is a
scoring question, answered here against the true reward: :func:`evaluate_reward` (EPIC, the
true return of a policy re-optimised on it, the feature-expectation gap). Like ``evaluate``,
this is the only room besides evaluation that reads the true reward.

Names load on first use: ``ilkit.rewards.cli`` stays light for ``ilkit --help``.
"""

from __future__ import annotations

from ilkit.lazy import lazy_exports

_EXPORTS = {
    "LearnedReward": "ilkit.rewards.artifact",
    "LinearReward": "ilkit.rewards.artifact",
    "StateReward": "ilkit.rewards.artifact",
    "RewardArtifactError": "ilkit.rewards.artifact",
    "load_reward": "ilkit.rewards.loading",
    "LearnedRewardWrapper": "ilkit.rewards.wrapper",
    "evaluate_reward": "ilkit.rewards.evaluate",
    "from_reward_net": "ilkit.rewards.nets",
    "NetReward": "ilkit.rewards.nets",
    "RewardEvaluationError": "ilkit.rewards.evaluate",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
