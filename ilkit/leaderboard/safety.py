"""Reading files that strangers send: archives, SB3 zips and weights, never a pickle.

Everything here treats its input as hostile. Archive members are checked before a byte is
written (no ``..``, no absolute paths, no links or devices, size caps that count the bytes
actually read, not the sizes the archive declares), and weights are read with safetensors or
``torch.load(weights_only=True)``, whose unpickler refuses anything but tensors and containers.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ilkit.errors import IlkitError

MB = 2**20
CHUNK = 1 << 16
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".npy", ".npz", ".cloudpickle")


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
            raise UnsafeSubmissionError(
                f"archive unpacks to more than {limits.max_total_bytes} bytes"
            )
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
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        used = 0
        name = archive_path.name.lower()
        try:
            if name.endswith(".zip"):
                with zipfile.ZipFile(archive_path) as archive:
                    for member, is_dir, info in _zip_members(archive, limits):
                        used += _extract_one(
                            member, is_dir, lambda i=info: archive.open(i), tmp, limits, used
                        )
            else:
                with tarfile.open(archive_path, "r:*") as archive:
                    for member, is_dir, info in _tar_members(archive, limits):
                        used += _extract_one(
                            member, is_dir, lambda i=info: archive.extractfile(i), tmp, limits, used
                        )
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
            raise SubmissionError(f"{archive_path.name} is not a readable archive: {err}") from None
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _extract_one(member: str, is_dir: bool, opener, root: Path, limits: Limits, used: int) -> int:
    rel = check_member_name(member)
    target = root.joinpath(*rel.parts)
    if is_dir:
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with opener() as src, open(target, "xb") as dst:
        return _copy_capped(src, dst, member, limits, used)


def check_tree(root: Path, limits: Limits = Limits()) -> None:
    """Refuse a submission directory holding links, special files or oversized files."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise UnsafeSubmissionError(f"{path.relative_to(root)} is a symbolic link")
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeSubmissionError(f"{path.relative_to(root)} is not a regular file")
            if info.st_size > limits.max_file_bytes:
                raise UnsafeSubmissionError(
                    f"{path.relative_to(root)} is larger than {limits.max_file_bytes} bytes"
                )
            total += info.st_size
            if total > limits.max_total_bytes:
                raise UnsafeSubmissionError(
                    f"submission is larger than {limits.max_total_bytes} bytes"
                )


def read_zip_member(zip_path: Path, member: str, limits: Limits = Limits()) -> bytes:
    """One member of a zip file (e.g. SB3's ``policy.pth``), after checking every member name."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            found = None
            for name, is_dir, info in _zip_members(archive, limits):
                check_member_name(name)
                if name == member and not is_dir:
                    found = info
            if found is None:
                raise SubmissionError(f"{zip_path.name} has no member {member!r}")
            buffer = io.BytesIO()
            with archive.open(found) as src:
                _copy_capped(src, buffer, member, limits, 0)
            return buffer.getvalue()
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionError(f"{zip_path.name} is not a readable zip file: {err}") from None


def load_state_dict_bytes(data: bytes, origin: str) -> dict[str, Any]:
    """A ``torch.save``-d state dict, read with ``weights_only=True`` (refuses pickled code)."""
    import torch as th

    try:
        state = th.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # the restricted unpickler raises UnpicklingError and friends
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        # torch explains at length; the line naming the refused global is the useful one
        detail = next(
            (ln for ln in lines if "Unsupported" in ln or "GLOBAL" in ln),
            lines[0] if lines else type(err).__name__,
        )
        raise UnsafeSubmissionError(
            f"{origin} would need unpickling (refused): {detail[:200]}"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, th.Tensor) for v in state.values()):
        raise SubmissionError(f"{origin} is not a state dict of tensors")
    return dict(state)
