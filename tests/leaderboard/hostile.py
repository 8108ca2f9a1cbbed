"""Hostile submission files for the integrity tests: broken archives, manifests and weights.

Each maker writes one file or folder and returns its path; what it does to the board is
asserted by the tests (a failed entry with a one-line reason, never a stopped board).
"""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

from policyhelpers import CARTPOLE, GOOD, save_cartpole


def artifact_bytes(tmp: Path, w=GOOD) -> dict[str, bytes]:
    """The files of an honest CartPole artifact, by name."""
    path = save_cartpole(tmp / "honest-src", w)
    return {p.name: p.read_bytes() for p in path.iterdir()}


def zip_bytes(members: dict[str, bytes], compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with warnings.catch_warnings():  # zipfile warns about duplicate names: we mean them
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return buffer.getvalue()


def duplicate_zip(members: dict[str, bytes]) -> bytes:
    """A zip holding every member twice under the same name (the second one different)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
                archive.writestr(name, data[::-1])
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def encrypted(zip_data: bytes) -> bytes:
    """Set the "encrypted" flag of every member, in local headers and the central directory."""
    data = bytearray(zip_data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := data.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", data, i + flag_offset)
            struct.pack_into("<H", data, i + flag_offset, flags | 0x1)
            start = i + 4
    return bytes(data)


def corrupt_deflate(zip_data: bytes) -> bytes:
    """Overwrite the compressed bytes of the first member: zlib fails while reading."""
    data = bytearray(zip_data)
    (name_len, extra_len) = struct.unpack_from("<HH", data, 26)
    start = 30 + name_len + extra_len
    for i in range(start, min(start + 64, len(data))):
        data[i] = 0xFF
    return bytes(data)


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def declared(folder: Path, manifest: dict | bytes, weights: bytes | None = None) -> Path:
    """A folder with a declared manifest (``m.json``) and optionally its weights file."""
    folder.mkdir(parents=True, exist_ok=True)
    data = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    (folder / "m.json").write_bytes(data)
    if weights is not None:
        (folder / "w.zip").write_bytes(weights)
    return folder


def declared_manifest(weights: str = "w.zip", **extra) -> dict:
    return {
        "env_id": CARTPOLE,
        "kind": "actor_critic",
        "architecture": {"net_arch": []},
        "weights": weights,
        **extra,
    }


def hostile_set(root: Path, tmp: Path) -> list[str]:
    """One of each kind of hostile submission, at the top level of ``root`` and in folders.

    Returns the entry names expected on the board (each must end failed or rejected).
    """
    files = artifact_bytes(tmp)
    members = {f"sub/{k}": v for k, v in files.items()}
    good_zip = zip_bytes(members)
    sb3_like = zip_bytes({"policy.pth": b"\x80\x04K\x01." * 50, "data": b"{}"})
    write(root / "corrupt.zip", corrupt_deflate(good_zip))
    write(root / "truncated.zip", good_zip[: len(good_zip) // 2])
    write(root / "truncated_tar.tar.gz", tar_bytes(members)[:300])
    write(root / "encrypted.zip", encrypted(good_zip))
    write(root / "duplicates.zip", duplicate_zip(members))
    write(root / "not_an_archive.zip", b"this is not a zip file" * 10)
    write(root / "notes.txt", b"hello")
    write(root / "deep.zip", zip_bytes({"m.json": deep_json(100_000)}))
    write(root / "oversized.zip", zip_bytes({"m.json": b" " * (2 * 2**20) + b"{}"}))
    scripted = json.loads(files["manifest.json"])
    scripted.update(kind="scripted", controller="cartpole_pd")
    scripted_dir = root / "scripted_claim"
    scripted_dir.mkdir()
    (scripted_dir / "manifest.json").write_text(json.dumps(scripted))
    # In folders: declared policies whose weights archives are broken, and wrong types.
    declared(root / "in_folder_corrupt", declared_manifest(), corrupt_deflate(sb3_like))
    declared(root / "in_folder_encrypted", declared_manifest(), encrypted(sb3_like))
    declared(root / "in_folder_truncated", declared_manifest(), sb3_like[:40])
    declared(root / "wrong_types", declared_manifest(architecture={"net_arch": [-4, "x"]}))
    declared(root / "deep_manifest", deep_json(50_000))
    bad_weights = root / "bad_safetensors"
    bad_weights.mkdir()
    (bad_weights / "manifest.json").write_bytes(files["manifest.json"])
    (bad_weights / "policy.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}")
    linked = root / "link_inside"
    linked.mkdir()
    for name, data in files.items():
        (linked / name).write_bytes(data)
    os.symlink("/etc/passwd", linked / "passwd")
    os.symlink(linked, root / "link_top")
    return sorted(
        [
            "corrupt",
            "truncated",
            "truncated_tar",
            "encrypted",
            "duplicates",
            "not_an_archive",
            "notes.txt",
            "deep",
            "oversized",
            "scripted_claim",
            "in_folder_corrupt",
            "in_folder_encrypted",
            "in_folder_truncated",
            "wrong_types",
            "deep_manifest",
            "bad_safetensors",
            "link_inside",
            "link_top",
        ]
    )
