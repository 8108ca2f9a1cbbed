"""The sandboxed evaluation of one submission on one task, in its own process.

``python -m ilkit.evaluation.worker --memory-mb M --cpu-seconds C`` reads a job as JSON on stdin::

    {"policy": PolicyRef dict, "env_id": ..., "episodes": N, "seed_indices": [k, ...],
     "device": "cpu"}

caps its own address space (``RLIMIT_AS``; not with CUDA, whose reservations exceed any cap)
and CPU time before importing anything heavy, loads
the policy (weights only) and, for each seed index ``k``, scores episodes on the held-out seeds
``heldout_seeds(...)[k*N:(k+1)*N]``. It writes one JSON line per finished cell on stdout, or one
``{"type": "error"}`` line and exits non-zero. Library chatter goes to stderr: the protocol uses
a private copy of the original stdout.

The parent (:func:`run_job`) enforces the wall-clock limit and watches the worker's resident
memory (so the memory limit holds with CUDA too), kills the whole process group on a breach,
and turns crashes, signals and error lines into failed cells with a reason.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

RSS_POLL_S = 0.5
MEMORY_MARKERS = (
    "can't allocate memory",
    "out of memory",
    "cannot allocate memory",
    "std::bad_alloc",
    "memoryerror",
)


def seeds_for(seed_index: int, episodes: int) -> list[int]:
    """Held-out episode seeds of one cell (disjoint across seed indices)."""
    from ilkit.envs.seeds import HELDOUT_BASE

    return [HELDOUT_BASE + seed_index * episodes + i for i in range(episodes)]


# --- child side ------------------------------------------------------------------------------


def _limit_self(memory_mb: int, cpu_seconds: int) -> None:
    if memory_mb > 0:
        cap = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:  # die with the parent (Linux): no orphan keeps evaluating after a killed run
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _classify(err: BaseException) -> str:
    from ilkit.errors import InvalidActionError
    from ilkit.evaluation.safety import UnsafeSubmissionError

    text = f"{type(err).__name__}: {err}".lower()
    if isinstance(err, MemoryError) or any(m in text for m in MEMORY_MARKERS):
        return "memory"
    if isinstance(err, InvalidActionError):
        return "invalid_action"
    if isinstance(err, UnsafeSubmissionError):
        return "unsafe"
    return "error"


def child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ilkit.evaluation.worker")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--cpu-seconds", type=int, default=0)
    parser.add_argument("--no-address-limit", action="store_true")
    args = parser.parse_args(argv)
    _limit_self(0 if args.no_address_limit else args.memory_mb, args.cpu_seconds)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    job = json.loads(sys.stdin.read())

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    try:
        import torch

        torch.set_num_threads(1)
        from ilkit.evaluation.evaluate import evaluate
        from ilkit.evaluation.submissions import load_ref

        policy = load_ref(job["policy"], device=job.get("device", "cpu"))
        for k in job["seed_indices"]:
            start = time.time()
            seeds = seeds_for(k, job["episodes"])
            result = evaluate(
                policy,
                job["env_id"],
                n_episodes=len(seeds),
                seeds=seeds,
                device=job.get("device", "cpu"),
            )
            send(
                {
                    "type": "cell",
                    "seed_index": k,
                    "returns": list(result.returns),
                    "seeds": seeds,
                    "elapsed_s": round(time.time() - start, 3),
                }
            )
    except BaseException as err:  # everything a submission can cause is a failed cell
        kind = _classify(err)
        message = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
        reason = f"{type(err).__name__}: {message}" if message else type(err).__name__
        if kind == "memory":
            reason = f"memory limit ({args.memory_mb} MB) exceeded: {reason}"
        try:
            send({"type": "error", "kind": kind, "reason": reason})
        except Exception:
            pass
        return 2
    return 0


# --- parent side -----------------------------------------------------------------------------


def run_job(
    job: dict[str, Any],
    *,
    timeout_s: float,
    memory_mb: int,
    on_cell=None,
    address_limit: bool = True,
) -> list[dict[str, Any]]:
    """Run one job in a fresh worker process; return one result per seed index.

    Each result is ``{"seed_index", "status": "ok"|"failed", "returns", "seeds", "reason",
    "failure_kind", "elapsed_s"}``. ``on_cell(result)`` is called as each one is known, so the
    caller can store finished cells while the rest are still running. Memory is capped twice:
    ``RLIMIT_AS`` in the child (unless ``address_limit`` is False or the device is CUDA) and
    the child's resident memory, polled here.
    """
    pending = list(job["seed_indices"])
    results: list[dict[str, Any]] = []

    def emit(result: dict[str, Any]) -> None:
        results.append(result)
        if on_cell is not None:
            on_cell(result)

    cmd = [
        sys.executable,
        "-m",
        "ilkit.evaluation.worker",
        "--memory-mb",
        str(memory_mb),
        "--cpu-seconds",
        str(int(timeout_s) + 10),
    ]
    if not address_limit or str(job.get("device", "cpu")).startswith("cuda"):
        cmd.append("--no-address-limit")  # CUDA reserves far more address space than it uses
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
        "RAY_ADDRESS": "",
    }
    started = time.monotonic()
    error: dict[str, Any] | None = None
    timed_out = over_memory = False
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            start_new_session=True,
        )
        try:
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                remaining = timeout_s - (time.monotonic() - started)
                if remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(timeout=min(remaining, RSS_POLL_S)):
                    if memory_mb > 0 and _rss_mb(proc.pid) > memory_mb:
                        over_memory = True  # resident memory: holds with CUDA too
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = _parse(line)
                    if message is None:
                        continue
                    if message.get("type") == "cell" and message.get("seed_index") in pending:
                        pending.remove(message["seed_index"])
                        emit(
                            {
                                "seed_index": message["seed_index"],
                                "status": "ok",
                                "returns": message["returns"],
                                "seeds": message["seeds"],
                                "reason": None,
                                "failure_kind": None,
                                "elapsed_s": message.get("elapsed_s"),
                            }
                        )
                    elif message.get("type") == "error":
                        error = message
        if timed_out or over_memory:
            _kill_group(proc)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            code = proc.wait()
        proc.stdout.close()
        stderr.seek(0)
        tail = stderr.read()[-4000:].decode(errors="replace")
    if pending:
        if over_memory:
            kind, reason = "memory", f"memory limit: resident memory passed {memory_mb} MB"
        else:
            kind, reason = _failure(timed_out, timeout_s, code, error, tail, memory_mb)
        for k in pending:
            emit(
                {
                    "seed_index": k,
                    "status": "failed",
                    "returns": None,
                    "seeds": None,
                    "reason": reason,
                    "failure_kind": kind,
                    "elapsed_s": None,
                }
            )
    return results


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0.0


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _failure(
    timed_out: bool,
    timeout_s: float,
    code: int,
    error: dict[str, Any] | None,
    stderr_tail: str,
    memory_mb: int,
) -> tuple[str, str]:
    if timed_out:
        return "timeout", f"wall-clock limit: stopped after {timeout_s:g} s"
    if error is not None:
        return str(error.get("kind", "error")), str(error.get("reason", "worker error"))
    last = next((ln.strip() for ln in reversed(stderr_tail.splitlines()) if ln.strip()), "")
    if any(m in stderr_tail.lower() for m in MEMORY_MARKERS):
        return "memory", f"memory limit ({memory_mb} MB) exceeded: {last[:200]}"
    if code < 0:
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
