"""Process plumbing shared by the rooms that start workers: dying with the parent, torch threads,
resident memory of a process tree."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux ``PR_SET_PDEATHSIG``):
    a worker of a killed run (kill -9 included) never runs on as an orphan. A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch threads. ilkit's nets are small MLPs: on a CPU one thread
    is faster than several (start-up and contention cost more than they save), and leaves the
    other cores to parallel workers."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def tree_rss_mb(pid: int | None) -> float:
    """Resident memory in MB of a process and all its descendants (a policy cannot fork around a
    memory cap); 0 when the process is gone."""
    import psutil

    if pid is None:
        return 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):  # a child may exit between the walk and the read
            total += proc.memory_info().rss
    return total / 2**20


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Inside the block SIGTERM (``kill``, a scheduler's stop) raises KeyboardInterrupt like
    Ctrl-C, so ``finally`` clauses run: staging folders are removed, workers stopped. Outside
    the main thread, or where a handler is already installed, it changes nothing."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
