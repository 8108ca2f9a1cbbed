"""The records a board writes and reads: a cell (one file per submission x run x task x seed),
a reward cell (one file per submission x task of the reward track) and the board itself (its
tasks and entries, and the reward track's), each a dataclass with one ``to_json`` and one
``from_json``. Writers never spell these dicts out by hand, and a reader validates a file by
parsing it into these types, never by rendering it.

``from_json`` raises :class:`RecordError` (a ``ValueError``) naming the first field that is
missing or of the wrong type.
"""

from __future__ import annotations

import dataclasses
from typing import Any

FORMAT = "ilkit-leaderboard"
FORMAT_VERSION = 3
STATUSES = ("ok", "failed")


class RecordError(ValueError):
    """A stored record that does not parse (an older ilkit's, or a damaged file)."""


def _get(data: dict[str, Any], key: str, types: type | tuple[type, ...], default: Any = ...):
    if key not in data:
        if default is ...:
            raise RecordError(f"missing field {key!r}")
        return default
    value = data[key]
    if value is None and default is None:
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise RecordError(f"field {key!r} has the wrong type (bool)")
    if not isinstance(value, types):
        raise RecordError(f"field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _floats(value: Any, key: str) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise RecordError(f"field {key!r} must be a list of numbers")
    return [float(v) for v in value]


NUMBER = (int, float)


@dataclasses.dataclass(frozen=True)
class Cell:
    """One stored result: ``status`` ok (``returns`` of ``episodes`` episodes) or failed (a
    failure caused by the submission: ``failure_kind`` and its full ``reason``)."""

    submission: str
    env_id: str
    seed_index: int
    episodes: int
    digest: str
    status: str
    run: str = ""
    split: str = "validation"
    fingerprint: str | None = None
    returns: list[float] | None = None
    seeds: list[int] | None = None
    """Episode seeds on the public validation split; None on the (secret) test split."""
    mean: float | None = None
    failure_kind: str | None = None
    reason: str | None = None
    elapsed_s: float | None = None
    training: dict[str, Any] | None = None
    """The policy's declared track; None where the submission has no policy for the task."""
    finished_at: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.returns)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Cell:
        if not isinstance(data, dict):
            raise RecordError("a cell is a JSON object")
        status = _get(data, "status", str)
        if status not in STATUSES:
            raise RecordError(f"unknown cell status {status!r}")
        seeds = data.get("seeds")
        if seeds is not None and not (
            isinstance(seeds, list) and all(isinstance(s, int) for s in seeds)
        ):
            raise RecordError("field 'seeds' must be a list of integers")
        return cls(
            submission=_get(data, "submission", str),
            env_id=_get(data, "env_id", str),
            seed_index=_get(data, "seed_index", int),
            episodes=_get(data, "episodes", int),
            digest=_get(data, "digest", str),
            status=status,
            run=_get(data, "run", str, ""),
            split=_get(data, "split", str, "validation"),
            fingerprint=_get(data, "fingerprint", str, None),
            returns=_floats(data.get("returns"), "returns"),
            seeds=seeds,
            mean=_get(data, "mean", NUMBER, None),
            failure_kind=_get(data, "failure_kind", str, None),
            reason=_get(data, "reason", str, None),
            elapsed_s=_get(data, "elapsed_s", NUMBER, None),
            training=_get(data, "training", dict, None),
            finished_at=_get(data, "finished_at", str, None),
        )


@dataclasses.dataclass(frozen=True)
class RewardScores:
    """How close a submitted reward comes to the hidden one on one tabular task: all that leaves
    the worker (:func:`ilkit.rewards.evaluate_reward`'s scores, never the true reward)."""

    epic: float
    pearson: float
    retrained_return: float
    normalized_return: float | None = None
    feature_gap_l1: float | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RewardScores:
        if not isinstance(data, dict):
            raise RecordError("reward scores are a JSON object")
        extra = set(data) - {f.name for f in dataclasses.fields(cls)}
        if extra:  # a whitelist: nothing else crosses from the worker into a file
            raise RecordError(f"unexpected reward score fields {sorted(extra)}")
        return cls(
            epic=float(_get(data, "epic", NUMBER)),
            pearson=float(_get(data, "pearson", NUMBER)),
            retrained_return=float(_get(data, "retrained_return", NUMBER)),
            normalized_return=_get(data, "normalized_return", NUMBER, None),
            feature_gap_l1=_get(data, "feature_gap_l1", NUMBER, None),
        )


