"""Hostile submission files: archive tricks, oversized files and pickle payloads."""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch as th
from policyhelpers import (
    BAD,
    CARTPOLE,
    GOOD,
    TouchFile,
    declared_manifest,
    pickle_payload,
    poison_sb3_zip,
    save_cartpole,
    sb3_zip,
    torch_payload,
)

from ilkit.evaluation import evaluate
from ilkit.leaderboard.submissions import discover
from ilkit.policies.declared import UnsafeFileError, load_declared, read_zip_member
from ilkit.policies.safety import (
    Limits,
    SubmissionError,
    UnsafeSubmissionError,
    copy_tree,
    safe_extract,
)
from ilkit.policies.submission import find_policies


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _tar(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return path


@pytest.mark.parametrize(
    "member", ["../escape.txt", "ok/../../escape.txt", "/tmp/escape-abs.txt", "C:/escape.txt"]
)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_archive_members_that_leave_the_archive_are_rejected(tmp_path, member, kind):
    build = _zip if kind == "zip" else _tar
    archive = build(
        tmp_path / f"sub.{'zip' if kind == 'zip' else 'tar.gz'}",
        {"fine.txt": b"x", member: b"evil"},
    )
    dest = tmp_path / "unpacked" / "sub"
    with pytest.raises(UnsafeSubmissionError, match="absolute|escapes|invalid"):
        safe_extract(archive, dest)
    assert not dest.exists()
    assert not (tmp_path / "unpacked" / "escape.txt").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert not Path("/tmp/escape-abs.txt").exists()
    assert list((tmp_path / "unpacked").iterdir()) == []  # no half-unpacked temp dir left


def test_tar_symlink_member_is_rejected(tmp_path):
    archive = _tar(tmp_path / "sub.tar.gz", {"a.txt": b"x"}, symlink="link")
    with pytest.raises(UnsafeSubmissionError, match="link"):
        safe_extract(archive, tmp_path / "out")


def test_zip_symlink_member_is_rejected(tmp_path):
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeSubmissionError, match="symbolic link"):
        safe_extract(path, tmp_path / "out")


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_oversized_archive_member_is_rejected(tmp_path, kind):
    build = _zip if kind == "zip" else _tar
    archive = build(
        tmp_path / f"sub.{'zip' if kind == 'zip' else 'tar.gz'}",
        {"small.bin": b"x" * 10, "big.bin": b"\0" * 5000},
    )
    with pytest.raises(UnsafeSubmissionError, match="larger than 1000 bytes"):
        safe_extract(archive, tmp_path / "out", Limits(max_file_bytes=1000))
    assert not (tmp_path / "out").exists()
    safe_extract(archive, tmp_path / "ok", Limits(max_file_bytes=10_000))  # within the cap: fine
    assert (tmp_path / "ok" / "big.bin").stat().st_size == 5000


def test_zip_that_lies_about_its_sizes_is_stopped_while_reading(tmp_path):
    """The cap counts bytes actually read, not the header's declared size (zip bombs)."""
    path = _zip(tmp_path / "bomb.zip", {"big.bin": b"\0" * 50_000})
    data = bytearray(path.read_bytes())
    # Rewrite the declared uncompressed size (central directory + local header) to 10 bytes.
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises((UnsafeSubmissionError, SubmissionError)):
        safe_extract(path, tmp_path / "out", Limits(max_file_bytes=1000))
    assert not (tmp_path / "out").exists()


def test_directory_submission_with_oversized_file_or_symlink_is_rejected(tmp_path):
    sub = save_cartpole(tmp_path / "sub")
    (sub / "notes.bin").write_bytes(b"\0" * 5000)
    with pytest.raises(UnsafeSubmissionError, match="larger than"):
        copy_tree(sub, tmp_path / "copy1", Limits(max_file_bytes=1000))
    (sub / "notes.bin").unlink()
    os.symlink("/etc/passwd", sub / "link")
    with pytest.raises(UnsafeSubmissionError, match="symbolic link"):
        copy_tree(sub, tmp_path / "copy2")


def test_discover_records_unsafe_archives_without_stopping(tmp_path):
    subs = tmp_path / "subs"
    save_cartpole(subs / "fine")
    _zip(subs / "sneaky.zip", {"../../escape.txt": b"evil"})
    found = {s.name: s for s in discover(subs, tmp_path / "unpacked")}
    assert found["fine"].error is None and CARTPOLE in found["fine"].policies
    assert "escapes" in found["sneaky"].error
    assert not (tmp_path / "escape.txt").exists()


def test_payloads_are_live(tmp_path):
    """The payloads used below really run code when unpickled (so the tests can fail)."""
    import pickle

    marker = tmp_path / "pwned"
    pickle.loads(pickle_payload(marker))
    assert marker.exists()
    marker.unlink()
    th.load(io.BytesIO(torch_payload(marker)), weights_only=False)
    assert marker.exists()


