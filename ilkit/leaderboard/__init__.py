"""The leaderboard: many submitted policies x tasks x seeds, scored in sandboxed workers.

A submission is a stranger's file: it is unpacked and checked (``safety``), found and loaded
weights-only (``submissions``), and run in its own process with time and memory limits
(``worker``). Cells are stored one file each so a run resumes (``store``); the board ranks
entries with honest statistics (``stats``) and is written as JSON, CSV, Markdown and HTML
(``reports``). Scores come from :func:`ilkit.evaluation.evaluate`; nothing below this room
imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ilkit.leaderboard.leaderboard import BoardConfig, LeaderboardError, run_leaderboard
    from ilkit.leaderboard.safety import SubmissionError, UnsafeSubmissionError

_EXPORTS = {
    "BoardConfig": "ilkit.leaderboard.leaderboard",
    "LeaderboardError": "ilkit.leaderboard.leaderboard",
    "run_leaderboard": "ilkit.leaderboard.leaderboard",
    "SubmissionError": "ilkit.leaderboard.safety",
    "UnsafeSubmissionError": "ilkit.leaderboard.safety",
}
__all__ = [
    "BoardConfig",
    "LeaderboardError",
    "SubmissionError",
    "UnsafeSubmissionError",
    "run_leaderboard",
]


def __getattr__(name: str) -> Any:  # lazy: ``ilkit leaderboard --help`` needs no torch
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ilkit.leaderboard' has no attribute {name!r}")
