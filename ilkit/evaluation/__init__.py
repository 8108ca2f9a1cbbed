"""Evaluation: the only place the true reward is read (the scorer and ``evaluate``).

The leaderboard (``ilkit.leaderboard``) builds on this room; nothing here knows about it.

The names below are imported on first use, so that ``ilkit.evaluation.cli`` loads without torch
and ``ilkit --help`` stays fast. They are resolved on every access: importing the submodule
``ilkit.evaluation.evaluate`` binds that module on this package, and must not hide the function
``evaluate`` (an eager ``from ... import`` here used to rebind it).
"""

from __future__ import annotations

from ilkit.lazy import lazy_exports_over_submodules

_EXPORTS = {
    "EvalResult": "ilkit.evaluation.evaluate",
    "RandomPolicy": "ilkit.policies.scripted",
    "evaluate": "ilkit.evaluation.evaluate",
    "normalized_score": "ilkit.evaluation.evaluate",
    "ScoringEnv": "ilkit.envs.scoring",
    "make_scoring_env": "ilkit.envs.scoring",
}
__all__ = sorted(_EXPORTS)
lazy_exports_over_submodules(__name__, _EXPORTS)
