"""The sandboxed evaluation of one submission on one task, in its own process.

Each job (one submission x one task, all its seed cells) runs in a fresh process forked from a
``multiprocessing`` *forkserver* that has already imported torch, SB3 and ilkit: the child gets
its own address space (nothing it does reaches the parent) without paying the seconds of those
imports again. The child

* caps its CPU time and core dumps, dies with the forkserver (``PR_SET_PDEATHSIG``) and ignores
  SIGINT: a terminal's Ctrl-C reaches the whole process group, and an interruption is the
  operator's, not the submission's failure (the parent stops the child and stores nothing);
* sends its own stdout/stderr to a log file, so library chatter never reaches the CLI's output;
* loads the policy (weights only) and scores each cell's episodes on the seeds the job gives
  (the parent derives them from the board's seed split), sending one JSON message per finished
  cell, or one ``{"type": "error"}`` message (JSON over a pipe: the parent never unpickles
  child data);
* or, for a reward job (the reward track), loads the reward artifact (weights only) and scores
  it against the task's hidden reward (:func:`ilkit.rewards.evaluate_reward`, exact on tabular
  tasks): its one cell carries only :class:`~ilkit.leaderboard.records.RewardScores`, which the
  parent parses again as a whitelist, so the true reward never leaves the worker.

The parent (:func:`run_job`) enforces the wall-clock limit and the memory limit, kills the child
on a breach, and turns crashes, signals and error messages into failed cells with a reason.

An interrupted run (``stop`` set, or the child killed by SIGINT, SIGTERM or SIGHUP from outside)
leaves its unfinished cells absent, never failed: the next run evaluates exactly those.

The memory limit is on *resident* memory (the child's process tree, polled with psutil),
not on address space: ``RLIMIT_AS`` is not a memory limit on Python 3.12+ with torch (its
reservations fail a plain safetensors load under a 4 GB cap while little is resident), nor with
CUDA. A cgroup v2 ``memory.max`` would need a delegated cgroup, which a process generally
cannot create for its own child (cgroup v2's no-internal-processes rule), so polling is the one
mechanism that works everywhere.

``python -m ilkit.leaderboard.worker < job.json`` runs one job in the foreground (JSON lines on
stdout), for debugging a submission by hand.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from ilkit.leaderboard.records import CellResult, RecordError, RewardScores
from ilkit.processes import die_with_parent, torch_threads, tree_rss_mb

RSS_POLL_S = 0.1
MEMORY_MARKERS = (
    "can't allocate memory",
    "out of memory",
    "cannot allocate memory",
    "std::bad_alloc",
    "memoryerror",
)
# Imported once by the forkserver, inherited by every worker it forks.
PRELOAD = ["ilkit.leaderboard._preload"]
# A child killed by one of these was stopped from outside (Ctrl-C, kill, a closed terminal).
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
MAX_REASON = 2000


# --- child side ------------------------------------------------------------------------------


def _limit_self(cpu_seconds: int) -> None:
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    die_with_parent()  # no orphan keeps evaluating after a killed run


def _classify(err: BaseException) -> str:
    from ilkit.errors import InvalidActionError
    from ilkit.policies.declared import UnsafeFileError
    from ilkit.policies.safety import UnsafeSubmissionError

    text = f"{type(err).__name__}: {err}".lower()
    if isinstance(err, MemoryError) or any(m in text for m in MEMORY_MARKERS):
        return "memory"
    if isinstance(err, InvalidActionError):
        return "invalid_action"
    if isinstance(err, (UnsafeSubmissionError, UnsafeFileError)):
        return "unsafe"
    return "error"


def evaluate_job(
    job: dict[str, Any], send: Callable[[dict[str, Any]], None], memory_mb: int
) -> int:
    """Load the job's policy (or reward) and score its cells; every failure becomes an error
    message."""
    try:
        from ilkit.evaluation.evaluate import evaluate
        from ilkit.policies.submission import load_ref

        device = job.get("device", "cpu")
        if job.get("reward"):
            send(score_reward(job))
            return 0
        with torch_threads(1):  # one core per worker; W workers share W cores
            policy = load_ref(job["policy"], device=device)
            for cell in job["cells"]:
                start = time.time()
                k, seeds = cell["seed_index"], cell["seeds"]
                result = evaluate(
                    policy, job["env_id"], n_episodes=len(seeds), seeds=seeds, device=device
                )
                send(
                    {
                        "type": "cell",
                        "seed_index": k,
                        "returns": list(result.returns),
                        "elapsed_s": round(time.time() - start, 3),
                    }
                )
    except BaseException as err:  # everything a submission can cause is a failed cell
        kind = _classify(err)
        message = " ".join(str(err).split())[:MAX_REASON]  # the full reason, on one line
        reason = f"{type(err).__name__}: {message}" if message else type(err).__name__
        if kind == "memory":
            reason = f"memory limit ({memory_mb} MB) exceeded: {reason}"
        try:
            send({"type": "error", "kind": kind, "reason": reason})
        except Exception:
            pass
        return 2
    return 0


REWARD_COVERAGE = "uniform"
"""EPIC's coverage on the reward track: uniform states and actions (the reports say so)."""


