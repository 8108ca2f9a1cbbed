"""The leaderboard: every submission x task x seed ("cell") scored in a sandboxed worker.

``run_leaderboard`` finds the submissions, skips cells already stored for the same submission
content, runs the rest (one worker process per submission x task, on a local process pool or as
Ray tasks), stores each cell the moment it is known, and then builds the board
(:func:`build_board`) and its reports. Cell ``k`` of a task uses the held-out seeds
``2**31 + k*N ... 2**31 + (k+1)*N - 1``, so seeds are the same for every entry.
"""

from __future__ import annotations

import dataclasses
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
from ilkit.leaderboard.safety import Limits
from ilkit.leaderboard.stats import bootstrap_mean_ci, iqm_with_ci, rank_groups
from ilkit.leaderboard.store import CellStore, run_lock
from ilkit.leaderboard.submissions import TRAINING_FIELDS, Submission, discover
from ilkit.leaderboard.worker import run_job

BACKENDS = ("local", "ray")


class LeaderboardError(IlkitError):
    """A leaderboard run that cannot start (bad options, an incompatible output directory)."""


@dataclasses.dataclass(frozen=True)
class BoardConfig:
    envs: tuple[str, ...]
    episodes: int = 10
    """Episodes per cell."""
    seeds: int = 5
    """Cells (independent groups of held-out episodes) per submission x task."""
    workers: int = 2
    timeout_s: float = 600.0
    """Wall-clock limit of one worker (one submission x task, all its cells)."""
    memory_mb: int = 2048
    """Address-space limit of one worker (RLIMIT_AS)."""
    backend: str = "local"
    address: str | None = None
    device: str = "cpu"
    retry_failed: bool = False
    limits: Limits = Limits()

    def __post_init__(self) -> None:
        if not self.envs:
            raise LeaderboardError("give at least one task with --envs")
        if self.episodes < 1 or self.seeds < 1 or self.workers < 1:
            raise LeaderboardError("--episodes, --seeds and --workers must be at least 1")
        if self.backend not in BACKENDS:
            raise LeaderboardError(f"unknown backend {self.backend!r}; use one of {BACKENDS}")
        object.__setattr__(self, "envs", tuple(spec(e).id for e in self.envs))


