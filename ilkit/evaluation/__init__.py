"""Evaluation: the only place the true reward is read (scoring, leaderboard, reports)."""

from ilkit.evaluation.evaluate import EvalResult, RandomPolicy, evaluate, normalized_score
from ilkit.evaluation.scoring import ScoringEnv, make_scoring_env

__all__ = [
    "EvalResult",
    "RandomPolicy",
    "ScoringEnv",
    "evaluate",
    "make_scoring_env",
    "normalized_score",
]
