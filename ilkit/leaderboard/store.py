"""Cell results on disk: one JSON file per (submission, task, seed), each written atomically.

A cell file appears complete or not at all (temporary sibling, fsync, rename), so a run that is
killed at any moment leaves only whole cells, and the next run skips them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ilkit.errors import IlkitError


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary sibling and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str) + "\n")


class CellStore:
    """``OUT/cells/<submission>/<Task-v0>/seed-<k>.json``."""

    def __init__(self, out: Path):
        self.out = out
        self.root = out / "cells"

    def path(self, submission: str, env_id: str, seed_index: int) -> Path:
        task = env_id.split("/")[-1]
        return self.root / submission / task / f"seed-{seed_index}.json"

    def get(self, submission: str, env_id: str, seed_index: int) -> dict[str, Any] | None:
        path = self.path(submission, env_id, seed_index)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # cannot happen with atomic writes; evaluate such a cell again

    def put(self, cell: dict[str, Any]) -> None:
        atomic_write_json(self.path(cell["submission"], cell["env_id"], cell["seed_index"]), cell)

    def all(self) -> list[dict[str, Any]]:
        cells = []
        for path in sorted(self.root.glob("*/*/seed-*.json")):
            with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
                cells.append(json.loads(path.read_text(encoding="utf-8")))
        return cells


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
