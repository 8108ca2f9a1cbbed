"""The leaderboard: many submitted policies x tasks x seeds, scored in sandboxed workers.

The fact the board rests on: a graded board is a pure function of the submissions, the tasks
and the secret. Every cell's episode seeds come from the seed split, every bootstrap from a
generator ilkit seeds (``stats``), and an interruption stores nothing it did not finish, so two
runs, or a run and a re-render from the stored cells, give the same files apart from the
timestamp.

A submission is a stranger's file: it is unpacked and checked (``ilkit.policies.safety``), found
by the one definition of a submission that ``ilkit evaluate`` shares
(``ilkit.policies.submission``), and run in its own process with time and memory limits
(``worker``). Cells are stored one file each so a run resumes (``store``, ``records``); the
board ranks entries with honest statistics (``stats``, ``board``) and is written as JSON, CSV,
Markdown and HTML (``reports``). ``grading`` runs it on the platforms courses use (Gradescope,
Codabench, EvalAI). Scores come from :func:`ilkit.evaluation.evaluate`; nothing below this
room imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ilkit.lazy import lazy_exports

if TYPE_CHECKING:
    from ilkit.leaderboard.leaderboard import BoardConfig, LeaderboardError, run_leaderboard
    from ilkit.policies.safety import SubmissionError, UnsafeSubmissionError

__getattr__ = lazy_exports(  # lazy: ``ilkit leaderboard --help`` needs no torch
    __name__,
    {
        "BoardConfig": "ilkit.leaderboard.leaderboard",
        "LeaderboardError": "ilkit.leaderboard.leaderboard",
        "run_leaderboard": "ilkit.leaderboard.leaderboard",
        "SubmissionError": "ilkit.policies.safety",
        "UnsafeSubmissionError": "ilkit.policies.safety",
    },
)
__all__ = [
    "BoardConfig",
    "LeaderboardError",
    "SubmissionError",
    "UnsafeSubmissionError",
    "run_leaderboard",
]
