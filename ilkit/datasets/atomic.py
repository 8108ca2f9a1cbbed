"""Atomic directory installs: build out of sight, flush, then one rename (or exchange).

A dataset is written into a hidden staging directory inside the Minari data directory (same
filesystem, and Minari skips hidden directories when it lists datasets), flushed to disk, and
made visible by a single ``rename``; an existing dataset is swapped out by Linux's atomic
``renameat2(RENAME_EXCHANGE)``. A run killed at any point leaves at most a hidden staging
directory, which the next run removes once its owner process is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

STAGING_PREFIX = ".ilkit-tmp-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def new_staging_dir(root: Path) -> Path:
    """A fresh hidden directory in ``root``, named after this process (for stale cleanup)."""
    remove_stale(root)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=root))


def remove_stale(root: Path) -> None:
    """Delete staging directories whose owner process no longer exists (killed runs)."""
    for path in root.glob(f"{STAGING_PREFIX}*"):
        try:
            pid = int(path.name[len(STAGING_PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)


def fsync_tree(path: Path) -> None:
    """Flush every file under ``path`` to disk before a rename makes them visible."""
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        with open(file, "rb") as f:
            os.fsync(f.fileno())


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux ``renameat2``); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    rc = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def install(new: Path, final: Path, *, replace: bool) -> bool:
    """Make directory ``new`` visible as ``final`` in one step.

    Returns False (and changes nothing) if ``final`` exists and ``replace`` is False. When
    replacing, the old directory ends up at ``new``'s path (inside the staging directory), to
    be removed with it.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if not final.exists():
        os.rename(new, final)
        return True
    if not replace:
        return False
    if not exchange(new, final):  # no renameat2: a brief window without the old directory
        old = new.with_name(new.name + ".old")
        os.rename(final, old)
        os.rename(new, final)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
