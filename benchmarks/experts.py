"""Re-measure every bundled expert and write the table to ``benchmarks/results/experts.md``.

For each task: the expert's mean true return over the 50 held-out seeds (deterministic
actions), re-measured now and compared with its manifest figure and the issue's quality bar,
beside a uniform random policy measured in the same run (the anchor: the normalized score is
(expert - random) / (manifest expert - random)) and imitation's published expert where there
is one. Throughput of the expert's batched evaluation is reported as a ratio to the random
policy's in the same run (policy cost on top of the simulator). Usage::

    python benchmarks/experts.py [--episodes 50] [--envs ilkit/CartPole-v0 ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

RESULTS = Path(__file__).parent / "results" / "experts.md"
# the bars (mean true return, 50 held-out seeds) and imitation's published experts
BARS = {
    "CartPole": 500, "MountainCar": -110, "Pendulum": -170, "LunarLander": 250,
    "LunarLanderContinuous": 250, "HalfCheetah": 3000, "Hopper": 2500, "Walker2d": 3000,
    "Swimmer": 300, "Ant": 2500, "Humanoid": None, "Detour": None,
}  # fmt: skip
IMITATION = {
    "CartPole": 500, "MountainCar": -97, "HalfCheetah": 1676, "Hopper": 203,
    "Walker2d": 2466, "Swimmer": 293, "Ant": 2461,
}  # fmt: skip


def _timed(policy, env_id: str, episodes: int):
    from ilkit.evaluation import evaluate

    start = time.perf_counter()
    result = evaluate(policy, env_id, n_episodes=episodes, device="cpu")
    return result, time.perf_counter() - start


def measure(env_id: str, episodes: int) -> dict:
    from ilkit.envs.tasks import spec
    from ilkit.evaluation import RandomPolicy, make_scoring_env
    from ilkit.experts import load, manifest

    task = spec(env_id)
    info = manifest(env_id)
    expert, t_expert = _timed(load(env_id, device="cpu"), env_id, episodes)
    env = make_scoring_env(env_id)
    random, t_random = _timed(RandomPolicy(env.action_space, seed=0), env_id, episodes)
    env.close()
    recorded = info["true_return"]["mean"]
    bar = BARS[task.name]
    return {
        "task": task.name,
        "algorithm": info["algorithm"],
        "timesteps": info.get("timesteps") or 0,
        "bar": bar,
        "manifest": recorded,
        "mean": expert.mean,
        "std": expert.std,
        "passes": None if bar is None else expert.mean >= bar,
        "random": random.mean,
        "normalized": (expert.mean - random.mean) / (recorded - random.mean),
        "imitation": IMITATION.get(task.name),
        "speed_ratio": t_random / t_expert,
    }


def _mujoco_version() -> str:
    import mujoco

    return mujoco.__version__


def write_table(rows: list[dict], episodes: int) -> str:
    lines = [
        "# Bundled experts: true return re-measured",
        "",
        f"`python benchmarks/experts.py --episodes {episodes}` on {platform.machine()} "
        f"({os.cpu_count()} cores, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}); "
        f"{episodes} validation seeds, deterministic actions, mujoco {_mujoco_version()}. "
        "*normalized*: (re-measured - random) / (manifest - random), 1.0 = reproduces the "
        "manifest. *eval speed*: the expert's "
        "evaluation throughput as a ratio to a uniform random policy's in the same run (absorbing "
        "steps after a crash skip the simulator, so early-failing random play runs faster).",
        "",
        "| task | expert | steps trained | bar | manifest | re-measured (mean ± std) | passes "
        "| random (same run) | normalized | imitation's expert | eval speed vs random |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        passes = {None: "n/a", True: "yes", False: "**no**"}[r["passes"]]
        lines.append(
            f"| {r['task']} | {r['algorithm']} | {r['timesteps']:,} | {r['bar'] or 'record'} "
            f"| {r['manifest']:.1f} | {r['mean']:.1f} ± {r['std']:.1f} | {passes} "
            f"| {r['random']:.1f} | {r['normalized']:.3f} | {r['imitation'] or 'n/a'} "
            f"| {r['speed_ratio']:.2f} |"
        )
    missing = [t for t in BARS if f"ilkit/{t}-v0" not in {f"ilkit/{r['task']}-v0" for r in rows}]
    if missing:
        lines += ["", f"No expert bundled yet for: {', '.join(missing)}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    import torch

    from ilkit.experts import available
    from ilkit.progress import log

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--envs", nargs="*", help="task ids (default: every bundled expert)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for env_id in args.envs or available():
        rows.append(measure(env_id, args.episodes))
        r = rows[-1]
        log(f"{env_id}: {r['mean']:.1f} (manifest {r['manifest']:.1f}, random {r['random']:.1f})")
    text = write_table(rows, args.episodes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
