"""plot_curves draws one PNG per MuJoCo task from stored sweep rows and run directories."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import plot_curves  # noqa: E402


def _curve(scores):
    return [
        {"round": i + 1, "env_steps": 10_000 * (i + 1), "normalized_score": s, "mean_return": 0.0}
        for i, s in enumerate(scores)
    ]


def test_one_png_per_task_with_runs(tmp_path):
    work = tmp_path / "work"
    (work / "results").mkdir(parents=True)
    rows = [
        {"env_id": "ilkit/Hopper-v0", "algorithm": "bc", "seed": 0, "normalized_score": 0.97,
         "curve": [{"epoch": 10, "env_steps": 0, "normalized_score": 0.9}]},
        {"env_id": "ilkit/Hopper-v0", "algorithm": "dagger", "seed": 0, "normalized_score": 0.98,
         "curve": _curve([0.5, 0.9])},
        {"env_id": "ilkit/Hopper-v0", "algorithm": "gail", "seed": 1, "normalized_score": 0.3,
         "overrides": {"generator": "sac"}, "curve": _curve([0.1, 0.2, 0.3])},
    ]  # fmt: skip
    for i, row in enumerate(rows):
        (work / "results" / f"{i}.json").write_text(json.dumps(row))
    run = tmp_path / "run"
    run.mkdir()
    metrics = {
        "env_id": "ilkit/HalfCheetah-v0",
        "algorithm": "airl",
        "seed": 0,
        "config": {"generator": "sac"},
        "final": {"normalized_score": 0.4},
        "curve": _curve([0.0, 0.4]),
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    out = tmp_path / "out"
    out.mkdir()
    plot_curves.main(["--work-dir", str(work), "--runs", str(run), "--out-dir", str(out)])
    assert sorted(p.name for p in out.iterdir()) == [
        "curves-HalfCheetah-v0.png",
        "curves-Hopper-v0.png",
    ]  # Walker2d has no run: no empty figure
    assert all(p.stat().st_size > 10_000 for p in out.iterdir())


def test_adversarial_rows_name_their_generator_default_or_not():
    from baselines import label

    default = {"algorithm": "gail", "overrides": {}, "config": {"generator": "sac"}}
    chosen = {"algorithm": "airl", "overrides": {"generator": "ppo"}, "config": {}}
    assert label(default) == "gail generator=sac"  # the MuJoCo default, not a bare "gail"
    held = {"algorithm": "airl", "overrides": {}, "config": {"generator": "sac", "bc_weight": 0.4}}
    assert label(held) == "airl bc_weight=0.4 generator=sac"  # a default BC term is named
    off = {"algorithm": "airl", "overrides": {}, "config": {"generator": "sac", "bc_weight": 0.0}}
    assert label(off) == "airl generator=sac"
    assert label(chosen) == "airl generator=ppo"
    bc = {"algorithm": "bc", "overrides": {"n_epochs": "2"}, "config": {"n_epochs": 2}}
    assert label(bc) == "bc n_epochs=2"
