"""``ilkit leaderboard``: score many submissions in sandboxes, resumably, with honest statistics."""

from __future__ import annotations

from pathlib import Path

import click


def _task_ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    """``--envs A,B --envs C`` -> ``(A, B, C)``; an unknown id is a usage error that names it."""
    from ilkit.envs.tasks import spec
    from ilkit.errors import UnknownEnvError

    ids = [e for raw in values for e in raw.split(",") if e.strip()]
    try:
        return tuple(spec(e.strip()).id for e in ids)
    except UnknownEnvError as err:
        raise click.BadParameter(str(err)) from None


@click.group()
def leaderboard() -> None:
    """Score many submissions on many tasks: safe, resumable, with honest statistics."""


@leaderboard.command("run")
@click.argument("submissions_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--envs",
    "envs",
    required=True,
    multiple=True,
    callback=_task_ids,
    help="Task ids, comma-separated or repeated: --envs ilkit/CartPole-v0,ilkit/Pendulum-v0.",
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
    help="Cells per submission x task (disjoint groups of episode seeds).",
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
    help="Resident-memory limit of each worker process and its children (torch and its "
    "libraries count too); a worker that passes it is stopped and its cells fail.",
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
    help="Device of the policies.",
)
@click.option(
    "--test-secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the board's secret: episodes run on secret test seeds derived from it "
    "[default: $ILKIT_TEST_SECRET; without either, the public validation split].",
)
@click.option(
    "--with-references",
    is_flag=True,
    help="Add reference rows (each task's bundled expert, uniform random), shown, not ranked.",
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
    test_secret_file: Path | None,
    with_references: bool,
    retry_failed: bool,
    as_json: bool,
) -> None:
    """Evaluate every submission in SUBMISSIONS_DIR on every task and seed.

    \b
    A submission is a directory (or a .zip / .tar.gz of one) holding either
      - an ilkit policy artifact: manifest.json + policy.safetensors (one per task
        in sub-directories for several tasks; ilkit.policies.export writes one from a
        plain PyTorch nn.Sequential), or
      - a declared JSON manifest with env_id, kind (actor_critic | sac_actor | ars |
        mdn | mlp), architecture and weights: an SB3 .zip (only policy.pth is read,
        with torch.load(weights_only=True)), .safetensors, or a .pt/.pth state dict;
      - and/or reward artifacts (manifest.json + reward.safetensors, as `ilkit train`
        writes OUT/reward/) for the reward track: a second table over the tabular
        tasks, ranked by exact EPIC to the hidden reward, with the true return of a
        policy re-optimised on the reward.
    Nothing is ever unpickled. Every learned kind is accepted; scripted controllers
    and copies of the bundled experts are refused (--with-references adds those as
    reference rows). Several training runs go in runs/<run>/. An optional "training"
    block (offline, env_steps, expert_queries, demos) becomes the entry's declared track.
    `ilkit leaderboard check PATH` tells a student beforehand what the board will say.

    \b
    Seeds: with a secret (--test-secret-file or $ILKIT_TEST_SECRET) every episode runs on
    secret test seeds, HMAC(secret, task, index), that nobody can tune on; the reports
    show only a fingerprint of the secret. Without one the board runs on the public
    validation split and says so.

    \b
    Each submission x task runs in its own process with --timeout and --memory-mb;
    a crash, hang, memory blow-up, invalid action or unsafe file becomes a failed
    cell with its reason, and counts as the random policy's score (0). Cells are
    stored one JSON file each, atomically: rerun the same command to resume (a rerun
    with another seed split or secret is refused). Ctrl-C or SIGTERM is not a failure:
    finished cells stay, unfinished ones are evaluated by the rerun. The same
    submissions, tasks and secret give the same reports, byte for byte, apart from
    the run's time. Writes leaderboard.json/.csv/.md/
    .html into --out.

    \b
    Example:
      ilkit leaderboard run submissions/ --envs ilkit/CartPole-v0 --out board/
    """
    from ilkit.leaderboard.leaderboard import BoardConfig, run_leaderboard
    from ilkit.leaderboard.testseeds import read_secret, seed_split
    from ilkit.output import echo_json
    from ilkit.policies.safety import MB, Limits

    config = BoardConfig(
        envs=envs,
        episodes=episodes,
        seeds=seeds,
        workers=workers,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        backend=backend,
        address=address,
        device=device,
        retry_failed=retry_failed,
        split=seed_split(read_secret(test_secret_file)),
        with_references=with_references,
        limits=Limits(
            max_file_bytes=max_file_mb * MB, max_total_bytes=max(1024, 4 * max_file_mb) * MB
        ),
    )
    board = run_leaderboard(submissions_dir, out, config, log=lambda m: click.echo(m, err=True))
    if as_json:
        echo_json(board)
    else:
        click.echo((out / "leaderboard.md").read_text(encoding="utf-8"), nl=False)
        click.echo(f"wrote {out}/leaderboard.json, .csv, .md and .html", err=True)


@leaderboard.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was found as JSON.")
def check(path: Path, as_json: bool) -> None:
    """Check a submission before handing it in: exit 0 if the board accepts it.

    \b
    PATH is the folder (or .zip / .tar.gz / .tar) you will hand in. The check takes the
    board's own path: the same copy, hash and discovery, each policy loaded weights-only
    and asked for one action on its task, each reward artifact (OUT/reward/ of an IRL
    run) loaded weights-only and evaluated on its tabular task. A refusal is one line
    with the reason the board would store (exit code 3). `ilkit evaluate PATH` scores the
    same folder's policy, `ilkit reward evaluate` its reward.

    \b
    Example:
      ilkit leaderboard check my-submission/
    """
    from ilkit.leaderboard.check import check_submission
    from ilkit.output import echo_json

    found = check_submission(path)
    if as_json:
        echo_json(found)
        return
    for run, policies in found["runs"].items():
        for env_id, kind in policies.items():
            where = f" (run {run})" if run else ""
            click.echo(f"ok: {env_id}{where}: {kind} policy")
    for env_id, kind in found["rewards"].items():
        click.echo(f"ok: {env_id}: {kind} reward (reward track)")
    click.echo(f"{path} is accepted by the board (digest {found['digest'][:12]})")


