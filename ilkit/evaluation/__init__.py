"""Evaluation: the only place the true reward is read (the scorer and ``evaluate``).

The leaderboard (``ilkit.leaderboard``) builds on this room; nothing here knows about it.

The names below are imported on first use, so that ``ilkit.evaluation.cli`` loads without torch
and ``ilkit --help`` stays fast. They are resolved on every access: importing the submodule
``ilkit.evaluation.evaluate`` binds that module on this package, and must not hide the function
``evaluate`` (an eager ``from ... import`` here used to rebind it).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_EXPORTS = {
    "EvalResult": "ilkit.evaluation.evaluate",
    "RandomPolicy": "ilkit.evaluation.evaluate",
    "evaluate": "ilkit.evaluation.evaluate",
    "normalized_score": "ilkit.evaluation.evaluate",
    "ScoringEnv": "ilkit.envs.scoring",
    "make_scoring_env": "ilkit.envs.scoring",
}
__all__ = sorted(_EXPORTS)


class _LazyExports(types.ModuleType):
    def __getattribute__(self, name: str) -> Any:
        if name in _EXPORTS:
            return getattr(importlib.import_module(_EXPORTS[name]), name)
        return super().__getattribute__(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_EXPORTS))


sys.modules[__name__].__class__ = _LazyExports
