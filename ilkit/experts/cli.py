"""``ilkit expert``: train experts and show the bundled ones."""

from __future__ import annotations

import click


@click.group()
def expert() -> None:
    """Expert policies: the bundled ones (`show`) and how they are trained (`train`)."""


@expert.command()
@click.argument("env_id")
@click.option(
    "--algo",
    type=click.Choice(["ppo", "sac", "tqc", "ars"]),
    required=True,
    help="SB3 PPO/SAC, or sb3-contrib TQC / ARS (augmented random search, linear policy: "
    "cheap on a CPU, strong on Swimmer). SAC/TQC need continuous actions.",
)
@click.option(
    "--timesteps",
    type=int,
    required=True,
    help="Total environment steps; with --resume, the new total.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False),
    help="Checkpoints, config and best policy [default: ilkit-runs/<Name>-<algo>-s<seed>].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Where to export the expert artifact [default: <run-dir>/expert].",
)
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its checkpoint.")
@click.option("--n-envs", type=int, help="Parallel training envs [default: the rl-zoo value].")
@click.option(
    "--eval-every", type=int, help="Steps between validation evaluations [default: timesteps/20]."
)
@click.option(
    "--checkpoint-every", type=int, help="Steps between checkpoints [default: --eval-every]."
)
@click.option("--device", default="auto", show_default=True, help="cpu, cuda or auto.")
@click.option("--threads", type=int, default=1, show_default=True, help="torch CPU threads.")
@click.option(
    "--init-from",
    type=click.Path(exists=True, file_okay=False),
    help="Start from this artifact's weights (same algorithm and architecture): fine-tune, "
    "e.g. a bundled expert after a simulator change (ilkit/experts/bundled/<Name>).",
)
def train(env_id, algo, timesteps, seed, run_dir, out, resume, n_envs, eval_every,
          checkpoint_every, device, threads, init_from) -> None:  # fmt: skip
    """Train an expert for ENV_ID with rl-zoo hyperparameters on the true reward.

    \b
    Checkpoints every --checkpoint-every steps; after a kill, run the same command with
    --resume. The best policy by validation return (training seeds) is exported with its
    true return over the 50 held-out seeds. Example:
      ilkit expert train ilkit/LunarLander-v0 --algo ppo --timesteps 1000000 --seed 0
    """
    from ilkit.envs.tasks import spec
    from ilkit.experts.train import ExpertTrainConfig, train_expert
    from ilkit.processes import torch_threads

    task = spec(env_id)
    config = ExpertTrainConfig(
        env_id=task.id, algo=algo, timesteps=timesteps, seed=seed,
        run_dir=run_dir or f"ilkit-runs/{task.name}-{algo}-s{seed}", n_envs=n_envs,
        eval_every=eval_every, checkpoint_every=checkpoint_every, device=device,
        init_from=init_from,
    )  # fmt: skip
    with torch_threads(threads):
        path = train_expert(config, resume=resume, out=out)
    click.echo(str(path))


@expert.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Artifact directory to write [default: <run-dir>/expert].",
)
def export_cmd(run_dir: str, out: str | None) -> None:
    """Export a (possibly still running or killed) run's best policy as an expert artifact.

    The best policy by validation return is re-measured on the 50 held-out seeds and written
    with its manifest; copy the result to ilkit/experts/bundled/<Name>/ to bundle it.
    """
    from pathlib import Path

    from ilkit.experts.train import BEST, export

    best = Path(run_dir) / BEST
    if not best.is_dir():
        from ilkit.experts.train import ExpertTrainingError

        raise ExpertTrainingError(
            f"{run_dir} has no best policy yet (it is saved at each validation)"
        )
    click.echo(str(export(best, out or Path(run_dir) / "expert")))


@expert.command()
@click.argument("env_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
def show(env_id: str | None, as_json: bool) -> None:
    """The bundled experts' manifest figures (all tasks, or ENV_ID)."""
    from ilkit.envs.tasks import TASKS, spec
    from ilkit.experts import available, manifest

    ids = [spec(env_id).id] if env_id else list(TASKS)
    if env_id:
        manifest(ids[0])  # raises ExpertNotFoundError naming the tasks that have one
    have = set(available())
    rows = [_summary(i, manifest(i) if i in have else None) for i in ids]
    if as_json:
        from ilkit.output import echo_json

        echo_json(rows)
        return
    import sys

    from rich.console import Console
    from rich.table import Table

    table = Table("task", "algorithm", "return (50 held-out)", "timesteps", "seed", "architecture")
    for row in rows:
        ret = row["true_return"]
        table.add_row(
            row["env_id"],
            row["algorithm"] or "[dim]none bundled[/dim]",
            f"{ret['mean']:.1f} ± {ret['std']:.1f}" if ret else "",
            str(row["timesteps"] or ""),
            "" if row["seed"] is None else str(row["seed"]),
            row["architecture"] or "",
        )
    # piped output (files, CliRunner) gets a wide table rather than wrapped task ids
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _summary(env_id: str, manifest: dict | None) -> dict:
    if manifest is None:
        return {"env_id": env_id, "bundled": False, "algorithm": None, "true_return": None,
                "timesteps": None, "seed": None, "architecture": None}  # fmt: skip
    arch = manifest.get("architecture") or {}
    arch_text = manifest.get("controller") if manifest["kind"] == "scripted" else (
        f"{manifest['kind']} {arch.get('net_arch')} {arch.get('activation')}"
    )  # fmt: skip
    return {
        "env_id": env_id,
        "bundled": True,
        "algorithm": manifest.get("algorithm"),
        "true_return": manifest.get("true_return"),
        "timesteps": manifest.get("timesteps"),
        "seed": manifest.get("seed"),
        "architecture": arch_text,
        "obs_norm": "obs_norm" in manifest,
        "hyperparameters": manifest.get("hyperparameters"),
        "versions": manifest.get("versions"),
    }
