"""Bundled expert policies π(a|s; θβ) for every HR-MDP task, and their training.

``ilkit.experts.load(env_id)`` returns a weights-only policy with SB3's ``predict``; scripted
controllers cover the classic-control tasks, trained SB3 policies the rest.
"""

from ilkit.experts.registry import (
    ExpertNotFoundError,
    available,
    bundled_path,
    bundled_root,
    load,
    manifest,
)

__all__ = [
    "ExpertNotFoundError",
    "available",
    "bundled_path",
    "bundled_root",
    "load",
    "manifest",
]
