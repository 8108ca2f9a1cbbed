"""The scorer's old address: it lives in :mod:`ilkit.envs.scoring` (the lowest room)."""

from ilkit.envs.scoring import ScoringEnv, make_scoring_env

__all__ = ["ScoringEnv", "make_scoring_env"]
