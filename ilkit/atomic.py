"""Atomic writes, the one implementation every room uses (a leaf: imports nothing of ilkit).

A reader sees the old state or the new one, never half of either: files are written to a hidden
temporary sibling, flushed, and renamed over the target; directories are built in a hidden
staging directory on the same filesystem and made visible by one ``rename`` (an existing one is
swapped out by Linux's atomic ``renameat2(RENAME_EXCHANGE)``). A run killed at any point leaves
at most a hidden staging entry, which :func:`remove_stale` deletes once its owner process is
gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STAGING_PREFIX = ".ilkit-tmp-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def write_bytes(path: str | os.PathLike, data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` via a flushed temporary sibling and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600; ilkit's outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`write_bytes` for UTF-8 text."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any, *, sort_keys: bool = False) -> Path:
    """:func:`write_text` of ``data`` as indented JSON with a final newline."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys, default=str) + "\n")


@contextlib.contextmanager
def staged_directory(final: str | os.PathLike, *, replace: bool = True) -> Iterator[Path]:
    """Yield an empty hidden directory beside ``final``; on success it becomes ``final``.

    With ``replace=False`` an existing ``final`` raises :class:`FileExistsError` (and nothing is
    changed). On any exception the staging directory is removed and ``final`` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_staging_dir(final.parent)
    try:
        yield tmp
        fsync_tree(tmp)
        tmp.chmod(0o755)  # mkdtemp makes the directory private; outputs are meant to be shared
        if not install(tmp, final, replace=replace):
            raise FileExistsError(f"{final} already exists")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(Path(f"{tmp}.old"), ignore_errors=True)


def new_staging_dir(root: Path) -> Path:
    """A fresh hidden directory in ``root``, named after this process (for stale cleanup)."""
    remove_stale(root)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=root))


def remove_stale(root: Path) -> None:
    """Delete staging directories whose owner process no longer exists (killed runs)."""
    for path in Path(root).glob(f"{STAGING_PREFIX}*"):
        try:
            pid = int(path.name[len(STAGING_PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)


def fsync_tree(path: Path) -> None:
    """Flush every file under ``path`` to disk before a rename makes them visible."""
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
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
    replacing, the old directory ends up at ``new``'s path, to be removed by the caller.
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