def load_submitted_reward(ref: dict[str, Any], shown: str | None = None):
    """A submission's reward artifact (weights only); messages name ``shown`` (default: the
    folder inside the submission), never the unpack area, so a board's files do not depend on
    where it unpacked."""
    from ilkit.rewards.artifact import RewardArtifactError
    from ilkit.rewards.loading import load_reward

    try:
        return load_reward(ref["path"])
    except RewardArtifactError as err:
        text = str(err).replace(ref["path"], shown or ref.get("shown", "."))
        raise RewardArtifactError(text) from None


def score_reward(job: dict[str, Any]) -> dict[str, Any]:
    """The one cell message of a reward job: the scores, nothing else of the evaluation."""
    from ilkit.rewards.evaluate import evaluate_reward

    start = time.time()
    with torch_threads(1):
        reward = load_submitted_reward(job["reward"])
        result = evaluate_reward(reward, job["env_id"], coverage=REWARD_COVERAGE)
    scores = {f: result[f] for f in RewardScores.__dataclass_fields__}
    return {
        "type": "cell",
        "seed_index": job["cells"][0]["seed_index"],
        "scores": RewardScores.from_json(scores).to_json(),
        "elapsed_s": round(time.time() - start, 3),
    }


def _child(job: dict[str, Any], conn, log_path: str, memory_mb: int, cpu_s: int) -> None:
    """Entry point of a forked worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    _limit_self(cpu_s)

    def send(message: dict[str, Any]) -> None:
        conn.send_bytes(json.dumps(message).encode())

    code = evaluate_job(job, send, memory_mb)
    conn.close()
    os._exit(code)  # skip interpreter teardown: nothing else to flush


def child_main(argv: list[str] | None = None) -> int:
    """``python -m ilkit.leaderboard.worker``: one job from stdin, JSON lines on stdout."""
    parser = argparse.ArgumentParser(prog="python -m ilkit.leaderboard.worker")
    parser.add_argument("--cpu-seconds", type=int, default=0)
    args = parser.parse_args(argv)
    _limit_self(args.cpu_seconds)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    job = json.loads(sys.stdin.read())
    return evaluate_job(job, lambda m: protocol.write(json.dumps(m) + "\n"), 0)


# --- parent side -----------------------------------------------------------------------------

_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def run_job(
    job: dict[str, Any],
    *,
    timeout_s: float,
    memory_mb: int,
    on_cell=None,
    stop: threading.Event | None = None,
) -> list[CellResult]:
    """Run one job in a fresh worker process; return one :class:`CellResult` per seed index.

    ``job["cells"]`` lists ``{"seed_index", "seeds"}``; results carry no seeds (on the test
    split they are secret). ``on_cell(result)`` is called as each one is known, so the
    caller can store finished cells while the rest are still running. ``memory_mb`` caps the
    resident memory of the child and its descendants, polled every :data:`RSS_POLL_S`.

    When ``stop`` is set (the run was interrupted) the child is killed and the unfinished cells
    get no result at all: an interruption is not the submission's failure. The same holds for
    a child killed from outside by one of :data:`INTERRUPT_SIGNALS`.
    """
    pending = [cell["seed_index"] for cell in job["cells"]]
    results: list[CellResult] = []

    def emit(result: CellResult) -> None:
        results.append(result)
        if on_cell is not None:
            on_cell(result)

    ctx = _forkserver()
    error: dict[str, Any] | None = None
    timed_out = over_memory = interrupted = False
    with tempfile.NamedTemporaryFile(prefix="ilkit-worker-", suffix=".log") as log:
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child,
            args=(job, sender, log.name, memory_mb, int(timeout_s) + 10),
            daemon=True,
        )
        started = time.monotonic()
        proc.start()
        sender.close()  # the child holds the only write end: EOF when it exits
        while True:
            if stop is not None and stop.is_set():
                interrupted = True
                break
            remaining = timeout_s - (time.monotonic() - started)
            if remaining <= 0:
                timed_out = True
                break
            if not receiver.poll(min(remaining, RSS_POLL_S)):
                if memory_mb > 0 and tree_rss_mb(proc.pid) > memory_mb:
                    over_memory = True
                    break
                continue
            try:
                message = _parse(receiver.recv_bytes(1 << 24))
            except (EOFError, OSError):
                break
            if message is None:
                continue
            if message.get("type") == "cell" and message.get("seed_index") in pending:
                result = _cell_result(message)
                if result is not None:
                    pending.remove(message["seed_index"])
                    emit(result)
            elif message.get("type") == "error":
                error = message
        if timed_out or over_memory or interrupted:
            proc.kill()
        proc.join(10)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
        code = proc.exitcode
        receiver.close()
        proc.close()
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - 4000))
        tail = log.read().decode(errors="replace")
    if code is not None and -code in INTERRUPT_SIGNALS and error is None:
        interrupted = True  # stopped from outside, not by anything the submission did
    if pending and not interrupted:
        if over_memory:
            kind, reason = "memory", f"memory limit: resident memory passed {memory_mb} MB"
        else:
            kind, reason = _failure(timed_out, timeout_s, code, error, tail, memory_mb)
        for k in pending:
            emit(CellResult.failed(k, kind, reason))
    return results


def _cell_result(message: dict[str, Any]) -> CellResult | None:
    """A finished cell from the child's message: a policy's returns or a reward's scores (parsed
    as :class:`RewardScores`, a whitelist); None for a malformed message (the cell stays pending
    and fails with the worker's reason)."""
    try:
        if "scores" in message:
            scores, returns = RewardScores.from_json(message["scores"]), None
        else:
            scores, returns = None, [float(r) for r in message["returns"]]
    except (RecordError, KeyError, TypeError, ValueError):
        return None
    elapsed = message.get("elapsed_s")
    elapsed = float(elapsed) if isinstance(elapsed, (int, float)) else None
    return CellResult(message["seed_index"], "ok", returns, elapsed_s=elapsed, scores=scores)


def _parse(data: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


def _failure(
    timed_out: bool,
    timeout_s: float,
    code: int | None,
    error: dict[str, Any] | None,
    log_tail: str,
    memory_mb: int,
) -> tuple[str, str]:
    if timed_out:
        return "timeout", f"wall-clock limit: stopped after {timeout_s:g} s"
    if error is not None:
        return str(error.get("kind", "error")), str(error.get("reason", "worker error"))
    last = next((ln.strip() for ln in reversed(log_tail.splitlines()) if ln.strip()), "")
    if any(m in log_tail.lower() for m in MEMORY_MARKERS):
        return "memory", f"memory limit ({memory_mb} MB) exceeded: {last[:200]}"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        if -code == signal.SIGXCPU:
            return "timeout", "CPU-time limit exceeded"
        if -code == signal.SIGKILL:  # the kernel's OOM killer, most likely
            return "memory", "killed by SIGKILL (out of memory?)"
        return "crash", f"worker killed by {name}"
    return "crash", f"worker exited with code {code}" + (f": {last[:200]}" if last else "")


if __name__ == "__main__":
    sys.exit(child_main())
