"""sha256 of files and folders (content addressing of datasets, submissions, experts)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def tree_sha256(root: str | os.PathLike) -> str:
    """sha256 over each file's relative path and content, in sorted order: any change of a
    name or a byte changes it."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as f:  # streamed into the one hash (the digest boards store)
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()
