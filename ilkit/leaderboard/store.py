"""Cell results on disk: one JSON file per (submission, task, seed), and per (submission, task)
of the reward track, each written atomically.

A cell file appears complete or not at all (:func:`ilkit.atomic.write_json`), so a run that is
killed at any moment leaves only whole cells, and the next run skips them. Cells are
:class:`~ilkit.leaderboard.records.Cell` (and ``RewardCell``) records; a file that does not
parse as one is treated as absent (evaluated again).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

from ilkit.atomic import write_json
from ilkit.errors import IlkitError
from ilkit.leaderboard.records import Cell, RecordError, RewardCell


class CellStore:
    """``OUT/cells/<submission>/<Task-v0>/[<run>/]seed-<k>.json``; the reward track's in
    ``OUT/reward-cells/<submission>/<Task-v0>.json`` (its own tree: no run name can collide)."""

    def __init__(self, out: Path):
        self.out = out
        self.root = out / "cells"
        self.reward_root = out / "reward-cells"

    def path(self, submission: str, env_id: str, seed_index: int, run: str = "") -> Path:
        folder = self.root / submission / env_id.split("/")[-1]
        return (folder / run if run else folder) / f"seed-{seed_index}.json"

    def reward_path(self, submission: str, env_id: str) -> Path:
        return self.reward_root / submission / f"{env_id.split('/')[-1]}.json"

    def get(self, submission: str, env_id: str, seed_index: int, run: str = "") -> Cell | None:
        return _read(Cell, self.path(submission, env_id, seed_index, run))

    def put(self, cell: Cell) -> None:
        write_json(
            self.path(cell.submission, cell.env_id, cell.seed_index, cell.run), cell.to_json()
        )

    def get_reward(self, submission: str, env_id: str) -> RewardCell | None:
        return _read(RewardCell, self.reward_path(submission, env_id))

    def put_reward(self, cell: RewardCell) -> None:
        write_json(self.reward_path(cell.submission, cell.env_id), cell.to_json())


def _read(record, path: Path):
    try:
        return record.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, UnicodeDecodeError, RecordError):
        # not evaluated yet, or unreadable (cannot happen with atomic writes): evaluate it
        return None


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """One ``leaderboard run`` per output directory at a time."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IlkitError(f"another leaderboard run is writing to {out}") from None
        yield