def test_sb3_zip_with_pickle_payload_in_policy_pth_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    good = sb3_zip(tmp_path / "good.zip")
    poison_sb3_zip(good, tmp_path / "evil.zip", "policy.pth", torch_payload(marker))
    manifest = declared_manifest(tmp_path / "evil.json", "evil.zip")
    with pytest.raises(UnsafeFileError, match="unpickling"):
        load_declared(manifest, device="cpu")
    assert not marker.exists()


def test_sb3_zip_data_member_is_never_unpickled(tmp_path):
    """SB3 stores cloudpickled objects in ``data``; ilkit reads only ``policy.pth``."""
    from stable_baselines3 import PPO

    marker = tmp_path / "pwned"
    good = sb3_zip(tmp_path / "good.zip")
    with zipfile.ZipFile(good) as archive:
        data = json.loads(archive.read("data"))
    import base64

    data["observation_space"][":serialized:"] = base64.b64encode(pickle_payload(marker)).decode()
    poison_sb3_zip(good, tmp_path / "evil.zip", "data", json.dumps(data).encode())
    manifest = declared_manifest(tmp_path / "evil.json", "evil.zip")
    policy = load_declared(manifest, device="cpu")
    assert evaluate(policy, CARTPOLE, n_episodes=2).mean == 500.0
    assert not marker.exists()
    # SB3's own loader would have run the payload:
    try:
        PPO.load(tmp_path / "evil.zip", device="cpu")
    except Exception:
        pass
    assert marker.exists()


@pytest.mark.parametrize("name", ["model.pkl", "model.pt"])
def test_declared_pickle_weights_are_refused(tmp_path, name):
    marker = tmp_path / "pwned"
    payload = pickle_payload(marker) if name.endswith(".pkl") else torch_payload(marker)
    (tmp_path / name).write_bytes(payload)
    manifest = declared_manifest(tmp_path / "sub.json", name)
    with pytest.raises(UnsafeFileError, match="pickle|unpickling"):
        load_declared(manifest, device="cpu")
    assert not marker.exists()


def test_declared_weights_outside_the_submission_are_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    manifest = declared_manifest(tmp_path / "sub" / "m.json", "../../elsewhere.pt")
    with pytest.raises(UnsafeFileError, match="leaves"):
        load_declared(manifest, device="cpu")


def test_declared_weights_only_files_load(tmp_path):
    """An SB3 .zip and a plain state dict .pt both load (weights_only) and act like the source."""
    from policyhelpers import linear_cartpole

    sb3_zip(tmp_path / "good.zip", GOOD)
    th.save(linear_cartpole(BAD).state_dict(), tmp_path / "bad.pt")
    good = load_declared(declared_manifest(tmp_path / "good.json", "good.zip"), device="cpu")
    bad = load_declared(declared_manifest(tmp_path / "bad.json", "bad.pt"), device="cpu")
    assert evaluate(good, CARTPOLE, n_episodes=3).mean == 500.0
    assert evaluate(bad, CARTPOLE, n_episodes=3).mean < 20


def test_sb3_zip_member_names_are_checked(tmp_path):
    good = sb3_zip(tmp_path / "good.zip")
    with zipfile.ZipFile(good, "a") as archive:
        archive.writestr("../../outside", b"x")
    with pytest.raises(UnsafeFileError, match="escapes"):
        read_zip_member(good, "policy.pth")


def test_find_policies_per_task_subdirectories(tmp_path):
    save_cartpole(tmp_path / "sub" / "cartpole")
    policies = find_policies(tmp_path / "sub")
    assert list(policies) == [CARTPOLE] and policies[CARTPOLE].source == "artifact"
    save_cartpole(tmp_path / "sub" / "again")
    with pytest.raises(SubmissionError, match="two policies"):
        find_policies(tmp_path / "sub")


def test_touchfile_is_not_importable_by_reference():
    """The payload pickles ``os.system`` itself, not this test module's class."""
    import pickle

    assert b"policyhelpers" not in pickle.dumps(TouchFile(Path("x")))


def test_submission_digests_keep_their_values(tmp_path):
    """The board's digests come from ilkit.digest now: the values stored in existing boards'
    cells (the chunked sha256 that submissions.py computed itself) must not change, or every
    stored cell would be evaluated again."""
    import hashlib

    from ilkit.digest import file_sha256, tree_sha256

    def old_digest_tree(root: Path) -> str:  # the implementation boards were built with
        h = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        return h.hexdigest()

    sub = save_cartpole(tmp_path / "sub" / "cartpole", GOOD)
    (tmp_path / "sub" / "big.bin").write_bytes(os.urandom(3 * (1 << 20) + 17))  # several chunks
    assert tree_sha256(tmp_path / "sub") == old_digest_tree(tmp_path / "sub")
    weights = sub / "policy.safetensors"
    assert file_sha256(weights) == hashlib.sha256(weights.read_bytes()).hexdigest()
    (entry,) = discover(tmp_path, tmp_path / "unpacked")
    assert entry.digest == old_digest_tree(tmp_path / "sub")
