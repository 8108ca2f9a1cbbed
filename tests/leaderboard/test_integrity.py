"""Issue 13, leaderboard integrity: secret test seeds, any file handed in, only learned policies,
a ranking that counts failures, declared tracks, and files that cannot change after checking.

Many generated cases go through discovery and loading directly (in this process: nothing here
unpickles, and safetensors parses in Rust); whole boards, which fork a worker per cell group,
run on a fixed hostile set with a tiny budget (CartPole, 2 episodes).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hostile import (
    artifact_bytes,
    corrupt_deflate,
    deep_json,
    duplicate_zip,
    encrypted,
    hostile_set,
    tar_bytes,
    zip_bytes,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policyhelpers import BAD, CARTPOLE, GOOD, save_cartpole

from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.errors import IlkitError
from ilkit.evaluation import evaluate
from ilkit.leaderboard.leaderboard import BoardConfig, build_board
from ilkit.leaderboard.records import Cell
from ilkit.leaderboard.store import CellStore
from ilkit.leaderboard.submissions import Submission, discover
from ilkit.leaderboard.testseeds import (
    TEST_BASE,
    SecretError,
    fingerprint,
    seed_split,
)
from ilkit.policies import load_policy
from ilkit.policies.submission import load_ref

REFS = {CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}}}
SECRET = "correct horse battery staple 1234567890"
OTHER = "a different secret held by another course"
WEAK = (0.0, 0.0, 1.0, 0.0)

# Small and deterministic enough for CI: every generated case is cheap (no worker process).
HOSTILE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,  # nothing written into the repository
)


@pytest.fixture
def references(monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: REFS)


def _run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, ["leaderboard", "run", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _entries(out: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((out / "leaderboard.json").read_text())["entries"]}


def _cells(out: Path, name: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "cells" / name).rglob("seed-*.json"))]


# --- 3. secret test seeds -------------------------------------------------------------------


def test_test_seeds_depend_on_the_secret_and_lie_in_their_own_range():
    a, a_again, b = (seed_split(s.encode()) for s in (SECRET, SECRET, OTHER))
    seeds = a.seeds(CARTPOLE, 0, 50)
    assert seeds == a_again.seeds(CARTPOLE, 0, 50)  # the same secret, the same seeds
    assert not set(seeds) & set(b.seeds(CARTPOLE, 0, 50))  # another secret, other seeds
    assert not set(seeds) & set(a.seeds(CARTPOLE, 1, 50))  # cells are disjoint
    assert seeds != a.seeds("ilkit/Pendulum-v0", 0, 50)  # and differ per task
    assert all(TEST_BASE <= s < 2**32 for s in seeds)  # above every validation seed
    assert a.fingerprint == fingerprint(SECRET.encode()) != b.fingerprint
    assert SECRET not in repr(a) and SECRET.encode().hex() not in repr(a)
    assert seed_split(None).seeds(CARTPOLE, 1, 3) == [2**31 + 3, 2**31 + 4, 2**31 + 5]
    with pytest.raises(SecretError, match="shorter than"):
        seed_split(b"short")


def _all_output(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())


def test_board_on_the_test_split_scores_secret_seeds_and_never_reveals_them(tmp_path, references):
    subs = tmp_path / "subs"
    save_cartpole(subs / "good", GOOD)
    save_cartpole(subs / "weak", WEAK)
    out = tmp_path / "board"
    args = [str(subs), "--envs", CARTPOLE, "--episodes", "3", "--seeds", "2", "--out", str(out)]
    code, stdout, stderr = _run(*args, env={"ILKIT_TEST_SECRET": SECRET})
    assert code == 0, stderr
    split = seed_split(SECRET.encode())
    expected = [
        r
        for k in range(2)
        for r in evaluate(
            str(subs / "weak"), CARTPOLE, n_episodes=3, seeds=split.seeds(CARTPOLE, k, 3)
        ).returns
    ]
    weak = _entries(out)["weak"]
    assert weak["tasks"][CARTPOLE]["mean"] == pytest.approx(np.mean(expected))
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["split"]["name"] == "test" and board["split"]["fingerprint"] == split.fingerprint
    for report in ("leaderboard.md", "leaderboard.html", "leaderboard.json"):
        assert (
            f"secret test split (secret fingerprint {split.fingerprint})"
            in (out / report).read_text()
        )
    assert all(c["seeds"] is None and c["split"] == "test" for c in _cells(out, "weak"))
    # Nothing written, printed or logged holds the secret or a test seed.
    seeds = {str(s).encode() for k in range(2) for s in split.seeds(CARTPOLE, k, 3)}
    written = _all_output(out) + stdout.encode() + stderr.encode()
    assert SECRET.encode() not in written and SECRET.encode().hex().encode() not in written
    assert not any(s in written for s in seeds)

    # Another secret into the same OUT would mix splits: refused, with one line.
    secret_file = tmp_path / "other.txt"
    secret_file.write_text(OTHER)
    code, _, stderr = _run(*args, "--test-secret-file", str(secret_file))
    assert code == 1 and "never mix" in stderr and split.fingerprint in stderr
    assert OTHER not in stderr
    # Without a secret: the validation split, and the report says so.
    code, stdout, stderr = _run(*args[:-1], str(tmp_path / "open"), env={"ILKIT_TEST_SECRET": ""})
    assert code == 0, stderr
    assert "public validation split" in stdout and "not test results" in stdout
    assert _cells(tmp_path / "open", "weak")[0]["seeds"] == split.__class__("validation").seeds(
        CARTPOLE, 0, 3
    )


# --- 1. any file handed in: property tests on discovery and loading ------------------------


ARCHIVE_KINDS = ["corrupt", "truncated", "encrypted", "duplicates", "garbage", "tar_truncated"]


# (kind, where a truncation cuts, garbage bytes, inside a folder rather than at the top)
hostile_archives = st.tuples(
    st.sampled_from(ARCHIVE_KINDS),
    st.floats(0.05, 0.95),
    st.binary(max_size=200),
    st.booleans(),
)


def _archive(kind: str, files: dict[str, bytes], cut: float, noise: bytes) -> tuple[str, bytes]:
    members = {f"sub/{k}": v for k, v in files.items()}
    good = zip_bytes(members)
    if kind == "corrupt":
        return ".zip", corrupt_deflate(good)
    if kind == "truncated":
        return ".zip", good[: max(1, int(len(good) * cut))]
    if kind == "encrypted":
        return ".zip", encrypted(good)
    if kind == "duplicates":
        return ".zip", duplicate_zip(members)
    if kind == "tar_truncated":
        data = tar_bytes(members)
        return ".tar.gz", data[: max(1, int(len(data) * cut))]
    return ".zip", b"PK\x03\x04" + noise


def _honest(subs: Path) -> Path:
    return save_cartpole(subs / "honest", GOOD)


def _check_discovery(subs: Path, unpack: Path, honest_digest: str | None = None):
    found = {s.name: s for s in discover(subs, unpack)}  # never raises
    honest = found.pop("honest")
    assert honest.error is None and list(honest.policies) == [CARTPOLE]
    if honest_digest:
        assert honest.digest == honest_digest
    for sub in found.values():
        if sub.error is not None:
            assert sub.error and "\n" not in sub.error and len(sub.error) <= 300
            continue
        for ref in sub.policies.values():  # discovered: loading is an error or a policy
            try:
                load_ref(ref, device="cpu")
            except IlkitError as err:
                assert "\n" not in str(err).strip()
    return honest


@HOSTILE
@given(cases=st.lists(hostile_archives, min_size=1, max_size=4))
def test_generated_hostile_archives_become_failed_entries(tmp_path_factory, cases):
    """Corrupt, truncated, encrypted, duplicate-member and non-archives, top level and nested."""
    tmp = tmp_path_factory.mktemp("archives")
    files = artifact_bytes(tmp)
    subs = tmp / "subs"
    _honest(subs)
    for i, (kind, cut, noise, nested) in enumerate(cases):
        suffix, data = _archive(kind, files, cut, noise)
        target = subs / f"folder{i}" / f"inner{suffix}" if nested else subs / f"a{i}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    _check_discovery(subs, tmp / "unpacked")


json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=True), st.text()
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@HOSTILE
@given(
    field=st.sampled_from(
        ["kind", "env_id", "architecture", "net_arch", "activation", "training", "weights"]
    ),
    value=json_value,
    depth=st.sampled_from([0, 0, 5_000, 200_000]),
    pad=st.sampled_from([0, 0, 2 * 2**20]),
)
def test_generated_manifests_are_one_line_errors(tmp_path_factory, field, value, depth, pad):
    """Wrong-typed, deeply nested and oversized manifests, declared and artifact alike."""
    tmp = tmp_path_factory.mktemp("manifests")
    subs = tmp / "subs"
    _honest(subs)
    manifest = {
        "env_id": CARTPOLE,
        "kind": "actor_critic",
        "architecture": {"net_arch": [], "activation": "tanh"},
        "weights": "w.pt",
    }
    if field == "net_arch" or field == "activation":
        manifest["architecture"][field] = value
    else:
        manifest[field] = value
    text = json.dumps(manifest).encode()
    if depth:
        text = deep_json(depth)
    (subs / "declared").mkdir()
    (subs / "declared" / "m.json").write_bytes(text + b" " * pad)
    artifact = save_cartpole(subs / "artifact", GOOD)
    data = json.loads((artifact / "manifest.json").read_text())
    data.update({k: v for k, v in manifest.items() if k not in ("weights",)})
    (artifact / "manifest.json").write_bytes(
        (deep_json(depth) if depth else json.dumps(data).encode()) + b" " * pad
    )
    _check_discovery(subs, tmp / "unpacked")


@HOSTILE
@given(
    header_len=st.integers(0, 2**64 - 1),
    header=st.binary(max_size=64),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=8),
)
def test_bad_safetensors_headers_are_one_line_errors(tmp_path_factory, header_len, header, flips):
    tmp = tmp_path_factory.mktemp("weights")
    path = save_cartpole(tmp / "p", GOOD)
    weights = path / "policy.safetensors"
    data = bytearray(weights.read_bytes())
    for offset, byte in flips:
        if offset < len(data):
            data[offset] = byte
    candidates = [bytes(data), struct.pack("<Q", header_len) + header + bytes(data[8:])]
    for blob in candidates:
        weights.write_bytes(blob)
        try:
            load_policy(path, device="cpu")
        except IlkitError as err:
            assert "\n" not in str(err).strip()


def test_links_are_refused_at_the_top_and_inside(tmp_path):
    subs = tmp_path / "subs"
    _honest(subs)
    outside = save_cartpole(tmp_path / "outside", GOOD)
    os.symlink(outside, subs / "top_link")
    inner = save_cartpole(subs / "inner", GOOD)
    os.symlink("/etc/passwd", inner / "notes")
    found = {s.name: s for s in discover(subs, tmp_path / "unpacked")}
    assert "symbolic link" in found["top_link"].error and "symbolic link" in found["inner"].error


def test_hostile_set_leaves_the_board_finished_and_the_honest_entry_unchanged(tmp_path, references):
    """Done when: hostile archives at the top level and in folders; the board finishes, the
    honest entry is scored exactly as without them, and the scripted claim is rejected."""
    args = ["--envs", CARTPOLE, "--episodes", "2", "--seeds", "1", "--timeout", "60"]
    alone = tmp_path / "alone"
    _honest(alone)
    code, _, stderr = _run(str(alone), *args, "--out", str(tmp_path / "board-alone"))
    assert code == 0, stderr
    crowd = tmp_path / "crowd"
    _honest(crowd)
    expected = hostile_set(crowd, tmp_path)
    code, stdout, stderr = _run(str(crowd), *args, "--out", str(tmp_path / "board-crowd"))
    assert code == 0, stderr
    assert "Traceback" not in stdout + stderr
    entries = _entries(tmp_path / "board-crowd")
    assert sorted(set(entries) - {"honest"}) == expected
    honest, before = entries["honest"], _entries(tmp_path / "board-alone")["honest"]
    assert honest["tasks"] == before["tasks"] and honest["score"] == before["score"]
    assert honest["rank"] == 1 and honest["score"]["point"] == pytest.approx(1.0)
    for name in expected:
        e = entries[name]
        assert not e["complete"] and e["failures"], name
        assert all("\n" not in f["reason"] for f in e["failures"])
        assert e["score"] is None or e["score"]["point"] <= 0.0  # never above random
    assert "kind 'scripted'" in entries["scripted_claim"]["error"]
    # Failed entries rank consistently (issue 28): refused at discovery or failing to load,
    # every cell scores 0, so all of them tie below the honest entry; two entries without an
    # evaluated cell get no P(> next) (0.50 between two failures said nothing).
    zero = {name for name in expected if entries[name]["score"]["point"] == 0.0}
    assert {"scripted_claim", "bad_safetensors"} <= zero
    assert {entries[name]["rank"] for name in zero} == {2}
    assert all(entries[name]["p_improvement_next"] is None for name in zero)
    assert "encrypted" in entries["encrypted"]["error"]
    assert "two members" in entries["duplicates"]["error"]
    assert {f["kind"] for f in entries["bad_safetensors"]["failures"]} == {"error"}


# --- 2. only learned policies; references are the operator's -------------------------------


def test_scripted_and_bundled_expert_claims_are_refused(tmp_path):
    from ilkit.experts.registry import bundled_path
    from ilkit.leaderboard.references import bundled_digests

    subs = tmp_path / "subs"
    _honest(subs)
    shutil.copytree(bundled_path("ilkit/CartPole-v0"), subs / "scripted_expert")
    shutil.copytree(bundled_path("ilkit/LunarLander-v0"), subs / "copied_expert")
    found = {
        s.name: s
        for s in discover(subs, tmp_path / "unpacked", forbidden_digests=bundled_digests())
    }
    assert "kind 'scripted'" in found["scripted_expert"].error
    assert "bundled expert of ilkit/LunarLander-v0" in found["copied_expert"].error
    assert found["honest"].error is None


def test_references_are_marked_rows_and_never_ranked(tmp_path, references):
    subs = tmp_path / "subs"
    save_cartpole(subs / "weak", WEAK)
    out = tmp_path / "board"
    code, stdout, stderr = _run(
        str(subs), "--envs", CARTPOLE, "--episodes", "2", "--seeds", "1", "--out", str(out),
        "--with-references",
    )  # fmt: skip
    assert code == 0, stderr
    entries = _entries(out)
    expert, random = entries["reference-expert"], entries["reference-random"]
    assert expert["reference"] and random["reference"] and not entries["weak"]["reference"]
    assert expert["rank"] is None and random["rank"] is None and entries["weak"]["rank"] == 1
    assert expert["tasks"][CARTPOLE]["mean"] == 500.0 and expert["track"]["source"] == "reference"
    assert "| ref | reference-expert |" in stdout


# --- 4. failures count, and runs are aggregated where IQM belongs ---------------------------


def test_one_failed_cell_in_five_costs_its_share(tmp_path, references):
    """An entry that fails on one seed in five no longer scores 1.0."""
    store = CellStore(tmp_path)
    subs = [Submission(name=n, origin=tmp_path, digest="d") for n in ("perfect", "flaky")]
    for sub in subs:
        for k in range(5):
            failed = sub.name == "flaky" and k == 3
            store.put(
                Cell.from_json(
                    {
                        "submission": sub.name,
                        "env_id": CARTPOLE,
                        "seed_index": k,
                        "episodes": 2,
                        "digest": "d",
                        "status": "failed" if failed else "ok",
                        "returns": None if failed else [500.0, 500.0],
                        "mean": None if failed else 500.0,
                        "failure_kind": "crash" if failed else None,
                        "reason": "worker killed by SIGSEGV" if failed else None,
                        "training": {},
                    }
                )
            )
    board = build_board(store, subs, BoardConfig(envs=(CARTPOLE,), episodes=2, seeds=5)).to_json()
    entries = {e["name"]: e for e in board["entries"]}
    assert entries["perfect"]["score"]["point"] == pytest.approx(1.0)
    assert entries["flaky"]["score"]["point"] == pytest.approx(0.8)
    assert entries["flaky"]["tasks"][CARTPOLE]["n_failed_cells"] == 1
    assert entries["perfect"]["rank"] == 1 and entries["flaky"]["rank"] == 2
    assert 0.5 < entries["perfect"]["p_improvement_next"] <= 1.0
    assert all(text for text in board["statistics"].values())


def test_runs_folder_gets_an_iqm_across_runs(tmp_path, references):
    subs = tmp_path / "subs"
    for i, w in enumerate([GOOD, WEAK, GOOD, BAD]):
        save_cartpole(subs / "method" / "runs" / f"seed{i}", w)
    out = tmp_path / "board"
    code, stdout, stderr = _run(
        str(subs), "--envs", CARTPOLE, "--episodes", "2", "--seeds", "1", "--out", str(out)
    )
    assert code == 0, stderr
    method = _entries(out)["method"]
    assert method["runs"] == ["seed0", "seed1", "seed2", "seed3"]
    per_run = sorted(c["mean"] for c in _cells(out, "method"))
    normalized = [(m - 20.0) / 480.0 for m in per_run]
    assert method["iqm_runs"]["point"] == pytest.approx(np.mean(normalized[1:3]))  # middle two
    assert method["score"]["point"] == pytest.approx(np.mean(normalized))
    assert "IQM over runs" in stdout


# --- 5 and 6. declared tracks; no swap after checking --------------------------------------


def test_directory_submission_is_copied_before_hashing_and_scoring(tmp_path):
    subs = tmp_path / "subs"
    save_cartpole(subs / "entry", GOOD, training={"offline": True})
    [sub] = discover(subs, tmp_path / "unpacked")
    assert Path(sub.policies[CARTPOLE].path).is_relative_to(tmp_path / "unpacked")
    # The student swaps the weights after the check: the board scores what was checked.
    shutil.rmtree(subs / "entry")
    save_cartpole(subs / "entry", BAD)
    policy = load_ref(sub.policies[CARTPOLE], device="cpu")
    assert evaluate(policy, CARTPOLE, n_episodes=2).mean == 500.0
    [again] = discover(subs, tmp_path / "unpacked")
    assert again.digest != sub.digest  # the next run sees (and scores) the new content