@dataclasses.dataclass(frozen=True)
class RewardCell:
    """One stored result of the reward track: ``status`` ok (``scores``) or failed (a failure
    caused by the submission: ``failure_kind`` and its full ``reason``). Exact, so no seeds."""

    submission: str
    env_id: str
    digest: str
    status: str
    kind: str | None = None
    """The reward's kind (``linear``, ``state``, ``net``); None where there is no reward."""
    scores: RewardScores | None = None
    failure_kind: str | None = None
    reason: str | None = None
    elapsed_s: float | None = None
    finished_at: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.scores is not None

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["scores"] = self.scores.to_json() if self.scores else None
        return out

    @classmethod
    def from_json(cls, data: Any) -> RewardCell:
        if not isinstance(data, dict):
            raise RecordError("a reward cell is a JSON object")
        status = _get(data, "status", str)
        if status not in STATUSES:
            raise RecordError(f"unknown cell status {status!r}")
        scores = data.get("scores")
        return cls(
            submission=_get(data, "submission", str),
            env_id=_get(data, "env_id", str),
            digest=_get(data, "digest", str),
            status=status,
            kind=_get(data, "kind", str, None),
            scores=None if scores is None else RewardScores.from_json(scores),
            failure_kind=_get(data, "failure_kind", str, None),
            reason=_get(data, "reason", str, None),
            elapsed_s=_get(data, "elapsed_s", NUMBER, None),
            finished_at=_get(data, "finished_at", str, None),
        )


