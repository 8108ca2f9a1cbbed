"""``ilkit train ALGORITHM``: train a registered algorithm and save a weights-only policy."""

from __future__ import annotations

import click

from ilkit.algorithms import registry
from ilkit.algorithms.errors import UnknownAlgorithmError


class AlgorithmName(click.ParamType):
    """A registered algorithm's name, read from the registry when the command runs."""

    name = "algorithm"

    def get_metavar(self, param, ctx=None) -> str:
        return "{" + "|".join(registry.names()) + "}"

    def convert(self, value, param, ctx) -> str:
        try:
            return registry.get(value).name
        except UnknownAlgorithmError as err:
            self.fail(str(err), param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(n) for n in registry.names() if n.startswith(incomplete.lower())]


class TrainCommand(click.Command):
    """``ilkit train --help`` lists the registered algorithms with their one-line summaries."""

    def format_help_text(self, ctx, formatter) -> None:
        super().format_help_text(ctx, formatter)
        specs = [registry.get(name) for name in registry.names()]
        with formatter.section("Algorithms"):
            formatter.write_dl([(s.name, s.summary) for s in specs])


@click.command(
    cls=TrainCommand,
    epilog="""\b
Examples:
  ilkit train bc --env ilkit/CartPole-v0 --seed 0 --out runs/bc-cartpole
  ilkit train dagger --env ilkit/Pendulum-v0 --demos 5 --seed 1 --out runs/dagger
  ilkit train gail --env ilkit/CartPole-v0 --seed 0 --out runs/gail \\
      --set total_timesteps=50000 --set net_arch=64,64
  ilkit train airl --env ilkit/Pendulum-v0 --show-config   (config keys, defaults, help)

\b
The run directory holds policy/ (score it with `ilkit evaluate OUT/policy --env ID`),
metrics.json, learning_curve.png and tb/ (tensorboard --logdir OUT/tb)."""
)
@click.argument("algorithm", type=AlgorithmName())
@click.option("--env", "env_id", required=True, help="Task id, e.g. ilkit/CartPole-v0.")
@click.option(
    "--dataset",
    "dataset_id",
    help="Minari dataset of demonstrations [default: the task's expert dataset, generated "
    "from the bundled expert if missing].",
)
@click.option(
    "--demos",
    "n_demos",
    type=click.IntRange(min=1),
    help="Expert episodes to use (the first K) [default: all; 25 on MuJoCo].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**31 - 1),
    help="Seed of torch, numpy, training envs and batch order (required unless --show-config).",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="auto: CUDA when available; policy, reward net and batches then live there.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Run directory (required unless --show-config).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value (repeatable); --show-config lists the keys.",
)
@click.option("--force", is_flag=True, help="Replace the policy and metrics of an earlier run.")
@click.option(
    "--checkpoint-dir",
    type=click.Path(file_okay=False),
    help="GAIL/AIRL with SAC: save the run's state here every 10 minutes; rerunning the same "
    "command resumes a killed run from it (deleted when the run finishes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option(
    "--show-config",
    is_flag=True,
    help="Print the resolved config (task defaults + --set) with each key's help; no training.",
)
def train(
    algorithm: str,
    env_id: str,
    dataset_id: str | None,
    n_demos: int | None,
    seed: int | None,
    device: str,
    out_dir: str | None,
    overrides: tuple[str, ...],
    force: bool,
    checkpoint_dir: str | None,
    as_json: bool,
    show_config: bool,
) -> None:
    """Train ALGORITHM on a task from its expert demonstrations.

    \b
    GAIL/AIRL generators (--set generator=...):
      ppo   imitation's on-policy trainer (the default outside MuJoCo)
      sac   off-policy SAC, rewards relabelled by the current discriminator
            (DAC-style; MuJoCo default: 50k-300k steps instead of millions)

    Configs start from per-task defaults (imitation's tuned hyperparameters where they
    exist); the generator's discount is the task's γ.
    """
    from ilkit.algorithms.configs import field_help, make_config, parse_overrides, to_dict
    from ilkit.output import echo_json

    config = make_config(algorithm, env_id, parse_overrides(overrides))
    if show_config:
        helps = field_help(type(config))
        values = to_dict(config)
        if as_json:
            echo_json({k: {"value": v, "help": helps.get(k, "")} for k, v in values.items()})
        else:
            for key, value in values.items():
                click.echo(f"{key} = {value}\n    {helps.get(key, '')}")
        return
    missing = [name for name, value in (("--seed", seed), ("--out", out_dir)) if value is None]
    if missing:
        raise click.UsageError(f"missing option(s) {', '.join(missing)}")

    from ilkit.algorithms.training import train as run_training

    result = run_training(
        algorithm,
        env_id,
        dataset_id=dataset_id,
        n_demos=n_demos,
        config=config,
        seed=seed,
        device=device,
        out_dir=out_dir,
        overwrite=force,
        checkpoint_dir=checkpoint_dir,
    )
    if as_json:
        echo_json(result.to_dict())
        return
    final = result.metrics["final"]
    score = final.get("normalized_score")
    click.echo(f"policy: {result.artifact_path}")
    if result.metrics.get("reward_path"):
        click.echo(f"reward: {result.metrics['reward_path']}")
    click.echo(
        f"validation mean return {final['mean_return']:.2f} ± {final['std_return']:.2f}"
        + (f", normalized {score:.3f}" if score is not None else "")
        + f" ({final['n_episodes']} episodes)"
    )
    used = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.consumption.items() if v)
    click.echo(f"used: {used or 'nothing'}; wall time {result.wall_time_s:.1f} s")
