"""The ``ilkit`` command line: a thin click layer over the library.

Each concern keeps its commands in ``ilkit/<concern>/cli.py`` (click only at import time; heavy
imports inside the commands), loaded lazily here so ``ilkit --help`` stays fast. Errors that
ilkit raises on purpose become one line on stderr and their exit code (1 error, 2 usage,
3 a check failed); never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ilkit.errors import IlkitError

# command name -> "module:attribute"
COMMANDS = {
    "envs": "ilkit.envs.cli:envs",
    "expert": "ilkit.experts.cli:expert",
    "generate": "ilkit.datasets.cli:generate",
    "datasets": "ilkit.datasets.cli:datasets",
    "evaluate": "ilkit.evaluation.cli:evaluate",
    "reward": "ilkit.rewards.cli:reward",
    "leaderboard": "ilkit.leaderboard.cli:leaderboard",
    "train": "ilkit.algorithms.cli:train",
    "quickstart": "ilkit.quickstart:quickstart",
}  # each concern adds its own line here


class IlkitGroup(click.Group):
    """Lazily loaded subcommands; IlkitError -> one line + exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IlkitError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=IlkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ilkit", prog_name="ilkit")
def cli() -> None:
    """ilkit: imitation learning on Hidden-Reward MDPs.

    \b
    Tasks are Gymnasium envs whose reward is hidden (step() returns 0.0) with a fixed
    horizon; each has a discount γ and an expert dataset X in Minari format.
    Start with `ilkit envs list`.
    """


def main() -> None:
    cli(prog_name="ilkit")


if __name__ == "__main__":
    sys.exit(main())
