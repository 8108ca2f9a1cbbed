"""Leaderboard throughput: the price of sandboxing, and what workers and Ray buy back.

The same board (``--subs`` hand-made CartPole policies x 1 task x ``--seeds`` cells x
``--episodes`` episodes) is scored four ways, timed end to end:

* anchor: ``ilkit.evaluation.evaluate`` in this process, cell after cell (no isolation);
* ``leaderboard run``, local process pool: 1 worker cold and warm, 2 workers warm;
* ``leaderboard run --backend ray`` (local cluster, 2 CPUs; includes starting Ray).

Every leaderboard run starts from an empty output directory. Ratios are anchor time / method
time (higher is faster) from this run only. Usage::

    python benchmarks/leaderboard.py           # writes benchmarks/results/leaderboard.md
    python benchmarks/leaderboard.py --quick
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch as th  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from policyhelpers import CARTPOLE, save_cartpole  # noqa: E402

from ilkit.evaluation import evaluate  # noqa: E402
from ilkit.leaderboard.leaderboard import BoardConfig, run_leaderboard  # noqa: E402
from ilkit.leaderboard.testseeds import SeedSplit  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "leaderboard.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.subs, args.seeds, args.episodes = 3, 2, 5
    th.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="ilkit-bench-board-"))
    subs = work / "subs"
    for i in range(args.subs):
        save_cartpole(subs / f"entry{i}", (0.0, 0.0, 1.0, i / max(1, args.subs - 1)))
    episodes = args.subs * args.seeds * args.episodes

    rows = []
    start = time.perf_counter()
    for i in range(args.subs):
        for k in range(args.seeds):
            evaluate(
                str(subs / f"entry{i}"),
                CARTPOLE,
                n_episodes=args.episodes,
                seeds=SeedSplit("validation").seeds(CARTPOLE, k, args.episodes),
                device="cpu",
            )
    anchor = time.perf_counter() - start
    rows.append(("anchor: evaluate() in-process", anchor))

    methods = [
        ("leaderboard, local, 1 worker, cold (starts the forkserver)", "local", 1),
        ("leaderboard, local, 1 worker, warm", "local", 1),
        ("leaderboard, local, 2 workers, warm", "local", 2),
    ]
    if not args.no_ray:
        methods.append(("leaderboard, ray, 2 workers", "ray", 2))
    for n, (name, backend, workers) in enumerate(methods):
        config = BoardConfig(
            envs=(CARTPOLE,),
            episodes=args.episodes,
            seeds=args.seeds,
            workers=workers,
            backend=backend,
            timeout_s=600,
        )
        start = time.perf_counter()
        run_leaderboard(subs, work / f"out-{n}", config, log=lambda m: None)
        rows.append((name, time.perf_counter() - start))

    lines = [
        "# Leaderboard throughput",
        "",
        f"`python benchmarks/leaderboard.py{' --quick' if args.quick else ''}` on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, torch {th.__version__}. Board: {args.subs} "
        f"submissions x {CARTPOLE} x {args.seeds} seeds x {args.episodes} episodes "
        f"({episodes} episodes of 500 steps, {args.subs} worker processes).",
        "",
        "| method | seconds | episodes/s | ratio vs anchor |",
        "|---|---|---|---|",
    ]
    for name, seconds in rows:
        lines.append(
            f"| {name} | {seconds:.1f} | {episodes / seconds:.1f} | {anchor / seconds:.2f} |"
        )
    overhead = (rows[2][1] - anchor) / args.subs
    lines += [
        "",
        f"Sandboxing cost once warm: about {overhead:.2f} s per submission x task (fork from "
        "the preloaded forkserver, limits, policy load). The cold run adds the one-time start "
        "of the forkserver (a Python process importing torch and SB3); Ray adds its cluster "
        "start and a forkserver per Ray worker. Load average at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a machine shared with other jobs).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
