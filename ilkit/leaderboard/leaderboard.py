"""The leaderboard: every submission x run x task x seed ("cell") scored in a sandboxed worker.

``run_leaderboard`` finds the submissions (and, with ``with_references``, adds the operator's
reference rows), skips cells already stored for the same content and seed split, runs the rest
(one worker process per submission x run x task, on a local process pool or as Ray tasks),
stores each cell the moment it is known, and then builds the board (:func:`build_board`) and its
reports. Cell ``k`` of a task has the episode seeds ``split.seeds(task, k, N)``: the same for
every entry, secret on the test split (:mod:`ilkit.leaderboard.testseeds`).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from ilkit.atomic import write_json
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError
from ilkit.leaderboard.stats import (
    bootstrap_mean_ci,
    iqm_with_ci,
    mean_with_ci,
    probability_of_improvement,
)
from ilkit.leaderboard.store import CellStore, run_lock
from ilkit.leaderboard.submissions import TRAINING_FIELDS, Submission, discover
from ilkit.leaderboard.testseeds import SeedSplit
from ilkit.leaderboard.worker import run_job
from ilkit.policies.safety import Limits
from ilkit.processes import sigterm_interrupts

BACKENDS = ("local", "ray")
FORMAT_VERSION = 2


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


def run_leaderboard(
    submissions_dir: Path, out: Path, config: BoardConfig, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Evaluate every missing cell, then write and return the board."""
    from ilkit.leaderboard.references import bundled_digests, reference_submissions
    from ilkit.leaderboard.reports import write_reports
    from ilkit.progress import progress_bar

    out = Path(out)
    with run_lock(out):
        _check_run_file(out, config)
        store = CellStore(out)
        subs = discover(Path(submissions_dir), out / "unpacked", config.limits, bundled_digests())
        if not subs:
            raise LeaderboardError(f"no submissions in {submissions_dir}")
        if config.with_references:
            subs += reference_submissions(
                out / "references", config.envs, taken={s.name for s in subs}
            )
        log(f"seed split: {config.split.description}")
        jobs, done, written = _plan(subs, store, config)
        total = sum(len(j["cells"]) for j in jobs)
        log(
            f"{len(subs)} entries x {len(config.envs)} tasks x {config.seeds} seeds: "
            f"{done} cells already done, {written} failed without running (unsafe, malformed or "
            f"no policy), {total} to evaluate"
        )
        with progress_bar(total, "leaderboard") as advance:
            lock = threading.Lock()
            reported: set[tuple[str, str, str]] = set()

            def on_cell(job: dict[str, Any], result: dict[str, Any]) -> None:
                cell = _cell(job, result, config)
                with lock:
                    store.put(cell)
                    advance(1)
                key = (cell["submission"], cell["env_id"], cell["reason"])
                if cell["status"] != "ok" and key not in reported:
                    reported.add(key)  # one line per distinct failure, not per seed
                    log(f"failed: {cell['submission']} on {cell['env_id']}: {cell['reason']}")

            try:
                with sigterm_interrupts():
                    if config.backend == "ray":
                        _run_ray(jobs, config, on_cell)
                    else:
                        _run_local(jobs, config, on_cell)
            except KeyboardInterrupt:
                log(
                    "interrupted: finished cells are stored, unfinished ones are not; rerun the "
                    "same command to evaluate exactly those"
                )
                raise
        board = build_board(store, subs, config)
        write_reports(board, out)
    return board


def _run_identity(config: BoardConfig) -> dict[str, Any]:
    return {
        "episodes": config.episodes,
        "split": config.split.name,
        "fingerprint": config.split.fingerprint,
    }


