"""The baseline sweep: a tiny CartPole BC sweep on the local backend, then on a real local Ray
cluster, resuming from the runs stored by the first (a killed sweep restarts the same way: each
finished run is one atomically written file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "baselines.py"
TINY = ["--envs", "ilkit/CartPole-v0", "--algos", "bc", "--demos", "2", "--eval-episodes", "3"]
TINY += ["--set", "n_epochs=2", "--set", "eval_every=0"]


def _sweep(tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *TINY, "--work-dir", str(tmp_path / "work")]
        + ["--out", str(tmp_path / "table.md"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _results(tmp_path: Path) -> dict[str, dict]:
    folder = tmp_path / "work" / "results"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_sweep_local_then_ray_resumes(tmp_path):
    marker = "<!-- kept by baselines.py: hand-written notes below -->"
    (tmp_path / "table.md").write_text(f"stale table\n{marker}\nnotes and figures\n")
    out = _sweep(tmp_path, "--seeds", "0")
    assert "1 run(s) to do" in out
    first = _results(tmp_path)
    assert len(first) == 1
    (name0,) = first
    stamp = (tmp_path / "work" / "results" / name0).stat().st_mtime_ns

    # seed 0 is stored: the Ray sweep (a local cluster of 2 CPUs) trains only seed 1
    out = _sweep(tmp_path, "--seeds", "0", "1", "--backend", "ray", "--workers", "2")
    assert "1 run(s) to do" in out
    rows = _results(tmp_path)
    assert len(rows) == 2  # no temporary or partial files next to the results
    assert (tmp_path / "work" / "results" / name0).stat().st_mtime_ns == stamp
    assert sorted(r["seed"] for r in rows.values()) == [0, 1]
    for row in rows.values():
        assert row["overrides"] == {"n_epochs": "2", "eval_every": "0"}
        assert row["config"]["n_epochs"] == 2 and row["n_demos"] == 2
        assert row["normalized_score"] is not None and row["eval_episodes"] == 3
    table = (tmp_path / "table.md").read_text()
    assert "| ilkit/CartPole-v0 | bc eval_every=0 n_epochs=2 | 2 |" in table
    assert "stale table" not in table and table.endswith(f"{marker}\nnotes and figures\n")

    out = _sweep(tmp_path, "--seeds", "0", "1", "--backend", "ray", "--workers", "2")
    assert "0 run(s) to do" in out  # nothing left: Ray is not even started
    # the log of commands lists the resumed sweep once, not once per try
    logged = (tmp_path / "work" / "commands.txt").read_text().splitlines()
    assert len(logged) == 2 and logged[1].endswith(
        "--seeds 0 1 --demos 2 --set n_epochs=2 --set eval_every=0"
    )


def test_stored_run_of_other_defaults_is_refused_not_mislabelled(tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    from baselines import cache_path

    from ilkit.algorithms.configs import make_config, to_dict

    overrides = {"n_epochs": "2", "eval_every": "0"}
    config = to_dict(make_config("bc", "ilkit/CartPole-v0", overrides))
    path = cache_path(tmp_path / "work", "ilkit/CartPole-v0", "bc", 0, overrides)
    path.parent.mkdir(parents=True)
    row = {"env_id": "ilkit/CartPole-v0", "algorithm": "bc", "seed": 0, "overrides": overrides}
    row |= {"mean_return": 500.0, "std_return": 0.0, "normalized_score": 1.0, "n_demos": 2}
    row |= {"eval_episodes": 3, "train_wall_time_s": 1.0, "train_cpu_time_s": 1.0}
    row |= {"env_steps": 0, "expert_queries": 0, "curve": []}
    del config["ent_weight"]  # a key added after the run: counts at its off value
    path.write_text(json.dumps({**row, "config": config}))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, str(SCRIPT), *TINY, "--work-dir", str(tmp_path / "work")]
    command += ["--out", str(tmp_path / "table.md"), "--seeds", "0"]
    ok = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0 and "0 run(s) to do" in ok.stdout, ok.stderr[-2000:]

    path.write_text(json.dumps({**row, "config": {**config, "lr": 0.5}}))  # older defaults
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode != 0
    assert "another config than these defaults give (lr differ)" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_every_committed_row_is_what_its_command_gives_with_todays_defaults():
    """A change of a task default (or of an algorithm's name) must move or rerun the committed
    rows it touches: a row that no longer matches would be mislabelled in baselines.md."""
    sys.path.insert(0, str(SCRIPT.parent))
    from baselines import cache_path, stale_keys

    work = ROOT / "benchmarks" / "results" / "baselines-runs"
    rows = sorted((work / "results").glob("*.json"))
    assert len(rows) > 50
    for path in rows:
        row = json.loads(path.read_text())
        overrides = row.get("overrides") or {}
        assert stale_keys(row, overrides) == [], path.name
        assert cache_path(work, row["env_id"], row["algorithm"], row["seed"], overrides) == path
