"""``ilkit evaluate`` and ``ilkit leaderboard``: true-reward scoring from the command line."""

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
    help="Episodes, on the held-out seeds 2**31, 2**31+1, ...",
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
    ARTIFACT is a policy artifact directory (manifest.json + policy.safetensors) or a
    declared JSON manifest (see `ilkit leaderboard run --help`). Episodes run on held-out
    seeds that no dataset or training run uses. Prints each episode's return, the mean,
    std and the normalized score (R - random) / (expert - random), "n/a" until the task's
    reference returns are measured.

    \b
    Example:
      ilkit evaluate runs/bc-cartpole --env ilkit/CartPole-v0 --episodes 20 --min-score 0.9
    """
    from ilkit.errors import CheckFailedError, IlkitError
    from ilkit.evaluation.evaluate import evaluate as run_evaluation
    from ilkit.evaluation.submissions import PolicyRef, load_ref
    from ilkit.output import echo_json
    from ilkit.progress import progress_bar

    if artifact.is_dir():
        ref = PolicyRef(env_id or "", "artifact", str(artifact), {})
    else:
        ref = PolicyRef(env_id or "", "declared", str(artifact), {})
    policy = load_ref(ref, device=device)
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


class _ManyValues(click.Option):
    """``--envs A B C``: an option that takes every following value up to the next option.

    Click options take one value each; this wraps the parser's handler for the option so it
    also consumes the values after it (stopping at an option, or at an existing path such as
    SUBMISSIONS_DIR). Repeating the option and commas keep working.
    """

    def add_to_parser(self, parser, ctx) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = getattr(parser, "_long_opt", {}).get(name) or getattr(
                parser, "_short_opt", {}
            ).get(name)
            if option is None:  # click internals changed: one value per --envs still works
                continue
            handler = option.process

            def process(value, state, handler=handler) -> None:
                values = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    if Path(state.rargs[0]).exists():
                        break
                    values.append(state.rargs.pop(0))
                handler(" ".join(values), state)

            option.process = process


@click.group()
def leaderboard() -> None:
    """Score many submissions on many tasks: safe, resumable, with honest statistics."""


@leaderboard.command("run")
@click.argument("submissions_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--envs",
    "envs",
    cls=_ManyValues,
    required=True,
    multiple=True,
    help="Task ids: --envs ilkit/CartPole-v0 ilkit/Pendulum-v0 (or repeat, or commas).",
)
@click.option(
    "--episodes",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Episodes per cell.",
)
@click.option(
    "--seeds",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Cells per submission x task (disjoint groups of held-out seeds).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (cells/ and the reports); rerun to resume.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Local process pool, or Ray tasks.",
)
@click.option(
    "--address",
    default=None,
    help="Ray cluster to join (default: start a local one). Nodes must see the paths.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Submissions x tasks evaluated at once.",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=600.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Wall-clock limit in seconds of one submission x task.",
)
@click.option(
    "--memory-mb",
    default=2048,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Memory limit of each worker: address space (RLIMIT_AS, about 0.9 GB of it is torch "
    "and its libraries) and resident memory.",
)
@click.option(
    "--max-file-mb",
    default=256,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest file a submission (or an archive member) may hold.",
)
@click.option(
    "--device",
    default="cpu",
    show_default=True,
    help="Device of the policies (with cuda, --memory-mb caps resident memory only).",
)
@click.option("--retry-failed", is_flag=True, help="Evaluate failed cells again.")
@click.option("--json", "as_json", is_flag=True, help="Print leaderboard.json on stdout.")
def run(
    submissions_dir: Path,
    envs: tuple[str, ...],
    episodes: int,
    seeds: int,
    out: Path,
    backend: str,
    address: str | None,
    workers: int,
    timeout_s: float,
    memory_mb: int,
    max_file_mb: int,
    device: str,
    retry_failed: bool,
    as_json: bool,
) -> None:
    """Evaluate every submission in SUBMISSIONS_DIR on every task and seed.

    \b
    A submission is a directory (or a .zip / .tar.gz of one) holding either
      - an ilkit policy artifact: manifest.json + policy.safetensors (one per task
        in sub-directories for several tasks), or
      - a declared JSON manifest with env_id, kind (actor_critic | sac_actor),
        architecture and weights: an SB3 .zip (only policy.pth is read, with
        torch.load(weights_only=True)), .safetensors, or a .pt/.pth state dict.
    Nothing is ever unpickled. An optional "training" block (offline, env_steps,
    expert_queries, demos) in the manifest becomes the entry's track.

    \b
    Each submission x task runs in its own process with --timeout and --memory-mb;
    a crash, hang, memory blow-up, invalid action or unsafe file becomes a failed
    cell with its reason. Cells are stored one JSON file each, atomically: rerun the
    same command to resume. Writes leaderboard.json/.csv/.md/.html into --out.

    \b
    Example:
      ilkit leaderboard run submissions/ --envs ilkit/CartPole-v0 --out board/
    """
    from ilkit.cli import echo_json
    from ilkit.evaluation.leaderboard import BoardConfig, run_leaderboard
    from ilkit.evaluation.reports import to_markdown
    from ilkit.evaluation.safety import MB, Limits

    env_ids = tuple(e for raw in envs for e in raw.replace(",", " ").split())
    config = BoardConfig(
        envs=env_ids,
        episodes=episodes,
        seeds=seeds,
        workers=workers,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        backend=backend,
        address=address,
        device=device,
        retry_failed=retry_failed,
        limits=Limits(
            max_file_bytes=max_file_mb * MB, max_total_bytes=max(1024, 4 * max_file_mb) * MB
        ),
    )
    board = run_leaderboard(submissions_dir, out, config, log=lambda m: click.echo(m, err=True))
    if as_json:
        echo_json(board)
    else:
        click.echo(to_markdown(board), nl=False)
        click.echo(f"wrote {out}/leaderboard.json, .csv, .md and .html", err=True)


@leaderboard.command("show")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print leaderboard.json.")
def show(out: Path, as_json: bool) -> None:
    """Print the board that `leaderboard run` wrote into OUT."""
    import json

    from ilkit.cli import echo_json
    from ilkit.errors import IlkitError
    from ilkit.evaluation.reports import to_markdown

    path = out / "leaderboard.json"
    if not path.is_file():
        raise IlkitError(f"{out} has no leaderboard.json (run `ilkit leaderboard run` first)")
    board = json.loads(path.read_text())
    if as_json:
        echo_json(board)
    else:
        click.echo(to_markdown(board), nl=False)
