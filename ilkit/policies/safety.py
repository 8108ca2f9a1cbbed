"""Reading archives and folders that strangers send.

Everything here treats its input as hostile. Archive members are checked before a byte is
written (no ``..``, no absolute paths, no links or devices, no duplicate names, size caps that
count the bytes actually read, not the sizes the archive declares), and whatever a corrupt,
truncated or encrypted archive raises becomes a one-line :class:`SubmissionError`. Weights are
read by :mod:`ilkit.policies.declared` (safetensors or ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ilkit.atomic import staged_directory
from ilkit.errors import IlkitError

MB = 2**20
CHUNK = 1 << 16
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
# What a corrupt, truncated or encrypted archive raises while it is read: zlib.error (bad deflate
# data), RuntimeError (an encrypted zip member), EOFError / tarfile errors (truncation), ...
UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    ValueError,
    NotImplementedError,
)


class SubmissionError(IlkitError):
    """A submission that cannot be evaluated (missing or malformed files)."""


class UnsafeSubmissionError(SubmissionError):
    """A submission refused for safety: pickle payload, path traversal, link, oversized file."""


@dataclass(frozen=True)
class Limits:
    """Size caps for everything read from a submission."""

    max_file_bytes: int = 256 * MB
    max_total_bytes: int = 1024 * MB
    max_members: int = 10_000


def check_member_name(name: str) -> PurePosixPath:
    """The relative path of an archive member, or :class:`UnsafeSubmissionError`."""
    if not name or "\x00" in name or "\\" in name:
        raise UnsafeSubmissionError(f"archive member {name!r} has an invalid name")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeSubmissionError(f"archive member {name!r} is an absolute path")
    if ".." in path.parts:
        raise UnsafeSubmissionError(f"archive member {name!r} escapes the archive (..)")
    return path


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(path: Path) -> str:
    name = path.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _copy_capped(src: IO[bytes], dst: IO[bytes], name: str, limits: Limits, used: int) -> int:
    """Copy ``src`` counting real bytes; raise once a file or the total passes its cap."""
    size = 0
    while chunk := src.read(CHUNK):
        size += len(chunk)
        if size > limits.max_file_bytes:
            raise UnsafeSubmissionError(
                f"archive member {name!r} is larger than {limits.max_file_bytes} bytes"
            )
        if used + size > limits.max_total_bytes:
            raise UnsafeSubmissionError(f"submission is larger than {limits.max_total_bytes} bytes")
        dst.write(chunk)
    return size


def _zip_members(archive: zipfile.ZipFile, limits: Limits) -> Iterator[tuple[str, bool, Any]]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeSubmissionError(f"archive has more than {limits.max_members} members")
    for info in infos:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeSubmissionError(f"archive member {info.filename!r} is a symbolic link")
        if info.file_size > limits.max_file_bytes:
            raise UnsafeSubmissionError(
                f"archive member {info.filename!r} is larger than {limits.max_file_bytes} bytes"
            )
        yield info.filename, info.is_dir(), info


def _tar_members(archive: tarfile.TarFile, limits: Limits) -> Iterator[tuple[str, bool, Any]]:
    for count, member in enumerate(archive, start=1):
        if count > limits.max_members:
            raise UnsafeSubmissionError(f"archive has more than {limits.max_members} members")
        if member.issym() or member.islnk():
            raise UnsafeSubmissionError(f"archive member {member.name!r} is a link")
        if not (member.isfile() or member.isdir()):
            raise UnsafeSubmissionError(f"archive member {member.name!r} is not a regular file")
        if member.size > limits.max_file_bytes:
            raise UnsafeSubmissionError(
                f"archive member {member.name!r} is larger than {limits.max_file_bytes} bytes"
            )
        yield member.name, member.isdir(), member


def safe_extract(archive_path: Path, dest: Path, limits: Limits = Limits()) -> Path:
    """Unpack a ``.zip``/``.tar.gz``/``.tar`` into ``dest`` (created atomically) or raise.

    Every member name and size is checked, and bytes are counted while copying; on any problem
    nothing is left at ``dest``.
    """
    used = 0
    name = archive_path.name.lower()
    seen: set[PurePosixPath] = set()

    def extract(member: str, is_dir: bool, opener) -> int:
        rel = check_member_name(member)
        if rel in seen and not is_dir:
            raise UnsafeSubmissionError(f"archive has two members named {member!r}")
        seen.add(rel)
        return _extract_one(rel, is_dir, opener, tmp, limits, used)

    with staged_directory(dest, replace=True) as tmp:
        try:
            if name.endswith(".zip"):
                with zipfile.ZipFile(archive_path) as archive:
                    for member, is_dir, info in _zip_members(archive, limits):
                        used += extract(member, is_dir, lambda i=info: archive.open(i))
            else:
                with tarfile.open(archive_path, "r:*") as archive:
                    for member, is_dir, info in _tar_members(archive, limits):
                        used += extract(member, is_dir, lambda i=info: archive.extractfile(i))
        except UNREADABLE as err:
            reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
            if isinstance(err, RuntimeError) and "encrypted" in reason:
                reason = "a member is encrypted (password-protected archives are refused)"
            raise SubmissionError(
                f"{archive_path.name} is not a readable archive: {type(err).__name__}"
                + (f": {reason}" if reason else "")
            ) from None
    return dest


def _extract_one(
    rel: PurePosixPath, is_dir: bool, opener, root: Path, limits: Limits, used: int
) -> int:
    member = str(rel)
    target = root.joinpath(*rel.parts)
    if is_dir:
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with opener() as src, open(target, "xb") as dst:
        return _copy_capped(src, dst, member, limits, used)


def copy_tree(src: Path, dest: Path, limits: Limits = Limits()) -> None:
    """Copy a submission directory into ``dest`` (an empty directory), checking as it copies.

    Links, special files and oversized files are refused. Each file is opened without following
    links and copied with its bytes counted, so what is hashed and scored afterwards is this
    copy: a file swapped in the original folder later changes nothing.
    """
    used, count = 0, 0
    dest.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel_dir = Path(dirpath).relative_to(src)
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = rel_dir / name
            count += 1
            if count > limits.max_members:
                raise UnsafeSubmissionError(f"submission has more than {limits.max_members} files")
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise UnsafeSubmissionError(f"{rel} is a symbolic link")
            if stat.S_ISDIR(info.st_mode):
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeSubmissionError(f"{rel} is not a regular file")
            if info.st_size > limits.max_file_bytes:
                raise UnsafeSubmissionError(f"{rel} is larger than {limits.max_file_bytes} bytes")
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError as err:  # swapped for a link since the walk: ELOOP
                raise UnsafeSubmissionError(f"{rel} cannot be read: {err.strerror}") from None
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise UnsafeSubmissionError(f"{rel} is not a regular file")
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                with open(dest / rel, "xb") as out:
                    used += _copy_capped(f, out, str(rel), limits, used)
