"""``ilkit envs``: list and check the registered HR-MDP tasks."""

from __future__ import annotations

import click


@click.group()
def envs() -> None:
    """The registered HR-MDP tasks (gym.make("ilkit/<Name>-v0"))."""


def _short(space) -> str:
    if hasattr(space, "n"):
        return f"Discrete({space.n})"
    return f"Box{space.shape} {space.dtype}"


@envs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_(as_json: bool) -> None:
    """List every task: id, spaces, horizon, γ and expert dataset id."""
    import gymnasium as gym

    from ilkit.envs import TASKS, spec
    from ilkit.output import echo_json

    rows = []
    for env_id in TASKS:
        env = gym.make(env_id)
        row = spec(env_id).to_dict()
        row["observation_space"] = _short(env.observation_space)
        row["action_space"] = _short(env.action_space)
        env.close()
        rows.append(row)
    if as_json:
        echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "observation", "action", "horizon", "γ", "dataset id")
    for r in rows:
        table.add_row(
            r["id"],
            r["observation_space"],
            r["action_space"],
            str(r["horizon"]),
            str(r["gamma"]),
            r["dataset_id"],
        )
    Console(width=200).print(table)


@envs.command()
@click.argument("env_id")
@click.option("--episodes", default=2, show_default=True, help="Random episodes to roll out.")
@click.option("--seed", default=0, show_default=True)
def check(env_id: str, episodes: int, seed: int) -> None:
    """Run Gymnasium's env checker and the hidden-reward checks on ENV_ID.

    \b
    Checks: reward is 0.0 and info empty at every step, terminated never True, truncated at
    exactly the horizon, no reward in the spec or wrapper attributes, and the evaluation
    scorer sees exactly the observations of the public env. Exit code 3 if a check fails.
    """
    from ilkit.envs.checks import check_task
    from ilkit.errors import CheckFailedError

    results = check_task(env_id, episodes=episodes, seed=seed)
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        click.echo(f"{mark} {r.name}" + (f": {r.detail}" if r.detail else ""))
    failed = [r.name for r in results if not r.ok]
    if failed:
        raise CheckFailedError(f"{env_id}: {len(failed)} check(s) failed: {'; '.join(failed)}")
