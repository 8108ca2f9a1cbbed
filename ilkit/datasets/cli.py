"""``ilkit generate`` and ``ilkit datasets list|show|verify|delete``."""

from __future__ import annotations

import click

_FORMAT = click.Choice(["hdf5", "arrow"])


@click.command()
@click.argument("env_id")
@click.option(
    "--episodes",
    "-n",
    type=click.IntRange(min=1),
    required=True,
    help="Episodes to record (each exactly the task's horizon).",
)
@click.option(
    "--seed",
    "-s",
    type=click.IntRange(0, 2**31 - 1),
    required=True,
    help="User seed; per-episode seeds are derived from it (never held-out seeds).",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to split the episodes over.",
)
@click.option(
    "--envs",
    "n_envs",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Episodes stepped in lock-step per worker (one batched predict per step).",
)
@click.option(
    "--format",
    "data_format",
    type=_FORMAT,
    default="hdf5",
    show_default=True,
    help="Minari storage format.",
)
@click.option(
    "--offline-rl-rewards",
    "--with-rewards",
    "with_rewards",
    is_flag=True,
    help="Record the hidden true reward, an offline-RL dataset outside the HR-MDP, as "
    "ilkit/<Name>/expert-withrewards-v0.",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, file_okay=False),
    help="A policy artifact directory to roll out instead of the bundled expert.",
)
@click.option(
    "--tier",
    type=click.Choice(["expert", "noisy", "medium", "mixed"]),
    default="expert",
    show_default=True,
    help="Dataset tier: the expert's actions, or with random actions mixed in (medium: the "
    "per-task eps that brings the expert to 30-60% of its normalized return; noisy: half that "
    "eps; mixed: half expert, half medium episodes). Writes ilkit/<Name>/<tier>-v0.",
)
@click.option("--force", is_flag=True, help="Replace an existing dataset (atomically).")
@click.option("--json", "as_json", is_flag=True, help="Print the new dataset's summary as JSON.")
def generate(
    env_id: str,
    episodes: int,
    seed: int,
    workers: int,
    n_envs: int,
    data_format: str,
    with_rewards: bool,
    policy_path: str | None,
    tier: str,
    force: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Generate the expert dataset X of ENV_ID as a Minari dataset.

    \b
    Writes ilkit/<Name>/expert-v0 where Minari keeps datasets (MINARI_DATASETS_PATH or
    ~/.minari/datasets): observations, actions, terminations (never), truncations (at the
    horizon) and zero rewards. The same (task, policy, seed, episodes, format) gives
    byte-identical data files whatever --workers and --envs. The dataset appears only when
    complete; an interrupted run leaves nothing behind.

    \b
    Examples:
      ilkit generate ilkit/CartPole-v0 --episodes 50 --seed 0 --workers 2
      ilkit generate ilkit/Hopper-v0 --episodes 25 --seed 0 --tier medium
    """
    from ilkit.datasets.generation import generate as run
    from ilkit.datasets.store import describe
    from ilkit.output import echo_json

    dataset = run(
        env_id, n_episodes=episodes, seed=seed, policy=policy_path, workers=workers,
        data_format=data_format, with_rewards=with_rewards, force=force, n_envs=n_envs,
        tier=tier,
    )  # fmt: skip
    summary = {k: v for k, v in describe(dataset.spec.dataset_id).items() if k != "metadata"}
    if as_json:
        echo_json(summary)
    else:
        click.echo(
            f"wrote {summary['dataset_id']}: {summary['episodes']} episodes, "
            f"{summary['steps']} steps, {summary['size_mb']} MB in {summary['path']}",
            err=True,
        )


@click.group()
def datasets() -> None:
    """Local expert datasets (Minari format): list, show, verify, delete.

    \b
    `minari list` and `minari show` read the same datasets; create them with
    `ilkit generate`, or let ilkit.datasets.load() generate a task's dataset on first use.
    """


@datasets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_(as_json: bool) -> None:
    """List local datasets: id, task, episodes, steps, format, size, rewards."""
    from ilkit.datasets.store import list_datasets
    from ilkit.output import echo_json

    rows = list_datasets()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        from ilkit.datasets.generation import datasets_root

        click.echo(f"no datasets in {datasets_root()} (create one with `ilkit generate`)", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("dataset id", "env", "episodes", "steps", "format", "MB", "rewards", "expert")
    for r in rows:
        if "error" in r:
            table.add_row(r["dataset_id"], f"[red]{r['error']}[/red]", *[""] * 6)
            continue
        rewards = "true" if r["with_rewards"] else ("zeros" if r["ilkit"] else "?")
        table.add_row(
            r["dataset_id"], str(r["env_id"]), str(r["episodes"]), str(r["steps"]),
            str(r["format"]), str(r["size_mb"]), rewards, str(r["expert"] or ""),
        )  # fmt: skip
    Console(width=200).print(table)


@datasets.command()
@click.argument("dataset_id")
@click.option("--json", "as_json", is_flag=True, help="Print the full metadata as JSON.")
def show(dataset_id: str, as_json: bool) -> None:
    """Show a dataset's summary, reference scores, expert and seeds.

    DATASET_ID is a Minari id (ilkit/CartPole/expert-v0) or a task id (ilkit/CartPole-v0).
    """
    from ilkit.datasets.store import describe
    from ilkit.output import echo_json

    info = describe(dataset_id)
    if as_json:
        echo_json(info)
        return
    meta = info["metadata"].get("ilkit") or {}
    lines = [
        ("dataset id", info["dataset_id"]),
        ("path", info["path"]),
        ("env", info["env_id"]),
        ("episodes", info["episodes"]),
        ("steps", info["steps"]),
        ("format", info["format"]),
        ("size (MB)", info["size_mb"]),
        ("expert", info["expert"]),
        ("seed", info["seed"]),
        ("rewards", meta.get("rewards", "not an ilkit dataset")),
        ("tier", _tier_line(meta.get("tier"))),
        ("ref_min_score", info["ref_min_score"]),
        ("ref_max_score", info["ref_max_score"]),
        ("ilkit version", meta.get("ilkit_version")),
        ("data files", len(meta.get("checksums") or {})),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        click.echo(f"{key:<{width}}  {value}")


@datasets.command()
@click.argument("dataset_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(dataset_id: str, as_json: bool) -> None:
    """Recompute checksums and check shapes, spaces and flags against the task.

    Exit code 3 (naming the bad file or episode) when a check fails.
    """
    from ilkit.datasets.verification import verify as run
    from ilkit.output import echo_json

    report = run(dataset_id)
    if as_json:
        echo_json(report)
    else:
        click.echo(
            f"ok {report['dataset_id']}: {report['files']} data file(s) match their sha256, "
            f"{report['episodes']} episodes / {report['steps']} steps fit {report['env_id']}"
        )


@datasets.command()
@click.argument("dataset_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(dataset_id: str, yes: bool) -> None:
    """Delete a local dataset."""
    from ilkit.datasets.store import delete as run
    from ilkit.datasets.store import read_metadata, resolve_id

    dataset_id = resolve_id(dataset_id)
    read_metadata(dataset_id)  # unknown id: a clear error before asking
    if not yes:
        click.confirm(f"delete {dataset_id}?", abort=True, err=True)
    path = run(dataset_id)
    click.echo(f"deleted {dataset_id} ({path})", err=True)


def _tier_line(tier) -> str:
    """``medium (eps 0.44): its policy scores 0.41 normalized`` for ``datasets show``."""
    if not isinstance(tier, dict):
        return "expert"
    eps = f" (eps {tier['eps']})" if "eps" in tier else ""
    score = tier.get("normalized_score")
    shown = f"{score:.2f}" if isinstance(score, (int, float)) else "not measured"
    return f"{tier.get('name')}{eps}: its policy scores {shown} normalized"