def _check_run_file(out: Path, config: BoardConfig) -> None:
    """Refuse to mix cells of different episode counts, seed splits or secrets in one OUT."""
    path = out / "run.json"
    if path.exists():
        try:
            previous = json.loads(path.read_text())
            if not isinstance(previous, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            raise LeaderboardError(f"{path} is corrupt: remove it or use another --out") from None
        if previous.get("episodes") != config.episodes:
            raise LeaderboardError(
                f"{out} holds a board with --episodes {previous.get('episodes')}; "
                "use that value or another --out"
            )
        old = (previous.get("split", "validation"), previous.get("fingerprint"))
        new = (config.split.name, config.split.fingerprint)
        if old != new:
            raise LeaderboardError(
                f"{out} holds cells of the {_split_words(*old)}, not the {_split_words(*new)}: "
                "cells of different seed splits never mix; use another --out"
            )
    write_json(path, _run_identity(config))


def _split_words(name: str, fingerprint: str | None) -> str:
    return f"test split (secret {fingerprint})" if name == "test" else f"{name} split"


def _same_cell(old: dict[str, Any] | None, sub: Submission, config: BoardConfig) -> bool:
    return bool(
        old
        and old.get("digest") == sub.digest
        and old.get("episodes") == config.episodes
        and old.get("split", "validation") == config.split.name
        and old.get("fingerprint") == config.split.fingerprint
    )


def _plan(
    subs: list[Submission], store: CellStore, config: BoardConfig
) -> tuple[list[dict[str, Any]], int, int]:
    jobs, done, written = [], 0, 0
    for sub in subs:
        for run in sub.runs or {"": {}}:
            policies = sub.runs.get(run, {})
            for env_id in config.envs:
                todo = []
                for k in range(config.seeds):
                    old = store.get(sub.name, env_id, k, run)
                    if _same_cell(old, sub, config) and (
                        old["status"] == "ok" or not config.retry_failed
                    ):
                        done += 1
                        continue
                    todo.append(k)
                if not todo:
                    continue
                ref = policies.get(env_id)
                job = {
                    "submission": sub.name,
                    "run": run,
                    "digest": sub.digest,
                    "env_id": env_id,
                    "cells": [
                        {"seed_index": k, "seeds": config.split.seeds(env_id, k, config.episodes)}
                        for k in todo
                    ],
                    "device": config.device,
                    "policy": ref.to_dict() if ref else None,
                }
                if sub.error or ref is None:
                    kind = "rejected" if sub.error else "missing"
                    reason = sub.error or f"the submission has no policy for {env_id}"
                    for k in todo:
                        result = {"seed_index": k, "status": "failed"}
                        store.put(
                            _cell(job, {**result, "failure_kind": kind, "reason": reason}, config)
                        )
                        written += 1
                    continue
                jobs.append(job)
    return jobs, done, written


def _cell(job: dict[str, Any], result: dict[str, Any], config: BoardConfig) -> dict[str, Any]:
    returns = result.get("returns")
    policy = job.get("policy") or {}
    k = result["seed_index"]
    public = config.split.name == "validation"  # test seeds are secret: store indices only
    return {
        "submission": job["submission"],
        "run": job.get("run", ""),
        "env_id": job["env_id"],
        "seed_index": k,
        "episodes": config.episodes,
        "split": config.split.name,
        "fingerprint": config.split.fingerprint,
        "digest": job["digest"],
        "status": result["status"],
        "returns": returns,
        "seeds": config.split.seeds(job["env_id"], k, config.episodes) if public else None,
        "mean": float(np.mean(returns)) if returns else None,
        "failure_kind": result.get("failure_kind"),
        "reason": result.get("reason"),
        "elapsed_s": result.get("elapsed_s"),
        "training": (policy.get("training") or {}) if policy else None,  # None: no policy
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _run_local(jobs: list[dict[str, Any]], config: BoardConfig, on_cell) -> None:
    """Run the jobs on a thread pool, one worker process each. On an interruption (Ctrl-C,
    SIGTERM turned into KeyboardInterrupt by the CLI) every worker is stopped at once and its
    unfinished cells are left absent, never stored as failed: the rerun evaluates them."""
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=config.workers)
    try:
        futures = [
            pool.submit(
                run_job,
                job,
                timeout_s=config.timeout_s,
                memory_mb=config.memory_mb,
                on_cell=lambda result, job=job: on_cell(job, result),
                stop=stop,
            )
            for job in jobs
        ]
        for future in as_completed(futures):
            future.result()
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def ray_job(job: dict[str, Any], timeout_s: float, memory_mb: int) -> list[dict[str, Any]]:
    """A Ray task: the same sandboxed worker process, run on whichever node Ray picks."""
    return run_job(job, timeout_s=timeout_s, memory_mb=memory_mb)


def _run_ray(jobs: list[dict[str, Any]], config: BoardConfig, on_cell) -> None:
    try:
        import ray
    except ImportError:
        raise LeaderboardError("--backend ray needs Ray: pip install 'ilkit[ray]'") from None
    if not jobs:
        return
    started = not ray.is_initialized()
    if started:
        if config.address:
            ray.init(address=config.address, log_to_driver=False)
        else:  # a fresh local cluster; "local" ignores any RAY_ADDRESS in the environment
            ray.init(
                address="local",
                num_cpus=config.workers,
                include_dashboard=False,
                log_to_driver=False,
            )
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(ray_job)
        pending = {remote.remote(job, config.timeout_s, config.memory_mb): job for job in jobs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    results = ray.get(ref)
                except Exception as err:  # a lost node or a dead Ray worker
                    reason = f"ray task failed: {type(err).__name__}: {str(err)[:200]}"
                    results = [
                        {
                            "seed_index": k,
                            "status": "failed",
                            "failure_kind": "crash",
                            "reason": reason,
                        }
                        for k in (c["seed_index"] for c in job["cells"])
                    ]
                for result in results:
                    on_cell(job, result)
    finally:
        if started:
            ray.shutdown()


# --- the board -------------------------------------------------------------------------------

STATISTICS = {
    "score": "Score: the entry's mean normalized score, (return - random) / (expert - random), "
    "over all its (task, seed, episode) cells; a failed cell counts as the random policy's 0.",
    "ci": "95% CI: a seeded stratified bootstrap of that mean (cells resampled within each "
    "task, percentile interval): the same cells always give the same interval.",
    "p_improvement": "P(> next): rliable's probability of improvement, the chance that a cell "
    "of this entry beats a cell of the next-ranked entry on the same task, averaged over tasks.",
    "iqm_runs": "IQM over runs: for an entry that submits several training runs (runs/), "
    "rliable's interquartile mean of the per-run scores, with its stratified bootstrap CI.",
    "track": "Track: what the entry says it used (offline, env steps, expert queries, demos); "
    "'declared' means ilkit did not produce the run and nobody checked it.",
}


def _track(trainings: list[dict[str, Any]]) -> dict[str, Any]:
    """What an entry used, over its policies; None where any policy does not say."""
    track: dict[str, Any] = {}
    for key in TRAINING_FIELDS:
        values = [t.get(key) for t in trainings]
        if not values or any(v is None for v in values):
            track[key] = None
        elif key == "offline":
            track[key] = (
                all(v is True for v in values) if all(isinstance(v, bool) for v in values) else None
            )
        else:
            ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
            track[key] = sum(values) if ok else None
    return track


def _version() -> str:
    import ilkit

    return ilkit.__version__


def _has_refs(task: dict[str, Any]) -> bool:
    lo, hi = task["ref_random"], task["ref_expert"]
    return lo is not None and hi is not None and hi != lo


def _normalize(task: dict[str, Any], value: float) -> float:
    return (value - task["ref_random"]) / (task["ref_expert"] - task["ref_random"])


def build_board(store: CellStore, subs: list[Submission], config: BoardConfig) -> dict[str, Any]:
    """Statistics and ranks from the stored cells of the current entries."""
    tasks = []
    for env_id in config.envs:
        task = spec(env_id)
        tasks.append(
            {
                "env_id": env_id,
                "horizon": task.horizon,
                "ref_random": task.ref_random_return,
                "ref_expert": task.ref_expert_return,
            }
        )
    normalized = all(_has_refs(t) for t in tasks)
    entries, cell_scores, run_scores = [], {}, {}
    for sub in subs:
        runs = list(sub.runs) or [""]
        entry: dict[str, Any] = {
            "name": sub.name,
            "digest": sub.digest,
            "reference": sub.reference,
            "runs": [r for r in runs if r],
            "tasks": {},
            "failures": [],
            "complete": True,
        }
        trainings = []
        # rows: (run, seed index) cells; columns: tasks; a failed cell scores 0 (random)
        matrix = np.zeros((len(runs) * config.seeds, len(tasks)))
        per_run = np.zeros((len(runs), len(tasks)))
        for t, task in enumerate(tasks):
            env_id = task["env_id"]
            returns: list[float] = []
            failed = 0
            for r, run in enumerate(runs):
                for k in range(config.seeds):
                    c = store.get(sub.name, env_id, k, run)
                    if _same_cell(c, sub, config) and c["status"] == "ok" and c.get("returns"):
                        returns += c["returns"]
                        if normalized:
                            matrix[r * config.seeds + k, t] = _normalize(task, c["mean"])
                        continue
                    failed += 1
                    entry["failures"].append(
                        {
                            "env_id": env_id,
                            "run": run,
                            "seed_index": k,
                            "kind": (c or {}).get("failure_kind") or "not evaluated",
                            "reason": (c or {}).get("reason") or "not evaluated",
                        }
                    )
                    if normalized:  # the random policy's return, a score of 0
                        matrix[r * config.seeds + k, t] = 0.0
                first = store.get(sub.name, env_id, 0, run)
                if first and first.get("training") is not None:
                    trainings.append(first["training"])  # tasks without a policy say nothing
                per_run[r, t] = matrix[r * config.seeds : (r + 1) * config.seeds, t].mean()
            if failed:
                entry["complete"] = False
            stats: dict[str, Any] = {"n_failed_cells": failed, "n_episodes": len(returns)}
            if returns:
                mean, lo, hi = bootstrap_mean_ci(returns)
                stats.update(mean=mean, ci=[lo, hi], std=float(np.std(returns)))
            else:
                stats.update(mean=None, ci=None, std=None)
            stats["normalized"] = (
                float(matrix[:, t].mean()) if normalized else None
            )  # failures counted as 0
            entry["tasks"][env_id] = stats
        track = _track(trainings)
        source = (
            "reference"
            if sub.reference
            else ("ilkit" if sub.name in config.verified else "declared")
        )
        entry["track"] = {**track, "source": source}
        entry["error"] = sub.error
        if normalized and not sub.error:  # a rejected submission is listed, not ranked
            cell_scores[sub.name] = matrix
            if len(runs) > 1:
                run_scores[sub.name] = per_run
        entries.append(entry)

    estimates = mean_with_ci(cell_scores) if cell_scores else {}
    iqms = iqm_with_ci(run_scores) if run_scores else {}
    for e in entries:
        est = estimates.get(e["name"])
        e["score"] = {"point": est[0], "ci": [est[1], est[2]]} if est else None
        iqm = iqms.get(e["name"])
        e["iqm_runs"] = (
            {"point": iqm[0], "ci": [iqm[1], iqm[2]], "runs": len(e["runs"])} if iqm else None
        )
    # Rank the submissions (references are shown, never ranked) on the mean normalized score.
    ranked = sorted(
        (e for e in entries if e["score"] is not None and not e["reference"]),
        key=lambda e: (-e["score"]["point"], e["name"]),
    )
    previous = None
    for position, e in enumerate(ranked, start=1):
        same = previous is not None and e["score"]["point"] == previous["score"]["point"]
        e["rank"] = previous["rank"] if same else position
        previous = e
    for e in entries:
        e.setdefault("rank", None)
        e["p_improvement_next"] = None
    for better, worse in zip(ranked, ranked[1:], strict=False):
        better["p_improvement_next"] = probability_of_improvement(
            cell_scores[better["name"]], cell_scores[worse["name"]]
        )
    entries.sort(
        key=lambda e: (
            e["reference"],
            e["rank"] is None,
            e["rank"] or 0,
            -(e["score"]["point"] if e["score"] else -np.inf),
            e["name"],
        )
    )
    basis = (
        "mean normalized score over all (task, seed, episode) cells, failures counted as 0"
        if normalized
        else "none: "
        + ", ".join(t["env_id"] for t in tasks if not _has_refs(t))
        + " has no reference returns (run `ilkit expert references`)"
    )
    return {
        "format": "ilkit-leaderboard",
        "format_version": FORMAT_VERSION,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ilkit_version": _version(),
        "split": {**config.split.to_dict(), "description": config.split.description},
        "config": {
            "envs": list(config.envs),
            "episodes": config.episodes,
            "seeds": config.seeds,
            "timeout_s": config.timeout_s,
            "memory_mb": config.memory_mb,
            "backend": config.backend,
            "with_references": config.with_references,
        },
        "rank_basis": basis,
        "statistics": STATISTICS,
        "tasks": tasks,
        "entries": entries,
    }
