"""Baseline table: BC, DAgger, GAIL and AIRL on the tasks that have a bundled expert.

Each (task, algorithm, seed) is one ``ilkit.algorithms.train`` run with the task's default
config (``ilkit train ALGO --env ENV --seed S``), scored by ``ilkit.evaluation.evaluate`` on
the held-out (validation) seeds (50 episodes) and normalized with the task's random and expert
references: (R - random) / (expert - random). Each finished run is one JSON file in
``--work-dir`` (written atomically, with the run's learning curve), so a killed sweep resumes
where it stopped: runs with a result are skipped, and a GAIL/AIRL run killed part-way goes on
from its last checkpoint (saved every 10 minutes in ``WORK_DIR/checkpoints/``). The markdown
is rewritten from every stored run each time.

Backends: ``local`` (default) runs one training at a time in worker processes of this machine
(``--workers`` at once); ``ray`` runs each training as a Ray task on a local cluster it starts
(``--workers`` CPUs) or, with ``--address``, on an existing cluster (each task needs ilkit
installed on its node; results come back to this process, which writes them). Usage::

    python benchmarks/baselines.py                                  # every task with an expert
    python benchmarks/baselines.py --envs ilkit/CartPole-v0 --algos bc dagger --seeds 0 1 2
    python benchmarks/baselines.py --backend ray --address auto     # on a running cluster
    python benchmarks/baselines.py --table-only                     # rewrite the markdown

The rows behind the committed table live in ``benchmarks/results/baselines-runs`` (a work dir:
``--work-dir benchmarks/results/baselines-runs`` adds runs to it and skips the stored ones).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "baselines.md"
WORK_DIR = Path(tempfile.gettempdir()) / "ilkit-baselines"
ALGOS = ("bc", "dagger", "gail", "airl")
"""The default sweep; ``airl_bc`` (AIRL with a BC term in the actor's loss, SAC only) by name."""
CHOICES = (*ALGOS, "airl_bc")
ADVERSARIAL = ("gail", "airl", "airl_bc")
CLASSIC = ("ilkit/CartPole-v0", "ilkit/Pendulum-v0", "ilkit/LunarLander-v0")
MUJOCO = ("ilkit/HalfCheetah-v0", "ilkit/Hopper-v0", "ilkit/Walker2d-v0")
# MuJoCo tasks whose GAIL/AIRL scores are recorded without a target (pass them with --envs)
MUJOCO_RECORDED = ("ilkit/Ant-v0", "ilkit/Swimmer-v0")
# Targets of the default configs: normalized score (mean over seeds) within a CPU time per run.
# Issue 5: 10 CPU-minutes; issue 12 (GAIL/AIRL on MuJoCo, <= 1M env steps): 90 CPU-minutes.
TARGETS = {
    **{(env, algo): 0.95 for env in CLASSIC for algo in ("bc", "dagger")},
    **{(env, algo): 0.9 for env in CLASSIC[:2] for algo in ("gail", "airl")},
    **{(env, algo): 0.9 for env in MUJOCO for algo in CHOICES},
}
TIME_LIMIT_S = 600
TIME_LIMITS_S = {(env, algo): 90 * 60 for env in MUJOCO for algo in ADVERSARIAL}
# everything after this line of the markdown is hand-written and kept when the table is rewritten
KEEP_MARKER = "<!-- kept by baselines.py: hand-written notes below -->"


def run_one(
    env_id: str,
    algo: str,
    seed: int,
    eval_episodes: int,
    overrides: dict[str, str],
    n_demos: int | None,
    minari_dir: str | None,
    checkpoint_dir: str | None = None,
) -> dict:
    """Train and score one cell; returns the result row (the caller stores it). A run killed
    part-way resumes from its checkpoint in ``checkpoint_dir`` (GAIL/AIRL with SAC)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if minari_dir:
        os.environ["MINARI_DATASETS_PATH"] = minari_dir
    from ilkit.algorithms import train
    from ilkit.evaluation.evaluate import evaluate

    with tempfile.TemporaryDirectory(prefix="ilkit-baseline-") as scratch:
        result = train(
            algo,
            env_id,
            seed=seed,
            n_demos=n_demos,
            config=overrides or None,
            device="cpu",
            out_dir=Path(scratch) / "run",
            checkpoint_dir=checkpoint_dir,
        )
        score = evaluate(result.artifact_path, env_id, n_episodes=eval_episodes, device="cpu")
    # the table keeps the figures and the curve, not the weights
    return {
        "env_id": env_id,
        "algorithm": algo,
        "seed": seed,
        "mean_return": score.mean,
        "std_return": score.std,
        "normalized_score": score.normalized_score,
        "eval_episodes": eval_episodes,
        "train_wall_time_s": result.metrics["wall_time_s"],
        "train_cpu_time_s": result.metrics.get("cpu_time_s"),
        "resumed_at_round": result.metrics.get("resumed_at_round"),
        "env_steps": result.env_steps,
        "expert_queries": result.expert_queries,
        "n_demos": result.n_demos,
        "overrides": overrides,
        "config": result.metrics["config"],
        "curve": result.metrics["curve"],
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def cache_path(
    work: Path, env_id: str, algo: str, seed: int, overrides: dict[str, str] | None = None
) -> Path:
    name = f"{env_id.split('/')[-1]}-{algo}-{seed}"
    if overrides:  # another config is another cell
        digest = hashlib.sha1(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
        name += f"-{digest}"
    return work / "results" / f"{name}.json"


def stale_keys(row: dict, overrides: dict[str, str]) -> list[str]:
    """The config keys whose stored value differs from what the defaults and ``overrides``
    resolve to now (a key added to ilkit after the run counts at its off value)."""
    from ilkit.algorithms.configs import make_config, to_dict

    current = make_config(row["algorithm"], row["env_id"], overrides)
    stored = {**to_dict(type(current)()), **row["config"]}
    return sorted(k for k, v in to_dict(current).items() if stored.get(k) != v)


def checkpoint_dir(work: Path, results_path: Path) -> Path:
    """Where the run of ``results_path`` keeps its mid-run checkpoint (gitignored)."""
    return work / "checkpoints" / results_path.stem


def store(path: Path, row: dict) -> None:
    from ilkit.atomic import write_json

    write_json(path, row)
    norm = row["normalized_score"]
    print(
        f"{row['env_id']} {row['algorithm']} seed {row['seed']}: return "
        f"{row['mean_return']:.1f}, normalized {norm if norm is None else round(norm, 3)}, "
        f"{row['train_wall_time_s']:.0f} s",
        flush=True,
    )


def run_local(jobs: list[tuple], workers: int, on_done) -> None:
    """Each run in a fresh worker process (a crash or leak stays in it), ``workers`` at once."""
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_exit_with_parent, initargs=(os.getpid(),)
    )
    with pool:
        futures = {pool.submit(run_one, *job): job for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            on_done(futures[future], future.result())


def _exit_with_parent(parent: int) -> None:
    """A worker stops when the sweep's process is gone (killed, not only Ctrl-C'd): it would
    otherwise go on using a core for a run nobody collects. Its checkpoint keeps the work."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_ray(jobs: list[tuple], workers: int, address: str | None, on_done) -> None:
    """Each run as a Ray task (1 CPU) on a local cluster, or on the one at ``address``."""
    import ray

    if address:
        ray.init(address=address)
    else:
        ray.init(num_cpus=workers, include_dashboard=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_one)
        pending = {remote.remote(*job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(done[0])
            on_done(job, ray.get(done[0]))
    finally:
        ray.shutdown()


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


# config keys that change what an adversarial run is: named in its label even when they are the
# task's default, so that a reader sees "airl ... bc_weight=0.4" and not a bare "airl"
NAMED_WHEN_SET = ("generator", "bc_weight")


def label(row: dict) -> str:
    """The algorithm column: ``bc``, ``bc n_epochs=2`` for a run with overrides; GAIL and AIRL
    always name their generator (``gail generator=sac``) and a BC term in the actor's loss,
    the task's default or not."""
    shown = dict(row.get("overrides") or {})
    config = row.get("config") or {}
    if row["algorithm"] in ADVERSARIAL:
        for key in NAMED_WHEN_SET:
            if config.get(key):
                shown.setdefault(key, config[key])
    extra = " ".join(f"{k}={v}" for k, v in sorted(shown.items()))
    return f"{row['algorithm']} {extra}".strip()


def write_table(rows: list[dict], out: Path, commands: list[str]) -> None:
    from ilkit.envs import spec

    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["env_id"], label(row)), []).append(row)
    order = {env: i for i, env in enumerate((*CLASSIC, *MUJOCO, *MUJOCO_RECORDED))}
    keys = sorted(
        groups,
        key=lambda k: (order.get(k[0], 99), k[0], CHOICES.index(k[1].split()[0]), k[1]),
    )
    lines = [
        "# Baselines: BC, DAgger, GAIL, AIRL",
        "",
        "Each run: `ilkit train ALGO --env ENV --seed S --device cpu` with the task's default "
        "config (`ilkit train ALGO --env ENV --show-config`), then `ilkit evaluate` on "
        "held-out seeds. Normalized score = (R - random) / (expert - random) with the task's "
        "references (`ilkit/envs/references.json`). Mean ± std over seeds.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, CPU only, one torch thread "
        "per run. The cores were shared with other runs of the sweep, so wall times are "
        "inflated; CPU time (the process's, where recorded) is the budget that counts: 10 "
        "CPU-minutes a run, 90 for GAIL/AIRL on MuJoCo (issue 12, with <= 1M env steps).",
        "",
        "| task | algorithm | seeds | normalized score | mean return | target | "
        "train wall (s) | train CPU (s) | env steps | expert queries | demos |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        group = sorted(groups[key], key=lambda r: r["seed"])
        scores = [r["normalized_score"] for r in group if r["normalized_score"] is not None]
        algo = key[1].split()[0]
        # targets are for the task's default config (a GAIL/AIRL label names its generator)
        target = None if group[0].get("overrides") else TARGETS.get((key[0], algo))
        times = [r["train_wall_time_s"] for r in group]
        cpu = [r["train_cpu_time_s"] for r in group if r.get("train_cpu_time_s") is not None]
        verdict = ""
        if target is not None and scores:
            # the time limit is in CPU minutes; wall time where CPU time was not recorded
            limit = TIME_LIMITS_S.get((key[0], algo), TIME_LIMIT_S)
            ok = np.mean(scores) >= target and max(cpu or times) <= limit
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
        "| task | algorithm | seed | normalized | return | time (s) | CPU (s) | env steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        for r in sorted(groups[key], key=lambda r: r["seed"]):
            norm = r["normalized_score"]
            lines.append(
                f"| {r['env_id']} | {label(r)} | {r['seed']} "
                f"| {'n/a' if norm is None else f'{norm:.3f}'} | {r['mean_return']:.1f} "
                f"| {r['train_wall_time_s']:.0f} "
                f"| {'n/a' if r.get('train_cpu_time_s') is None else round(r['train_cpu_time_s'])} "
                f"| {r['env_steps']} |"
            )
    lines += ["", "Commands that produced this table:", "", "```"]
    lines += commands or ["python benchmarks/baselines.py"]
    lines += ["```", ""]
    if out.exists() and KEEP_MARKER in out.read_text():  # hand-written notes and figures
        lines += [KEEP_MARKER + out.read_text().split(KEEP_MARKER, 1)[1].rstrip("\n"), ""]
    from ilkit.atomic import write_text

    write_text(out, "\n".join(lines))


def default_envs() -> list[str]:
    from ilkit.experts import available

    have = set(available())
    return [e for e in (*CLASSIC, *MUJOCO) if e in have]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", nargs="+", help="default: tasks with a bundled expert")
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=CHOICES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--demos", type=int, help="expert episodes per run (default: the task's)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override for every run (a separate cell in the cache)",
    )
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--workers", type=int, default=1, help="runs at once (local cluster CPUs)")
    parser.add_argument("--address", help="ray: an existing cluster (e.g. auto, ray://host:10001)")
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--rerun", action="store_true", help="ignore stored runs")
    parser.add_argument("--table-only", action="store_true", help="only rewrite the markdown")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from ilkit.algorithms.configs import parse_overrides

    overrides = parse_overrides(args.overrides)
    # absolute: Ray workers need not start in this directory
    args.work_dir = args.work_dir.absolute()
    minari_dir = str(
        Path(os.environ.get("MINARI_DATASETS_PATH") or args.work_dir / "minari").absolute()
    )
    os.environ["MINARI_DATASETS_PATH"] = minari_dir
    log_file = args.work_dir / "commands.txt"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if not args.table_only:
        envs = args.envs or default_envs()
        command = " ".join(
            [
                "python benchmarks/baselines.py --envs",
                *envs,
                "--algos",
                *args.algos,
                "--seeds",
                *map(str, args.seeds),
                *(["--demos", str(args.demos)] if args.demos else []),
                *(f"--set {k}={v}" for k, v in overrides.items()),
            ]
        )
        logged = log_file.read_text().splitlines() if log_file.exists() else []
        if command not in logged:  # a resumed sweep is the same command, listed once
            with log_file.open("a") as f:
                f.write(command + "\n")
        jobs = []
        for env_id in envs:
            for algo in args.algos:
                for seed in args.seeds:
                    path = cache_path(args.work_dir, env_id, algo, seed, overrides)
                    if path.exists() and not args.rerun:
                        changed = stale_keys(json.loads(path.read_text()), overrides)
                        if changed:
                            sys.exit(
                                f"error: {path} was run with another config than these "
                                f"defaults give ({', '.join(changed)} differ); its row would "
                                "be mislabelled. Pass --rerun, or a new --work-dir."
                            )
                    if args.rerun or not path.exists():
                        ckpt = checkpoint_dir(args.work_dir, path)
                        if args.rerun:  # a rerun starts over
                            shutil.rmtree(ckpt, ignore_errors=True)
                        jobs.append(
                            (env_id, algo, seed, args.eval_episodes, overrides, args.demos,
                             minari_dir, str(ckpt))
                        )  # fmt: skip
        print(f"{len(jobs)} run(s) to do; the others are stored in {args.work_dir}", flush=True)
        _prepare_datasets({job[0] for job in jobs}, args)

        def on_done(job: tuple, row: dict) -> None:
            store(cache_path(args.work_dir, job[0], job[1], job[2], overrides), row)
            write_table(load_rows(args.work_dir), args.out, _commands(log_file))

        if jobs and args.backend == "ray":
            run_ray(jobs, args.workers, args.address, on_done)
        elif jobs:
            run_local(jobs, args.workers, on_done)
    write_table(load_rows(args.work_dir), args.out, _commands(log_file))
    print(f"wrote {args.out}")


def _prepare_datasets(envs: set[str], args: argparse.Namespace) -> None:
    """Generate missing expert datasets once, here, rather than in racing workers (skipped for a
    remote cluster, whose nodes have their own data directories)."""
    if args.address:
        return
    from ilkit import datasets
    from ilkit.envs import spec

    for env_id in sorted(envs):
        datasets.load(spec(env_id).dataset_id, generate_if_missing=True)


def _commands(log_file: Path) -> list[str]:
    if not log_file.exists():
        return []
    return list(dict.fromkeys(log_file.read_text().splitlines()))


if __name__ == "__main__":
    main()
