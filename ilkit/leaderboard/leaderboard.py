"""The leaderboard: every submission x run x task x seed ("cell") scored in a sandboxed worker.

``run_leaderboard`` finds the submissions (and, with ``with_references``, adds the operator's
reference rows), skips cells already stored for the same content and seed split, runs the rest
(one worker process per submission x run x task, on a local process pool or as Ray tasks),
stores each cell the moment it is known, and then builds the board (:func:`build_board`) and its
reports. Cell ``k`` of a task has the episode seeds ``split.seeds(task, k, N)``: the same for
every entry, secret on the test split (:mod:`ilkit.leaderboard.testseeds`). A submission with
rewards gets one job per task of the reward track (:func:`~ilkit.leaderboard.board.reward_cells`)
in the same sandboxed worker, stored as a reward cell.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from ilkit.atomic import write_json
from ilkit.envs.tabular import is_tabular
from ilkit.leaderboard.board import STATISTICS, build_board, reward_cells
from ilkit.leaderboard.config import BACKENDS, BoardConfig, LeaderboardError
from ilkit.leaderboard.records import Cell, CellResult, RewardCell
from ilkit.leaderboard.store import CellStore, run_lock
from ilkit.leaderboard.submissions import Submission, discover, entries
from ilkit.leaderboard.worker import run_job
from ilkit.processes import sigterm_interrupts

__all__ = [
    "BACKENDS",
    "STATISTICS",
    "BoardConfig",
    "LeaderboardError",
    "build_board",
    "run_leaderboard",
]


def run_leaderboard(
    submissions_dir: Path | None,
    out: Path,
    config: BoardConfig,
    log: Callable[[str], None] = print,
    origins: list[Path] | None = None,
) -> dict[str, Any]:
    """Evaluate every missing cell, then write and return the board (its JSON form).

    ``origins`` lists the submissions explicitly instead of every entry of
    ``submissions_dir`` (a grading platform hands over one submission at a fixed path).
    """
    from ilkit.leaderboard.references import bundled_digests, reference_submissions
    from ilkit.leaderboard.reports import write_reports
    from ilkit.progress import progress_bar

    out = Path(out)
    if origins is None and not entries(Path(submissions_dir)):  # before anything is written
        raise LeaderboardError(f"no submissions in {submissions_dir}")
    with run_lock(out):
        _check_run_file(out, config)
        store = CellStore(out)
        subs = discover(
            Path(submissions_dir or "."), out / "unpacked", config.limits, bundled_digests(),
            origins=origins,
        )  # fmt: skip
        write_json(out / "run.json", config.identity())
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

            def on_cell(job: dict[str, Any], result: CellResult) -> None:
                reward = bool(job.get("reward"))
                cell = _reward_cell(job, result) if reward else _cell(job, result, config)
                with lock:
                    store.put_reward(cell) if reward else store.put(cell)
                    advance(1)
                key = (cell.submission, cell.env_id, cell.reason)
                if cell.status != "ok" and key not in reported:
                    reported.add(key)  # one line per distinct failure, not per seed
                    log(f"failed: {cell.submission} on {cell.env_id}: {cell.reason}")

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
    return board.to_json()


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


def _split_words(name: str, fingerprint: str | None) -> str:
    return f"test split (secret {fingerprint})" if name == "test" else f"{name} split"


def _plan(
    subs: list[Submission], store: CellStore, config: BoardConfig
) -> tuple[list[dict[str, Any]], int, int]:
    jobs, done, written = [], 0, 0
    for sub in (s for s in subs if s.in_policy_track):
        for run in sub.runs or {"": {}}:
            policies = sub.runs.get(run, {})
            for env_id in config.envs:
                todo = []
                for k in range(config.seeds):
                    old = store.get(sub.name, env_id, k, run)
                    if config.matches(old, sub.digest) and (
                        old.status == "ok" or not config.retry_failed
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
                        store.put(_cell(job, CellResult.failed(k, kind, reason), config))
                        written += 1
                    continue
                jobs.append(job)
    reward_jobs, reward_done, reward_written = _plan_rewards(subs, store, config)
    return jobs + reward_jobs, done + reward_done, written + reward_written


def _plan_rewards(
    subs: list[Submission], store: CellStore, config: BoardConfig
) -> tuple[list[dict[str, Any]], int, int]:
    """One job per submitted reward x task of the reward track (exact: one cell, no seeds)."""
    jobs, done, written = [], 0, 0
    for sub in subs:
        if not sub.rewards:  # a refused submission's row comes from its error, no cells
            continue
        for env_id in reward_cells(sub, config):
            old = store.get_reward(sub.name, env_id)
            if old and old.digest == sub.digest and (old.ok or not config.retry_failed):
                done += 1
                continue
            ref = sub.rewards.get(env_id)
            job = {
                "submission": sub.name,
                "digest": sub.digest,
                "env_id": env_id,
                "cells": [{"seed_index": 0, "seeds": []}],
                "reward": ref.to_dict() if ref else None,
            }
            if ref is None or not is_tabular(env_id):
                kind = "missing" if ref is None else "not_tabular"
                reason = (
                    f"the submission has no reward for {env_id}" if ref is None
                    else f"{env_id} is not tabular: the reward track scores exact EPIC and "
                    "re-optimised return on tabular tasks only (`ilkit reward evaluate "
                    "--retrain-steps N` samples EPIC and retrains on continuous ones)"
                )  # fmt: skip
                store.put_reward(_reward_cell(job, CellResult.failed(0, kind, reason)))
                written += 1
                continue
            jobs.append(job)
    return jobs, done, written


def _reward_cell(job: dict[str, Any], result: CellResult) -> RewardCell:
    return RewardCell(
        submission=job["submission"],
        env_id=job["env_id"],
        digest=job["digest"],
        status=result.status,
        kind=(job.get("reward") or {}).get("kind"),
        scores=result.scores,
        failure_kind=result.failure_kind,
        reason=result.reason,
        elapsed_s=result.elapsed_s,
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def _cell(job: dict[str, Any], result: CellResult, config: BoardConfig) -> Cell:
    returns = result.returns
    policy = job.get("policy") or {}
    k = result.seed_index
    public = config.split.name == "validation"  # test seeds are secret: store indices only
    return Cell(
        submission=job["submission"],
        run=job.get("run", ""),
        env_id=job["env_id"],
        seed_index=k,
        episodes=config.episodes,
        split=config.split.name,
        fingerprint=config.split.fingerprint,
        digest=job["digest"],
        status=result.status,
        returns=returns,
        seeds=config.split.seeds(job["env_id"], k, config.episodes) if public else None,
        mean=float(np.mean(returns)) if returns else None,
        failure_kind=result.failure_kind,
        reason=result.reason,
        elapsed_s=result.elapsed_s,
        training=(policy.get("training") or {}) if policy else None,  # None: no policy
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


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


def ray_job(job: dict[str, Any], timeout_s: float, memory_mb: int) -> list[CellResult]:
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
                        CellResult.failed(c["seed_index"], "crash", reason) for c in job["cells"]
                    ]
                for result in results:
                    on_cell(job, result)
    finally:
        if started:
            ray.shutdown()
