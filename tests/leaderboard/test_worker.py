"""The sandboxed worker process on its own: protocol, seeds, and the resident-memory limit."""

from __future__ import annotations

import json
from pathlib import Path

from policyhelpers import CARTPOLE, GOOD, declared_architecture, save_cartpole

from ilkit.leaderboard.testseeds import SeedSplit
from ilkit.leaderboard.worker import run_job

SPLIT = SeedSplit("validation")


def _job(ref: dict, seed_indices=(0, 1), episodes=2) -> dict:
    return {
        "submission": "t",
        "env_id": CARTPOLE,
        "cells": [
            {"seed_index": k, "seeds": SPLIT.seeds(CARTPOLE, k, episodes)} for k in seed_indices
        ],
        "device": "cpu",
        "policy": ref,
    }


def _huge(tmp_path: Path, width: int) -> dict:
    path = declared_architecture(tmp_path, [width, width])
    return {"env_id": CARTPOLE, "source": "declared", "path": str(path), "training": {}}


def test_worker_streams_one_result_per_cell(tmp_path):
    path = save_cartpole(tmp_path / "good", GOOD)
    seen = []
    ref = {"env_id": CARTPOLE, "source": "artifact", "path": str(path), "training": {}}
    results = run_job(_job(ref, (3, 5)), timeout_s=120, memory_mb=2048, on_cell=seen.append)
    assert seen == results and [r.seed_index for r in results] == [3, 5]
    assert all(r.status == "ok" and r.returns == [500.0, 500.0] for r in results)
    assert all(not hasattr(r, "seeds") for r in results)  # seeds stay with the parent (secret)


def test_memory_bomb_is_stopped_by_the_resident_memory_limit(tmp_path):
    """A declared 60000x60000 network: the parent sees resident memory pass the limit."""
    results = run_job(_job(_huge(tmp_path, 60000)), timeout_s=120, memory_mb=1024)
    assert [r.failure_kind for r in results] == ["memory", "memory"]
    assert "1024 MB" in results[0].reason


def test_worker_sets_no_address_space_limit():
    """RLIMIT_AS is gone: on Python 3.12+ with torch it failed plain safetensors loads."""
    import os
    import resource

    from ilkit.leaderboard import worker

    before = resource.getrlimit(resource.RLIMIT_AS)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the limits a worker sets, applied in a throwaway child
        worker._limit_self(30)
        limits = (resource.getrlimit(resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_CPU))
        os.write(write, json.dumps(limits).encode())
        os._exit(0)
    os.close(write)
    address, cpu = json.loads(os.read(read, 1000))
    os.waitpid(pid, 0)
    assert tuple(address) == before and cpu[0] == 30


def test_missing_policy_files_are_an_error_not_a_crash(tmp_path):
    ref = {
        "env_id": CARTPOLE,
        "source": "artifact",
        "path": str(tmp_path / "nowhere"),
        "training": {},
    }
    results = run_job(_job(ref, (0,)), timeout_s=120, memory_mb=2048)
    assert results[0].status == "failed" and results[0].failure_kind == "error"
    assert "not a policy artifact" in results[0].reason
