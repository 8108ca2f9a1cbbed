"""``ilkit quickstart``: the whole HR-MDP pipeline on CartPole in under a minute on a CPU.

Expert dataset X (generated from the bundled expert if missing) -> BC and DAgger trained
briefly -> a leaderboard of BC and DAgger with the expert and a uniform random policy as
reference rows, scored with the true reward in sandboxed processes on the public validation
split (a course's board adds a secret for test seeds). Nothing is downloaded.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import click

MARKER = ".ilkit-quickstart"
# Brief budgets: the leaderboard scores the policies, so no learning-curve evaluations.
QUICK_CONFIGS = {
    "bc": {"eval_every": 0},
    "dagger": {"eval_every": 0, "total_timesteps": 6_000, "round_min_timesteps": 2_000},
}


def run_quickstart(
    out: Path,
    *,
    env_id: str = "ilkit/CartPole-v0",
    n_demos: int = 10,
    episodes: int = 10,
    seeds: int = 3,
    seed: int = 0,
    device: str = "auto",
    log=print,
) -> dict[str, Any]:
    """Run the pipeline into ``out`` (replacing an earlier quickstart) and return the board."""

    from ilkit import datasets
    from ilkit.algorithms import train
    from ilkit.envs import spec
    from ilkit.errors import IlkitError
    from ilkit.leaderboard.leaderboard import BoardConfig, run_leaderboard

    for name, value in (("n_demos", n_demos), ("episodes", episodes), ("seeds", seeds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise IlkitError(f"quickstart: {name} must be a positive integer, got {value!r}")
    task = spec(env_id)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise IlkitError(f"{out} exists and was not made by quickstart; choose another --out")
    shutil.rmtree(out, ignore_errors=True)  # a rerun starts clean: no stale board cells
    out.mkdir(parents=True)
    (out / MARKER).touch()
    start = time.perf_counter()

    log(f"[1/4] expert dataset {task.dataset_id}")
    dataset = datasets.load(task.dataset_id)
    log(f"      {dataset.total_episodes} episodes, {dataset.total_steps} steps")

    submissions = out / "submissions"
    submissions.mkdir()
    for step, algo in ((2, "bc"), (3, "dagger")):
        log(f"[{step}/4] training {algo} on {n_demos} expert episodes")
        result = train(
            algo,
            task.id,
            n_demos=n_demos,
            config=QUICK_CONFIGS[algo],
            seed=seed,
            device=device,
            out_dir=out / "runs" / algo,
        )
        shutil.copytree(result.artifact_path, submissions / algo)
        log(
            f"      {result.wall_time_s:.0f} s, {result.env_steps} env steps, "
            f"{result.expert_queries} expert queries"
        )
    log(
        f"[4/4] leaderboard: BC, DAgger and 2 references x {seeds} seeds x {episodes} episodes "
        "on the public validation split"
    )
    config = BoardConfig(
        envs=(task.id,),
        episodes=episodes,
        seeds=seeds,
        device="cpu",
        with_references=True,  # the bundled expert and uniform random: rows, not submissions
        verified=("bc", "dagger"),  # trained just now by ilkit: tracks measured, not declared
    )
    board = run_leaderboard(submissions, out / "board", config, log=lambda m: log(f"      {m}"))
    log(f"done in {time.perf_counter() - start:.0f} s; reports in {out / 'board'}")
    return board


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("ilkit-quickstart"),
    show_default=True,
    help="Directory for runs, submissions and the leaderboard.",
)
@click.option(
    "--demos",
    "n_demos",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Expert episodes BC and DAgger learn from.",
)
@click.option(
    "--episodes",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Validation episodes per cell.",
)
@click.option(
    "--seeds", default=3, show_default=True, type=click.IntRange(min=1), help="Cells per policy."
)
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True
)
def quickstart(out: Path, n_demos: int, episodes: int, seeds: int, seed: int, device: str) -> None:
    """Generate CartPole's expert data, train BC and DAgger, and rank them on a leaderboard.

    \b
    The leaderboard (markdown) goes to stdout; progress to stderr; all reports
    (json, csv, md, html) to OUT/board. Takes under a minute on a 2-core CPU
    (about 15 s when the machine is otherwise idle).
    """
    from ilkit.progress import log

    run_quickstart(
        out, n_demos=n_demos, episodes=episodes, seeds=seeds, seed=seed, device=device, log=log
    )
    click.echo((out / "board" / "leaderboard.md").read_text())
