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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def evaluate_cmd(reward_dir: Path, env_id: str | None, coverage: str, as_json: bool) -> None:
    """Score REWARD (a reward artifact directory): EPIC distance to the hidden reward, true
    normalized return of a policy re-optimised on it, and (tabular) the feature-expectation
    gap. Exact on tabular tasks."""
    from ilkit.output import echo_json
    from ilkit.rewards.evaluate import RewardEvaluationError, evaluate_reward
    from ilkit.rewards.loading import load_reward

    learned = load_reward(reward_dir)
    env_id = env_id or learned.env_id
    if not env_id:
        raise RewardEvaluationError(f"{reward_dir} names no task: pass --env")
    result = evaluate_reward(learned, env_id, coverage=coverage)
    if as_json:
        echo_json(result)
        return
    norm = result["normalized_return"]
    click.echo(
        f"{result['env_id']}: EPIC {result['epic']:.4f} (coverage {coverage}, exact), "
        f"re-optimised normalized return "
        f"{'n/a' if norm is None else f'{norm:.4f}'}, "
        f"feature gap {result['feature_gap_l1']:.4f}"
    )
