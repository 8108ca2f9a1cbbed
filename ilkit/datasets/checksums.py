"""sha256 of a dataset's data files (everything under ``data/`` except ``metadata.json``)."""

from __future__ import annotations

from pathlib import Path

from ilkit.digest import file_sha256

METADATA_FILE = "metadata.json"


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
    return {str(rel): file_sha256(Path(data_path) / rel) for rel in data_files(data_path)}