@dataclasses.dataclass(frozen=True)
class CellResult:
    """What a worker reports for one cell (no seeds: on the test split they are secret; the
    parent adds the board's identity when it stores the :class:`Cell`): a policy's
    ``returns``, or a reward's ``scores``."""

    seed_index: int
    status: str
    returns: list[float] | None = None
    reason: str | None = None
    failure_kind: str | None = None
    elapsed_s: float | None = None
    scores: RewardScores | None = None

    @classmethod
    def failed(cls, seed_index: int, kind: str, reason: str) -> CellResult:
        return cls(seed_index, "failed", reason=reason, failure_kind=kind)


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval (``runs``: how many training runs, for IQM)."""

    point: float
    ci: tuple[float, float]
    runs: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"point": self.point, "ci": list(self.ci)}
        if self.runs is not None:
            out["runs"] = self.runs
        return out

    @classmethod
    def from_json(cls, data: Any) -> Estimate | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise RecordError("an estimate is a JSON object")
        ci = _floats(_get(data, "ci", list), "ci")
        if len(ci) != 2:
            raise RecordError("field 'ci' holds two numbers")
        return cls(
            float(_get(data, "point", NUMBER)), (ci[0], ci[1]), _get(data, "runs", int, None)
        )


@dataclasses.dataclass(frozen=True)
class TaskStats:
    """One entry on one task: true returns (mean, percentile-bootstrap CI, std) over the
    evaluated episodes, and the normalized score with failed cells counted as 0."""

    n_failed_cells: int
    n_episodes: int
    mean: float | None = None
    ci: tuple[float, float] | None = None
    std: float | None = None
    normalized: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "n_failed_cells": self.n_failed_cells,
            "n_episodes": self.n_episodes,
            "mean": self.mean,
            "ci": list(self.ci) if self.ci is not None else None,
            "std": self.std,
            "normalized": self.normalized,
        }

    @classmethod
    def from_json(cls, data: Any) -> TaskStats:
        if not isinstance(data, dict):
            raise RecordError("task statistics are a JSON object")
        ci = _floats(data.get("ci"), "ci")
        return cls(
            n_failed_cells=_get(data, "n_failed_cells", int),
            n_episodes=_get(data, "n_episodes", int),
            mean=_get(data, "mean", NUMBER, None),
            ci=(ci[0], ci[1]) if ci else None,
            std=_get(data, "std", NUMBER, None),
            normalized=_get(data, "normalized", NUMBER, None),
        )


@dataclasses.dataclass(frozen=True)
class Failure:
    """A cell that did not count: its kind (``timeout``, ``memory``, ``rejected`` ...) and the
    full reason, or ``not evaluated``."""

    env_id: str
    run: str
    seed_index: int
    kind: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Failure:
        if not isinstance(data, dict):
            raise RecordError("a failure is a JSON object")
        return cls(
            env_id=_get(data, "env_id", str),
            run=_get(data, "run", str, ""),
            seed_index=_get(data, "seed_index", int),
            kind=_get(data, "kind", str),
            reason=str(_get(data, "reason", str)),
        )


@dataclasses.dataclass
class Entry:
    """One row of the board: a submission (or a reference row) with its statistics and rank."""

    name: str
    digest: str
    reference: bool
    runs: list[str]
    tasks: dict[str, TaskStats]
    failures: list[Failure]
    complete: bool
    track: dict[str, Any]
    error: str | None = None
    score: Estimate | None = None
    iqm_runs: Estimate | None = None
    rank: int | None = None
    p_improvement_next: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "reference": self.reference,
            "runs": list(self.runs),
            "tasks": {k: v.to_json() for k, v in self.tasks.items()},
            "failures": [f.to_json() for f in self.failures],
            "complete": self.complete,
            "track": dict(self.track),
            "error": self.error,
            "score": self.score.to_json() if self.score else None,
            "iqm_runs": self.iqm_runs.to_json() if self.iqm_runs else None,
            "rank": self.rank,
            "p_improvement_next": self.p_improvement_next,
        }

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        if not isinstance(data, dict):
            raise RecordError("an entry is a JSON object")
        name = _get(data, "name", str)
        tasks = _get(data, "tasks", dict)
        runs = _get(data, "runs", list)
        if not all(isinstance(r, str) for r in runs):
            raise RecordError("field 'runs' must be a list of names")
        return cls(
            name=name,
            digest=_get(data, "digest", str),
            reference=_get(data, "reference", bool),
            runs=runs,
            tasks={str(k): TaskStats.from_json(v) for k, v in tasks.items()},
            failures=[Failure.from_json(f) for f in _get(data, "failures", list)],
            complete=_get(data, "complete", bool),
            track=_get(data, "track", dict),
            error=_get(data, "error", str, None),
            score=Estimate.from_json(data.get("score")),
            iqm_runs=Estimate.from_json(data.get("iqm_runs")),
            rank=_get(data, "rank", int, None),
            p_improvement_next=_get(data, "p_improvement_next", NUMBER, None),
        )


@dataclasses.dataclass(frozen=True)
class TaskInfo:
    """A task of the board and the reference returns its scores are normalized with."""

    env_id: str
    horizon: int
    ref_random: float | None
    ref_expert: float | None

    @property
    def has_refs(self) -> bool:
        lo, hi = self.ref_random, self.ref_expert
        return lo is not None and hi is not None and hi != lo

    def normalize(self, value: float) -> float:
        return (value - self.ref_random) / (self.ref_expert - self.ref_random)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> TaskInfo:
        if not isinstance(data, dict):
            raise RecordError("a task is a JSON object")
        return cls(
            env_id=_get(data, "env_id", str),
            horizon=_get(data, "horizon", int),
            ref_random=_get(data, "ref_random", NUMBER, None),
            ref_expert=_get(data, "ref_expert", NUMBER, None),
        )


@dataclasses.dataclass
class RewardEntry:
    """One row of the reward track: a submission's rewards, scored per task, and its rank."""

    name: str
    digest: str
    tasks: dict[str, RewardScores]
    """The tasks whose reward was scored; every other task of the track is in ``failures``."""
    kinds: dict[str, str]
    failures: list[Failure]
    epic: float
    """Mean EPIC over the track's tasks, a task without scores counted as 1 (the maximum)."""
    normalized_return: float | None
    """Mean normalized retrained return, a task without scores counted as 0 (random)."""
    error: str | None = None
    rank: int | None = None

    @property
    def complete(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "tasks": {k: v.to_json() for k, v in self.tasks.items()},
            "kinds": dict(self.kinds),
            "failures": [f.to_json() for f in self.failures],
            "epic": self.epic,
            "normalized_return": self.normalized_return,
            "error": self.error,
            "rank": self.rank,
        }

    @classmethod
    def from_json(cls, data: Any) -> RewardEntry:
        if not isinstance(data, dict):
            raise RecordError("a reward entry is a JSON object")
        return cls(
            name=_get(data, "name", str),
            digest=_get(data, "digest", str),
            tasks={str(k): RewardScores.from_json(v) for k, v in _get(data, "tasks", dict).items()},
            kinds={str(k): str(v) for k, v in _get(data, "kinds", dict).items()},
            failures=[Failure.from_json(f) for f in _get(data, "failures", list)],
            epic=float(_get(data, "epic", NUMBER)),
            normalized_return=_get(data, "normalized_return", NUMBER, None),
            error=_get(data, "error", str, None),
            rank=_get(data, "rank", int, None),
        )


