"""A board's settings (:class:`BoardConfig`) and what identifies its cells (the seed split,
the episode count): cells of different identities never mix in one output directory."""

from __future__ import annotations

import dataclasses
from typing import Any

from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError
from ilkit.leaderboard.records import Cell
from ilkit.leaderboard.testseeds import SeedSplit
from ilkit.policies.safety import Limits

BACKENDS = ("local", "ray")


class LeaderboardError(IlkitError):
    """A leaderboard run that cannot start (bad options, an incompatible output directory)."""


@dataclasses.dataclass(frozen=True)
class BoardConfig:
    envs: tuple[str, ...]
    episodes: int = 10
    """Episodes per cell."""
    seeds: int = 5
    """Cells (independent groups of episodes) per submission x run x task."""
    workers: int = 2
    timeout_s: float = 600.0
    """Wall-clock limit of one worker (one submission x run x task, all its cells)."""
    memory_mb: int = 2048
    """Resident-memory limit of one worker (polled; see :mod:`ilkit.leaderboard.worker`)."""
    backend: str = "local"
    address: str | None = None
    device: str = "cpu"
    retry_failed: bool = False
    limits: Limits = Limits()
    split: SeedSplit = SeedSplit("validation")
    """The seed split: secret test seeds, or the public validation split without a secret."""
    with_references: bool = False
    """Add reference rows (each task's bundled expert and a uniform random policy)."""
    verified: tuple[str, ...] = ()
    """Entries whose training ilkit itself ran (quickstart): their track is not "declared"."""

    def __post_init__(self) -> None:
        if not self.envs:
            raise LeaderboardError("give at least one task with --envs")
        if self.episodes < 1 or self.seeds < 1 or self.workers < 1:
            raise LeaderboardError("--episodes, --seeds and --workers must be at least 1")
        if self.backend not in BACKENDS:
            raise LeaderboardError(f"unknown backend {self.backend!r}; use one of {BACKENDS}")
        object.__setattr__(self, "envs", tuple(dict.fromkeys(spec(e).id for e in self.envs)))

    def identity(self) -> dict[str, Any]:
        """What ``run.json`` records: a rerun with another identity is refused."""
        return {
            "episodes": self.episodes,
            "split": self.split.name,
            "fingerprint": self.split.fingerprint,
        }

    def to_json(self) -> dict[str, Any]:
        """The settings a report shows (no secret, no paths)."""
        return {
            "envs": list(self.envs),
            "episodes": self.episodes,
            "seeds": self.seeds,
            "timeout_s": self.timeout_s,
            "memory_mb": self.memory_mb,
            "backend": self.backend,
            "with_references": self.with_references,
        }

    def matches(self, cell: Cell | None, digest: str) -> bool:
        """Whether a stored cell belongs to this board for a submission of ``digest``."""
        return bool(
            cell is not None
            and cell.digest == digest
            and cell.episodes == self.episodes
            and cell.split == self.split.name
            and cell.fingerprint == self.split.fingerprint
        )
