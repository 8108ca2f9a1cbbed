"""The sandboxed worker process on its own: protocol, seeds, and both memory guards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from policyhelpers import CARTPOLE, GOOD, save_cartpole
from safetensors.numpy import save_file

from ilkit.envs.seeds import HELDOUT_BASE
from ilkit.leaderboard.worker import run_job, seeds_for


def _job(ref: dict, seed_indices=(0, 1), episodes=2) -> dict:
    return {
        "submission": "t",
        "env_id": CARTPOLE,
        "episodes": episodes,
        "seed_indices": list(seed_indices),
        "device": "cpu",
        "policy": ref,
    }


def _huge(tmp_path: Path, width: int) -> dict:
    save_file({"unused": np.zeros(1, dtype=np.float32)}, str(tmp_path / "w.safetensors"))
    (tmp_path / "m.json").write_text(
        json.dumps(
            {
                "env_id": CARTPOLE,
                "kind": "actor_critic",
                "weights": "w.safetensors",
                "architecture": {"net_arch": [width, width]},
            }
        )
    )
    return {
        "env_id": CARTPOLE,
        "source": "declared",
        "path": str(tmp_path / "m.json"),
        "training": {},
    }


def test_seed_blocks_are_disjoint_and_heldout():
    a, b = seeds_for(0, 5), seeds_for(1, 5)
    assert a == list(range(HELDOUT_BASE, HELDOUT_BASE + 5))
    assert not set(a) & set(b) and min(b) == HELDOUT_BASE + 5


def test_worker_streams_one_result_per_cell(tmp_path):
    path = save_cartpole(tmp_path / "good", GOOD)
    seen = []
    ref = {"env_id": CARTPOLE, "source": "artifact", "path": str(path), "training": {}}
    results = run_job(_job(ref, (3, 5)), timeout_s=120, memory_mb=2048, on_cell=seen.append)
    assert seen == results and [r["seed_index"] for r in results] == [3, 5]
    assert all(r["status"] == "ok" and r["returns"] == [500.0, 500.0] for r in results)
    assert results[0]["seeds"] == seeds_for(3, 2)


def test_address_space_limit_stops_a_huge_declared_network(tmp_path):
    results = run_job(_job(_huge(tmp_path, 60000)), timeout_s=120, memory_mb=1024)
    assert [r["failure_kind"] for r in results] == ["memory", "memory"]
    assert "1024 MB" in results[0]["reason"]


def test_resident_memory_watchdog_stops_it_without_rlimit(tmp_path):
    """The guard used with CUDA (no RLIMIT_AS): the parent kills the worker past the limit."""
    results = run_job(
        _job(_huge(tmp_path, 25000)), timeout_s=120, memory_mb=1024, address_limit=False
    )
    assert [r["failure_kind"] for r in results] == ["memory", "memory"]
    assert "resident memory" in results[0]["reason"]


def test_missing_policy_files_are_an_error_not_a_crash(tmp_path):
    ref = {
        "env_id": CARTPOLE,
        "source": "artifact",
        "path": str(tmp_path / "nowhere"),
        "training": {},
    }
    results = run_job(_job(ref, (0,)), timeout_s=120, memory_mb=2048)
    assert results[0]["status"] == "failed" and results[0]["failure_kind"] == "error"
    assert "not a policy artifact" in results[0]["reason"]