@dataclasses.dataclass
class RewardTrack:
    """The reward track of a board: its tasks, how it ranks, and its rows (best first)."""

    tasks: list[str]
    rank_basis: str
    statistics: dict[str, str]
    entries: list[RewardEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": list(self.tasks),
            "rank_basis": self.rank_basis,
            "statistics": dict(self.statistics),
            "entries": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: Any) -> RewardTrack | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise RecordError("a reward track is a JSON object")
        tasks = _get(data, "tasks", list)
        if not all(isinstance(t, str) for t in tasks):
            raise RecordError("field 'tasks' must be a list of task ids")
        return cls(
            tasks=tasks,
            rank_basis=_get(data, "rank_basis", str),
            statistics={str(k): str(v) for k, v in _get(data, "statistics", dict).items()},
            entries=[RewardEntry.from_json(e) for e in _get(data, "entries", list)],
        )


@dataclasses.dataclass
class Board:
    """``leaderboard.json``: everything the reports show, and nothing secret."""

    generated_at: str
    ilkit_version: str
    split: dict[str, Any]
    config: dict[str, Any]
    rank_basis: str
    statistics: dict[str, str]
    tasks: list[TaskInfo]
    entries: list[Entry]
    rewards: RewardTrack | None = None
    """The reward track; None when no submission holds a reward."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "ilkit_version": self.ilkit_version,
            "split": dict(self.split),
            "config": dict(self.config),
            "rank_basis": self.rank_basis,
            "statistics": dict(self.statistics),
            "tasks": [t.to_json() for t in self.tasks],
            "entries": [e.to_json() for e in self.entries],
            "rewards": self.rewards.to_json() if self.rewards else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> Board:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordError("not an ilkit leaderboard")
        if data.get("format_version") != FORMAT_VERSION:
            raise RecordError(
                f"format version {data.get('format_version')!r}, not {FORMAT_VERSION}"
            )
        split = _get(data, "split", dict)
        for key in ("name", "description"):
            _get(split, key, str)
        config = _get(data, "config", dict)
        for key in ("seeds", "episodes"):
            _get(config, key, int)
        statistics = _get(data, "statistics", dict)
        if not all(isinstance(v, str) for v in statistics.values()):
            raise RecordError("field 'statistics' maps names to sentences")
        return cls(
            generated_at=_get(data, "generated_at", str),
            ilkit_version=_get(data, "ilkit_version", str),
            split=split,
            config=config,
            rank_basis=_get(data, "rank_basis", str),
            statistics=statistics,
            tasks=[TaskInfo.from_json(t) for t in _get(data, "tasks", list)],
            entries=[Entry.from_json(e) for e in _get(data, "entries", list)],
            rewards=RewardTrack.from_json(data.get("rewards")),
        )
