"""sha256 of a dataset's data files (everything under ``data/`` except ``metadata.json``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

METADATA_FILE = "metadata.json"
_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_files(data_path: str | Path) -> list[Path]:
    """Data files of a Minari dataset directory, relative to it, in a stable order.

    The top-level ``metadata.json`` holds the checksums themselves and is left out; Arrow's
    per-episode ``<id>/metadata.json`` files are data (episode seeds and lengths) and count.
    """
    data_path = Path(data_path)
    return sorted(
        p.relative_to(data_path)
        for p in data_path.rglob("*")
        if p.is_file() and p.relative_to(data_path) != Path(METADATA_FILE)
    )


def data_file_checksums(data_path: str | Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every data file under ``data_path``."""
    return {str(rel): sha256_file(Path(data_path) / rel) for rel in data_files(data_path)}
