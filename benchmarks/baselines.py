"""Baseline table: BC, DAgger, GAIL and AIRL on the tasks that have a bundled expert.

Each (task, algorithm, seed) is one ``ilkit.algorithms.train`` run with the task's default
config (``ilkit train ALGO --env ENV --seed S``), scored by ``ilkit.evaluation.evaluate`` on
the held-out seeds (50 episodes) and normalized with the task's random and expert references:
(R - random) / (expert - random). Runs are cached in ``--work-dir`` (one JSON each), so the
table can be built over several invocations; the markdown is rewritten from every cached run
each time. Usage::

    python benchmarks/baselines.py                                  # every task with an expert
    python benchmarks/baselines.py --envs ilkit/CartPole-v0 --algos bc dagger --seeds 0 1 2
    python benchmarks/baselines.py --table-only                     # rewrite the markdown
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "baselines.md"
WORK_DIR = Path(tempfile.gettempdir()) / "ilkit-baselines"
ALGOS = ("bc", "dagger", "gail", "airl")
CLASSIC = ("ilkit/CartPole-v0", "ilkit/Pendulum-v0", "ilkit/LunarLander-v0")
MUJOCO = ("ilkit/HalfCheetah-v0", "ilkit/Hopper-v0", "ilkit/Walker2d-v0")
# issue 5's targets (normalized score, mean over seeds) within <= 10 CPU minutes a run
TARGETS = {
    **{(env, algo): 0.95 for env in CLASSIC for algo in ("bc", "dagger")},
    **{(env, algo): 0.9 for env in CLASSIC[:2] for algo in ("gail", "airl")},
    **{(env, algo): 0.9 for env in MUJOCO for algo in ("bc", "dagger")},
}
TIME_LIMIT_S = 600


def run_one(env_id: str, algo: str, seed: int, work: Path, eval_episodes: int) -> dict:
    from ilkit.algorithms import train
    from ilkit.evaluation.evaluate import evaluate

    out = work / "runs" / f"{env_id.split('/')[-1]}-{algo}-{seed}"
    result = train(algo, env_id, seed=seed, device="cpu", out_dir=out, overwrite=True)
    score = evaluate(result.artifact_path, env_id, n_episodes=eval_episodes, device="cpu")
    row = {
        "env_id": env_id,
        "algorithm": algo,
        "seed": seed,
        "mean_return": score.mean,
        "std_return": score.std,
        "normalized_score": score.normalized_score,
        "eval_episodes": eval_episodes,
        "train_wall_time_s": result.metrics["wall_time_s"],
        "train_cpu_time_s": result.metrics.get("cpu_time_s"),
        "env_steps": result.env_steps,
        "expert_queries": result.expert_queries,
        "n_demos": result.n_demos,
        "config": result.metrics["config"],
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    shutil.rmtree(out, ignore_errors=True)  # the table keeps the figures, not the weights
    return row


def cache_path(work: Path, env_id: str, algo: str, seed: int) -> Path:
    return work / "results" / f"{env_id.split('/')[-1]}-{algo}-{seed}.json"


def load_rows(work: Path) -> list[dict]:
    folder = work / "results"
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _fmt(values: list[float], digits: int = 2) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def write_table(rows: list[dict], out: Path, commands: list[str]) -> None:
    from ilkit.envs import spec

    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["env_id"], row["algorithm"]), []).append(row)
    order = {env: i for i, env in enumerate((*CLASSIC, *MUJOCO))}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), k[0], ALGOS.index(k[1])))
    lines = [
        "# Baselines: BC, DAgger, GAIL, AIRL",
        "",
        "Each run: `ilkit train ALGO --env ENV --seed S --device cpu` with the task's default "
        "config (`ilkit train ALGO --env ENV --show-config`), then `ilkit evaluate` on "
        "held-out seeds. Normalized score = (R - random) / (expert - random) with the task's "
        "references (`ilkit/envs/references.json`). Mean ± std over seeds.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, CPU only, one torch thread "
        "per run. The cores were shared with other jobs while these ran (load average 5-8), "
        "so wall times are inflated; CPU time (the process's, where recorded) is the budget "
        "that counts against the 10 CPU-minute target.",
        "",
        "| task | algorithm | seeds | normalized score | mean return | target | "
        "train wall (s) | train CPU (s) | env steps | expert queries | demos |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        group = sorted(groups[key], key=lambda r: r["seed"])
        scores = [r["normalized_score"] for r in group if r["normalized_score"] is not None]
        target = TARGETS.get(key)
        times = [r["train_wall_time_s"] for r in group]
        cpu = [r["train_cpu_time_s"] for r in group if r.get("train_cpu_time_s") is not None]
        verdict = ""
        if target is not None and scores:
            # the time limit is in CPU minutes; wall time where CPU time was not recorded
            ok = np.mean(scores) >= target and max(cpu or times) <= TIME_LIMIT_S
            verdict = f"{target} {'met' if ok else '**not met**'}"
        lines.append(
            f"| {key[0]} | {key[1]} | {len(group)} | {_fmt(scores, 3)} "
            f"| {_fmt([r['mean_return'] for r in group], 1)} | {verdict or '-'} "
            f"| {_fmt(times, 0)} | {_fmt(cpu, 0)} "
            f"| {int(np.mean([r['env_steps'] for r in group]))} "
            f"| {int(np.mean([r['expert_queries'] for r in group]))} | {group[0]['n_demos']} |"
        )
    refs = sorted({r["env_id"] for r in rows}, key=lambda e: order.get(e, 99))
    lines += ["", "References (true return, held-out seeds):", ""]
    for env_id in refs:
        task = spec(env_id)
        lines.append(
            f"- {env_id}: random {task.ref_random_return:.1f}, expert {task.ref_expert_return:.1f}"
        )
    lines += [
        "",
        "Per run:",
        "",
        "| task | algorithm | seed | normalized | return | time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for key in keys:
        for r in sorted(groups[key], key=lambda r: r["seed"]):
            norm = r["normalized_score"]
            lines.append(
                f"| {r['env_id']} | {r['algorithm']} | {r['seed']} "
                f"| {'n/a' if norm is None else f'{norm:.3f}'} | {r['mean_return']:.1f} "
                f"| {r['train_wall_time_s']:.0f} |"
            )
    lines += ["", "Commands that produced this table:", "", "```"]
    lines += commands or ["python benchmarks/baselines.py"]
    lines += ["```", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, out)


def default_envs() -> list[str]:
    from ilkit.experts import available

    have = set(available())
    return [e for e in (*CLASSIC, *MUJOCO) if e in have]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", nargs="+", help="default: tasks with a bundled expert")
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--rerun", action="store_true", help="ignore cached runs")
    parser.add_argument("--table-only", action="store_true", help="only rewrite the markdown")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("MINARI_DATASETS_PATH", str(args.work_dir / "minari"))
    log_file = args.work_dir / "commands.txt"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if not args.table_only:
        envs = args.envs or default_envs()
        command = (
            f"python benchmarks/baselines.py --envs {' '.join(envs)} --algos "
            f"{' '.join(args.algos)} --seeds {' '.join(map(str, args.seeds))}"
        )
        with log_file.open("a") as f:
            f.write(command + "\n")
        for env_id in envs:
            for algo in args.algos:
                for seed in args.seeds:
                    path = cache_path(args.work_dir, env_id, algo, seed)
                    if path.exists() and not args.rerun:
                        continue
                    row = run_one(env_id, algo, seed, args.work_dir, args.eval_episodes)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(row, indent=2))
                    norm = row["normalized_score"]
                    print(
                        f"{env_id} {algo} seed {seed}: return {row['mean_return']:.1f}, "
                        f"normalized {norm if norm is None else round(norm, 3)}, "
                        f"{row['train_wall_time_s']:.0f} s",
                        flush=True,
                    )
                    write_table(load_rows(args.work_dir), args.out, _commands(log_file))
    write_table(load_rows(args.work_dir), args.out, _commands(log_file))
    print(f"wrote {args.out}")


def _commands(log_file: Path) -> list[str]:
    if not log_file.exists():
        return []
    return list(dict.fromkeys(log_file.read_text().splitlines()))


if __name__ == "__main__":
    main()
