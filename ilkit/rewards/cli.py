"""``ilkit reward``: score a learned reward against the task's hidden one."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def reward() -> None:
    """Learned reward artifacts (OUT/reward/ of an IRL run)."""


@reward.command("evaluate")
@click.argument("reward_dir", metavar="REWARD", type=click.Path(exists=True, path_type=Path))
@click.option("--env", "env_id", help="Task id [default: the reward's], e.g. ilkit/LavaGrid-v0; "
              "'module:id' imports the module that registers it.")  # fmt: skip
@click.option("--coverage", type=click.Choice(["uniform", "expert"]), default="uniform",
              show_default=True, help="EPIC's coverage distribution over states.")  # fmt: skip
@click.option("--retrain-steps", type=click.IntRange(min=1), default=None,
              help="Non-tabular tasks: SB3 steps to re-optimise a policy on it.")  # fmt: skip
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Seed of the re-training (non-tabular tasks).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def evaluate_cmd(
    reward_dir: Path,
    env_id: str | None,
    coverage: str,
    retrain_steps: int | None,
    seed: int,
    as_json: bool,
) -> None:
    """Score REWARD (a reward artifact directory): EPIC distance to the hidden reward, true
    normalized return of a policy re-optimised on it, and (tabular) the feature-expectation
    gap. Exact on tabular tasks."""
    from ilkit.envs.tasks import spec
    from ilkit.errors import UnknownEnvError
    from ilkit.output import echo_json
    from ilkit.rewards.evaluate import RewardEvaluationError, evaluate_reward
    from ilkit.rewards.loading import load_reward

    learned = load_reward(reward_dir)
    if not env_id:
        env_id = learned.env_id
        if not env_id:
            raise RewardEvaluationError(f"{reward_dir} names no task: pass --env")
        try:
            spec(env_id)
        except UnknownEnvError as err:  # a task a user module registers: name the module
            raise UnknownEnvError(
                f"{err}; if a module registers it, pass --env <module>:{env_id}"
            ) from None
    result = evaluate_reward(
        learned, env_id, coverage=coverage, retrain_steps=retrain_steps, seed=seed
    )
    if as_json:
        echo_json(result)
        return
    norm = result["normalized_return"]
    norm_text = "n/a" if norm is None else f"{norm:.4f}"
    if not result["epic_exact"]:
        epic = result["epic"]
        epic_text = (
            "EPIC not measured" if epic is None
            else f"EPIC {epic:.4f} (sampled, {result['epic_samples']['transitions']} transitions)"
        )  # fmt: skip
        click.echo(f"{result['env_id']}: re-optimised normalized return {norm_text} "
                   f"({result['retraining']}); {epic_text}")  # fmt: skip
        return
    click.echo(
        f"{result['env_id']}: EPIC {result['epic']:.4f} (coverage {coverage}, exact), "
        f"re-optimised normalized return {norm_text}, "
        f"feature gap {result['feature_gap_l1']:.4f}"
    )
