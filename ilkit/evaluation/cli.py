"""``ilkit evaluate``: true-reward scoring of one policy from the command line."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("artifact", type=click.Path(exists=True, path_type=Path))
@click.option("--env", "env_id", help="Task id, e.g. ilkit/CartPole-v0 [default: the artifact's].")
@click.option(
    "--episodes",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="Episodes, on the public validation seeds 2**31, 2**31+1, ...",
)
@click.option(
    "--min-score",
    type=float,
    default=None,
    help="Exit with code 3 if the normalized score is below this.",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1 ...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def evaluate(
    artifact: Path,
    env_id: str | None,
    episodes: int,
    min_score: float | None,
    device: str,
    as_json: bool,
) -> None:
    """Score a policy ARTIFACT with the task's true (hidden) reward.

    \b
    ARTIFACT is a policy artifact directory (manifest.json + policy.safetensors), a
    declared JSON manifest, or a leaderboard submission (a folder or .zip / .tar.gz of
    one, read exactly as the board reads it: `ilkit leaderboard check` checks the same
    thing); --env picks the task of a several-task submission. Episodes run on the
    public validation seeds, which no dataset or training run uses (a leaderboard with a
    secret scores on its own test seeds instead). Prints each episode's return, the mean,
    std and the normalized score (R - random) / (expert - random), "n/a" until the task's
    reference returns are measured.

    \b
    Example:
      ilkit evaluate runs/bc-cartpole --env ilkit/CartPole-v0 --episodes 20 --min-score 0.9
    """
    from ilkit.errors import CheckFailedError, IlkitError
    from ilkit.evaluation.evaluate import evaluate as run_evaluation
    from ilkit.output import echo_json
    from ilkit.policies.submission import load_for_evaluation
    from ilkit.progress import progress_bar

    policy = load_for_evaluation(artifact, env_id, device=device)
    env_id = env_id or policy.manifest.get("env_id")
    if not env_id:
        raise IlkitError(f"{artifact} does not name its task: pass --env")
    with progress_bar(episodes, f"evaluate {env_id}") as advance:
        result = run_evaluation(
            policy, env_id, n_episodes=episodes, device=device, progress=advance
        )
    data = result.to_dict()
    if as_json:
        echo_json(data)
    else:
        for seed, ret in zip(result.seeds, result.returns, strict=True):
            click.echo(f"seed {seed}: return {ret:.2f}")
        score = result.normalized_score
        click.echo(
            f"{result.env_id}: mean {result.mean:.2f} ± {result.std:.2f} over "
            f"{len(result.returns)} episodes; normalized score "
            + ("n/a" if score is None else f"{score:.3f}")
        )
    if min_score is not None:
        if result.normalized_score is None:
            raise IlkitError(f"{env_id} has no reference returns yet: cannot check --min-score")
        if result.normalized_score < min_score:
            raise CheckFailedError(
                f"normalized score {result.normalized_score:.3f} is below --min-score {min_score}"
            )