_ENVS = click.option(
    "--envs",
    "envs",
    required=True,
    multiple=True,
    callback=_task_ids,
    help="Task ids, comma-separated or repeated.",
)
_SECRET = click.option(
    "--test-secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The board's secret [default: $ILKIT_TEST_SECRET, else the platform's file: "
    "ROOT/source/test-secret.txt (Gradescope), ROOT/input/ref/test-secret.txt (Codabench)].",
)


@leaderboard.command("grade")
@_ENVS
@click.option(
    "--platform",
    type=click.Choice(["gradescope", "codabench"]),
    default="gradescope",
    show_default=True,
    help="Whose directory layout and result format.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The platform's root [default: /autograder (Gradescope), /app (Codabench)].",
)
@_SECRET
@click.option("--episodes", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--timeout", "timeout_s", default=600.0, show_default=True,
    type=click.FloatRange(min=0, min_open=True),
)  # fmt: skip
@click.option("--memory-mb", default=2048, show_default=True, type=click.IntRange(min=1024))
@click.option(
    "--max-score",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Gradescope points per task and per reward task (earned: max-score x the normalized "
    "score, or the reward's normalized retrained return, clipped to [0, 1]).",
)
def grade(
    envs: tuple[str, ...],
    platform: str,
    root: Path | None,
    test_secret_file: Path | None,
    episodes: int,
    seeds: int,
    timeout_s: float,
    memory_mb: int,
    max_score: float,
) -> None:
    """Grade one submission on the secret test split, inside a grading platform.

    \b
    Gradescope: ROOT/submission in, ROOT/results/results.json out (score, one test per
    task with name, score, max_score and output, and leaderboard entries).
    Codabench (a scoring program): ROOT/input/res in, ROOT/output/scores.json out.
    The submission is scored exactly as `ilkit leaderboard run` scores it. The secret
    comes from the platform's side, never from the submission. `ilkit leaderboard
    autograder` writes Gradescope's autograder zip.

    \b
    Rewards (IRL homework): a submission holding reward artifacts also gets one test
    "reward TASK" per tabular task of --envs (the board's reward track). It earns
    max-score x the normalized return of a policy re-optimised on the reward (0
    random, 1 expert), clipped to [0, 1]; EPIC, Pearson and the feature gap are in
    its output. Leaderboards get reward_epic (mean EPIC, lower is better),
    reward_score and TASK_epic; so does scores.json. A reward-only submission gets
    no policy tests. The hidden reward never leaves the sandboxed worker.

    \b
    Example (what run_autograder calls):
      ilkit leaderboard grade --envs ilkit/CartPole-v0 \\
          --test-secret-file /autograder/source/test-secret.txt
    """
    from ilkit.leaderboard.grading import DEFAULT_ROOT, grade_codabench, grade_gradescope

    options = dict(
        episodes=episodes,
        seeds=seeds,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        log=lambda m: click.echo(m, err=True),
    )
    root = root or DEFAULT_ROOT[platform]
    if platform == "gradescope":
        path = grade_gradescope(root, envs, test_secret_file, max_score=max_score, **options)
    else:
        path = grade_codabench(root, envs, test_secret_file, **options)
    click.echo(f"wrote {path}", err=True)


@leaderboard.command("autograder")
@_ENVS
@click.option(
    "--test-secret-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The board's secret (Gradescope: packed into the autograder, never shown to students).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip to write.",
)
@click.option(
    "--platform",
    type=click.Choice(["gradescope", "codabench"]),
    default="gradescope",
    show_default=True,
    help="Gradescope's autograder zip, or Codabench's scoring program.",
)
@click.option("--episodes", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--timeout", "timeout_s", default=600.0, show_default=True,
    type=click.FloatRange(min=0, min_open=True),
)  # fmt: skip
@click.option("--memory-mb", default=2048, show_default=True, type=click.IntRange(min=1024))
@click.option(
    "--install",
    default=None,
    help="What setup.sh pip-installs [default: torch==2.13.0 and this ilkit version].",
)
def autograder(
    envs: tuple[str, ...],
    test_secret_file: Path,
    out: Path,
    platform: str,
    episodes: int,
    seeds: int,
    timeout_s: float,
    memory_mb: int,
    install: str | None,
) -> None:
    """Write Gradescope's autograder zip (setup.sh, run_autograder) or Codabench's scoring
    program (metadata.yaml) that calls `ilkit leaderboard grade`."""
    from ilkit.leaderboard.grading import autograder_zip

    path = autograder_zip(
        out, envs, test_secret_file, platform=platform, episodes=episodes, seeds=seeds,
        timeout_s=timeout_s, memory_mb=memory_mb, install=install,
    )  # fmt: skip
    click.echo(f"wrote {path}", err=True)


@leaderboard.command("show")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print leaderboard.json.")
def show(out: Path, as_json: bool) -> None:
    """Print the board that `leaderboard run` wrote into OUT."""
    from ilkit.leaderboard.reports import read_board, to_markdown
    from ilkit.output import echo_json

    board = read_board(out)
    if as_json:
        echo_json(board.to_json())
    else:
        click.echo(to_markdown(board), nl=False)
