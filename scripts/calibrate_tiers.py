"""Calibrate the dataset tiers: write ``ilkit/datasets/tiers.json`` (developer-only).

For each task, the medium tier's random-action probability eps is found by bisection on the
validation seeds so that the degraded bundled expert scores in the middle of 30-60% of the
expert's normalized true return; the noisy tier sits at a fixed fraction of it. The table is
rewritten atomically after every task (a long run keeps what it measured). Usage::

    python scripts/calibrate_tiers.py ilkit/Ant-v0 --episodes 5
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ilkit.datasets.tiers import CALIBRATION_STEPS, MEDIUM_TARGET, NOISY_FRACTION, tiers_path
from ilkit.envs.tasks import spec


def measure(env_id: str, eps: float, n_episodes: int) -> dict[str, Any]:
    """The bundled expert with random-action probability ``eps`` on the validation seeds."""
    import numpy as np

    from ilkit.datasets.rollout import rollouts
    from ilkit.envs.seeds import validation_seeds
    from ilkit.evaluation.evaluate import normalized_score
    from ilkit.experts import load

    policy = load(env_id, device="cpu")
    seeds = validation_seeds(n_episodes)
    with rollouts(env_id, seeds, policy, workers=1, n_envs=n_episodes, with_rewards=True,
                  noise=[eps] * n_episodes) as episodes:  # fmt: skip
        returns = [float(ep.rewards.sum()) for ep in episodes]
    mean = float(np.mean(returns))
    return {
        "eps": round(float(eps), 6),
        "mean_return": mean,
        "normalized_score": normalized_score(env_id, mean),
        "n_episodes": n_episodes,
    }


def calibrate(env_id: str, n_episodes: int) -> dict[str, Any]:
    """``medium`` by bisection on eps toward the band, then ``noisy`` at a fraction of it."""
    from ilkit.progress import log

    lo, hi = MEDIUM_TARGET
    aim = (lo + hi) / 2
    low_eps, high_eps = 0.0, 1.0
    best = None
    for _ in range(CALIBRATION_STEPS):
        eps = (low_eps + high_eps) / 2
        point = measure(env_id, eps, n_episodes)
        score = point["normalized_score"]
        if best is None or abs(score - aim) < abs(best["normalized_score"] - aim):
            best = point
        log(f"{env_id}: eps {eps:.4f} -> normalized {score:.3f}")
        if lo + 0.05 <= score <= hi - 0.05:
            break
        if score > aim:
            low_eps = eps
        else:
            high_eps = eps
    return {"noisy": noisy_at(env_id, best, n_episodes), "medium": best}


def noisy_at(env_id: str, medium: dict[str, Any], n_episodes: int) -> dict[str, Any]:
    return measure(env_id, NOISY_FRACTION * medium["eps"], n_episodes)


def main(argv: list[str] | None = None) -> None:
    from ilkit.atomic import write_json
    from ilkit.envs.tasks import TASKS
    from ilkit.experts import available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_ids", nargs="*", help="tasks to calibrate (default: all)")
    parser.add_argument("--episodes", type=int, default=20, help="validation episodes each")
    parser.add_argument(
        "--noisy-only", action="store_true", help="keep medium's eps; re-measure noisy only"
    )
    args = parser.parse_args(argv)
    path = tiers_path()
    table = json.loads(path.read_text()) if path.is_file() else {}
    for env_id in args.env_ids or available():
        env_id = spec(env_id).id
        if args.noisy_only:
            medium = table[env_id]["medium"]
            table[env_id]["noisy"] = noisy_at(env_id, medium, medium["n_episodes"])
        else:
            table[env_id] = calibrate(env_id, args.episodes)
        ordered = {i: table[i] for i in TASKS if i in table}
        write_json(path, ordered)  # after every task: a long run keeps what it measured
        m = table[env_id]["medium"]
        print(f"{env_id}: noisy {table[env_id]['noisy']['normalized_score']:.3f}, "
              f"medium eps {m['eps']} -> {m['normalized_score']:.3f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