def run_leaderboard(
    submissions_dir: Path, out: Path, config: BoardConfig, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Evaluate every missing cell, then write and return the board."""
    from ilkit.leaderboard.reports import write_reports
    from ilkit.progress import progress_bar

    out = Path(out)
    with run_lock(out):
        _check_run_file(out, config)
        store = CellStore(out)
        subs = discover(Path(submissions_dir), out / "unpacked", config.limits)
        if not subs:
            raise LeaderboardError(f"no submissions in {submissions_dir}")
        jobs, done, written = _plan(subs, store, config)
        total = sum(len(j["seed_indices"]) for j in jobs)
        log(
            f"{len(subs)} submissions x {len(config.envs)} tasks x {config.seeds} seeds: "
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

            if config.backend == "ray":
                _run_ray(jobs, config, on_cell)
            else:
                _run_local(jobs, config, on_cell)
        board = build_board(store, subs, config)
        write_reports(board, out)
    return board


def _check_run_file(out: Path, config: BoardConfig) -> None:
    import json

    path = out / "run.json"
    if path.exists():
        previous = json.loads(path.read_text())
        if previous.get("episodes") != config.episodes:
            raise LeaderboardError(
                f"{out} holds a board with --episodes {previous.get('episodes')}; "
                "use that value or another --out"
            )
    write_json(path, {"episodes": config.episodes})


def _plan(
    subs: list[Submission], store: CellStore, config: BoardConfig
) -> tuple[list[dict[str, Any]], int, int]:
    jobs, done, written = [], 0, 0
    for sub in subs:
        for env_id in config.envs:
            todo = []
            for k in range(config.seeds):
                old = store.get(sub.name, env_id, k)
                if (
                    old
                    and old.get("digest") == sub.digest
                    and old.get("episodes") == config.episodes
                    and (old["status"] == "ok" or not config.retry_failed)
                ):
                    done += 1
                    continue
                todo.append(k)
            if not todo:
                continue
            ref = sub.policies.get(env_id)
            job = {
                "submission": sub.name,
                "digest": sub.digest,
                "env_id": env_id,
                "episodes": config.episodes,
                "seed_indices": todo,
                "device": config.device,
                "policy": ref.to_dict() if ref else None,
            }
            if sub.error or ref is None:
                kind = "rejected" if sub.error else "missing"
                reason = sub.error or f"the submission has no policy for {env_id}"
                for k in todo:
                    store.put(
                        _cell(
                            job,
                            {
                                "seed_index": k,
                                "status": "failed",
                                "failure_kind": kind,
                                "reason": reason,
                            },
                            config,
                        )
                    )
                    written += 1
                continue
            jobs.append(job)
    return jobs, done, written


def _cell(job: dict[str, Any], result: dict[str, Any], config: BoardConfig) -> dict[str, Any]:
    returns = result.get("returns")
    policy = job.get("policy") or {}
    return {
        "submission": job["submission"],
        "env_id": job["env_id"],
        "seed_index": result["seed_index"],
        "episodes": config.episodes,
        "digest": job["digest"],
        "status": result["status"],
        "returns": returns,
        "seeds": result.get("seeds"),
        "mean": float(np.mean(returns)) if returns else None,
        "failure_kind": result.get("failure_kind"),
        "reason": result.get("reason"),
        "elapsed_s": result.get("elapsed_s"),
        "training": (policy.get("training") or {}) if policy else None,  # None: no policy
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _run_local(jobs: list[dict[str, Any]], config: BoardConfig, on_cell) -> None:
    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        futures = [
            pool.submit(
                run_job,
                job,
                timeout_s=config.timeout_s,
                memory_mb=config.memory_mb,
                on_cell=lambda result, job=job: on_cell(job, result),
            )
            for job in jobs
        ]
        for future in as_completed(futures):
            future.result()


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
                        for k in job["seed_indices"]
                    ]
                for result in results:
                    on_cell(job, result)
    finally:
        if started:
            ray.shutdown()


# --- the board -------------------------------------------------------------------------------


def _track(trainings: list[dict[str, Any]]) -> dict[str, Any]:
    """What an entry used, over its policies; None where any policy does not say."""
    track: dict[str, Any] = {}
    for key in TRAINING_FIELDS:
        values = [t.get(key) for t in trainings]
        if not values or any(v is None for v in values):
            track[key] = None
        elif key == "offline":
            track[key] = all(bool(v) for v in values)
        else:
            try:
                track[key] = sum(int(v) for v in values)
            except (TypeError, ValueError):
                track[key] = None
    return track


def _has_refs(task: dict[str, Any]) -> bool:
    lo, hi = task["ref_random"], task["ref_expert"]
    return lo is not None and hi is not None and hi != lo


def _normalize(task: dict[str, Any], value: float) -> float:
    return (value - task["ref_random"]) / (task["ref_expert"] - task["ref_random"])


def build_board(store: CellStore, subs: list[Submission], config: BoardConfig) -> dict[str, Any]:
    """Statistics and ranks from the stored cells of the current submissions."""
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
    entries = []
    for sub in subs:
        entry: dict[str, Any] = {
            "name": sub.name,
            "digest": sub.digest,
            "tasks": {},
            "failures": [],
            "complete": True,
        }
        trainings, per_seed = [], {}
        for task in tasks:
            env_id = task["env_id"]
            cells = [store.get(sub.name, env_id, k) for k in range(config.seeds)]
            ok = [c for c in cells if c and c["status"] == "ok" and c.get("digest") == sub.digest]
            for k, c in enumerate(cells):
                if not (c and c["status"] == "ok" and c.get("digest") == sub.digest):
                    entry["failures"].append(
                        {
                            "env_id": env_id,
                            "seed_index": k,
                            "kind": (c or {}).get("failure_kind") or "not evaluated",
                            "reason": (c or {}).get("reason") or "not evaluated",
                        }
                    )
            if cells and cells[0] and cells[0].get("training") is not None:
                trainings.append(cells[0]["training"])  # tasks without a policy say nothing
            if len(ok) < config.seeds:
                entry["complete"] = False
                entry["tasks"][env_id] = None
                continue
            returns = [r for c in ok for r in c["returns"]]
            mean, lo, hi = bootstrap_mean_ci(returns)
            stats = {
                "mean": mean,
                "ci": [lo, hi],
                "std": float(np.std(returns)),
                "n_episodes": len(returns),
                "normalized": None,
                "normalized_ci": None,
            }
            if _has_refs(task):
                stats["normalized"] = _normalize(task, mean)
                stats["normalized_ci"] = sorted([_normalize(task, lo), _normalize(task, hi)])
                ok.sort(key=lambda c: c["seed_index"])
                per_seed[env_id] = [_normalize(task, c["mean"]) for c in ok]
            entry["tasks"][env_id] = stats
        entry["track"] = _track(trainings)
        entry["_per_seed"] = per_seed
        entries.append(entry)

    complete = [e for e in entries if e["complete"]]
    scored = [t["env_id"] for t in tasks if all(t["env_id"] in e["_per_seed"] for e in complete)]
    scored = scored if complete else []
    aggregate = (
        iqm_with_ci(
            {e["name"]: np.array([e["_per_seed"][env] for env in scored]).T for e in complete}
        )
        if scored
        else {}
    )
    for e in entries:
        est = aggregate.get(e["name"])
        e["aggregate"] = (
            {
                "metric": "IQM of normalized score",
                "point": est[0],
                "ci": [est[1], est[2]],
                "tasks": scored,
            }
            if est
            else None
        )
    # Rank on the aggregate when there is one, else on the single task's mean return.
    if aggregate:
        estimates = aggregate
        basis = "aggregate IQM (normalized score), 95% stratified bootstrap CI"
    elif len(tasks) == 1:
        env_id = tasks[0]["env_id"]
        estimates = {
            e["name"]: (e["tasks"][env_id]["mean"], *e["tasks"][env_id]["ci"]) for e in complete
        }
        basis = f"mean return on {env_id}, 95% bootstrap CI"
    else:
        estimates, basis = {}, "none (no reference returns for these tasks)"
    ranks = rank_groups(estimates)
    for e in entries:
        r = ranks.get(e["name"])
        e["rank"] = r["rank"] if r else None
        e["tied_with"] = r["tied_with"] if r else []
        e["score"] = estimates[e["name"]][0] if e["name"] in estimates else None
        del e["_per_seed"]
    entries.sort(
        key=lambda e: (
            e["rank"] is None,
            e["rank"] or 0,
            -(e["score"] if e["score"] is not None else -np.inf),
            e["name"],
        )
    )
    return {
        "format": "ilkit-leaderboard",
        "format_version": 1,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "envs": list(config.envs),
            "episodes": config.episodes,
            "seeds": config.seeds,
            "timeout_s": config.timeout_s,
            "memory_mb": config.memory_mb,
            "backend": config.backend,
            "heldout_seeds": "cell k uses 2**31 + k*episodes + i, i < episodes",
        },
        "rank_basis": basis,
        "tasks": tasks,
        "entries": entries,
    }
