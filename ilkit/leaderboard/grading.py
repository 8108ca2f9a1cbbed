"""The board on the platforms courses grade with: Gradescope, Codabench and EvalAI.

Each platform hands over one submission at a fixed place and wants the score back in its own
format. Here one submission is scored exactly as ``ilkit leaderboard run`` scores it (the same
discovery, sandboxed workers, failed cells at 0) on the **secret test split**, and the result is
written the platform's way:

* Gradescope (``ilkit leaderboard grade``, the default platform): reads
  ``ROOT/submission/`` and writes ``ROOT/results/results.json`` with ``score``, one ``tests``
  entry per task (``name``, ``score``, ``max_score``, ``output``) and ``leaderboard`` entries
  (``name``, ``value``, ``order``), as Gradescope's autograder specification describes;
  ``ROOT`` is ``/autograder`` there. :func:`autograder_zip` writes the autograder: ``setup.sh``
  installs ilkit, ``run_autograder`` calls the command.
* Codabench (``--platform codabench``; ``ROOT`` is ``/app``): a scoring program that reads
  ``ROOT/input/res`` (the participant's result files) and writes ``ROOT/output/scores.json``
  (``{"score": ..., "<Task-v0>": ...}``, one key per leaderboard column; with rewards also
  ``"reward_epic"``, ``"reward_score"`` and ``"<Task-v0>_epic"``) and
  ``detailed_results.html`` (the board's page).
* EvalAI: :func:`evaluate` is the ``evaluate(test_annotation_file, user_submission_file,
  phase_codename, **kwargs)`` an evaluation script exposes; the annotation file (the host's,
  never a participant's) is JSON naming the tasks, budgets and the secret.

The secret comes from the platform's side only: ``--test-secret-file``, ``$ILKIT_TEST_SECRET``,
or the file the operator put beside the grader (``ROOT/source/test-secret.txt`` inside
Gradescope's autograder, ``ROOT/input/ref/test-secret.txt`` in Codabench's reference data), never
from the submission. A board without a secret is refused: a grade is a test result.

Scores: each task's normalized score, (return - random) / (expert - random) with failed cells at
0, and its mean over tasks. A Gradescope test earns ``max_score`` x the normalized score,
clipped to [0, 1]; leaderboards show the score unclipped.

Rewards (inverse-RL homework): a submission is graded on the tracks the board puts it in. Its
policies (or a refusal of the whole submission) give the policy tests above. Its rewards give one
reward test per task of the board's reward track (the tabular tasks of ``--envs``,
:func:`~ilkit.leaderboard.board.reward_tasks`). A reward test earns ``max_score`` x the
normalized retrained return (the true return of the policy re-optimised on the submitted reward,
0 random, 1 expert) clipped to [0, 1], a task without a scored reward 0. That return is the
score because the reward's job is to teach the expert's behaviour, and IRL cannot tell the true
reward from other rewards that teach it. EPIC (0 equal up to shaping and scale, 1 negated),
Pearson and the feature gap are reported beside it, and the leaderboards show the mean EPIC,
lower first (``"reward_epic"``, a task without a scored reward counted as 1, as the board ranks)
and the unclipped mean return (``"reward_score"``). Codabench's and EvalAI's metrics carry the
same numbers. A submission whose rewards are all for tasks that are not tabular (so nothing of it
is graded) gets the policy tests at 0, each with its reason, never an empty grade. The true
reward never leaves the sandboxed worker: a grade holds only :class:`RewardScores`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ilkit.atomic import write_bytes, write_json
from ilkit.errors import IlkitError
from ilkit.leaderboard.config import BoardConfig
from ilkit.leaderboard.leaderboard import run_leaderboard
from ilkit.leaderboard.records import Board, Entry, RewardEntry, RewardScores
from ilkit.leaderboard.testseeds import SecretError, read_secret, seed_split
from ilkit.policies.safety import Limits

PLATFORMS = ("gradescope", "codabench")
DEFAULT_ROOT = {"gradescope": Path("/autograder"), "codabench": Path("/app")}
SECRET_NAME = "test-secret.txt"


class GradingError(IlkitError):
    """A grading set-up that cannot produce a grade (no secret, tasks without references)."""


@dataclasses.dataclass(frozen=True)
class TaskGrade:
    env_id: str
    normalized: float
    """Normalized score with failed cells at 0 (unclipped)."""
    mean_return: float | None
    ci: tuple[float, float] | None
    n_episodes: int
    n_failed_cells: int
    failures: tuple[str, ...]
    """Distinct failure reasons, in full."""


@dataclasses.dataclass(frozen=True)
class RewardTaskGrade:
    """One task of the reward track: the worker's scores (None where no reward was scored)."""

    env_id: str
    scores: RewardScores | None
    kind: str | None
    failures: tuple[str, ...]
    """Why no reward was scored, in full."""

    @property
    def epic(self) -> float:
        return self.scores.epic if self.scores else 1.0  # the board counts a failure as 1

    @property
    def normalized_return(self) -> float:
        """The score (unclipped): a task without a scored reward counts as 0, random."""
        return (self.scores.normalized_return or 0.0) if self.scores else 0.0


REWARD_RULE = (
    "Score: the normalized retrained return clipped to [0, 1] (0 random, 1 expert): a reward is "
    "for teaching the expert's behaviour; EPIC is shown, and ranked on the leaderboard."
)


@dataclasses.dataclass(frozen=True)
class Grade:
    """One submission's result on the secret test split."""

    score: float
    """Mean normalized score over the tasks (failures at 0)."""
    tasks: tuple[TaskGrade, ...]
    digest: str
    fingerprint: str
    error: str | None
    board: Board
    rewards: tuple[RewardTaskGrade, ...] = ()
    """The reward track's tasks; empty when the submission holds no reward."""
    reward_notes: tuple[str, ...] = ()
    """Rewards for tasks outside the track (not tabular), with the reason: shown, not graded."""

    @property
    def reward_epic(self) -> float | None:
        """Mean EPIC over the reward tasks, failures at 1: the board's own ranking number."""
        return self.board.rewards.entries[0].epic if self.rewards else None

    @property
    def reward_score(self) -> float | None:
        """Mean normalized retrained return over the reward tasks, failures at 0, unclipped."""
        if not self.rewards:
            return None
        return sum(t.normalized_return for t in self.rewards) / len(self.rewards)

    def metrics(self) -> dict[str, float]:
        """``{"score": ..., "<Task-v0>": ...}`` for the policy tests, ``{"reward_epic": ...,
        "reward_score": ..., "<Task-v0>_epic": ...}`` for the reward tests: what leaderboard
        columns show. A reward-only submission has no policy keys."""
        out = {}
        if self.tasks:
            out["score"] = round(self.score, 6)
            out.update({_short(t.env_id): round(t.normalized, 6) for t in self.tasks})
        if self.rewards:
            out["reward_epic"] = round(self.reward_epic, 6)
            out["reward_score"] = round(self.reward_score, 6)
            out.update({f"{_short(t.env_id)}_epic": round(t.epic, 6) for t in self.rewards})
        return out


def _short(env_id: str) -> str:
    return env_id.split("/")[-1]


def find_secret(secret_file: Path | None, beside: Path | None = None) -> bytes:
    """The board's secret: the given file, else ``$ILKIT_TEST_SECRET``, else ``beside``."""
    secret = read_secret(secret_file)
    if secret is None and beside is not None and beside.is_file():
        secret = read_secret(beside)
    if secret is None:
        where = f", nor {beside}" if beside is not None else ""
        raise SecretError(
            "grading needs the test secret: --test-secret-file FILE or $ILKIT_TEST_SECRET" + where
        )
    return secret


def grade(
    submission: Path,
    envs: tuple[str, ...],
    secret: bytes,
    *,
    episodes: int = 10,
    seeds: int = 5,
    timeout_s: float = 600.0,
    memory_mb: int = 2048,
    limits: Limits = Limits(),
    work: Path | None = None,
    log=print,
) -> Grade:
    """Score one submission (a folder or an archive) on the secret test split: its policies
    on every task, its rewards on the reward track's (see the module's docstring)."""
    config = BoardConfig(
        envs=envs,
        episodes=episodes,
        seeds=seeds,
        workers=1,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        split=seed_split(secret),
        limits=limits,
    )
    missing = [e for e in config.envs if not _has_refs(e)]
    if missing:
        raise GradingError(
            f"{', '.join(missing)} has no reference returns: a grade needs normalized scores"
        )
    with tempfile.TemporaryDirectory(prefix="ilkit-grade-") as tmp:
        out = Path(work) if work is not None else Path(tmp) / "board"
        origin = _as_submission(Path(submission), Path(tmp))
        board = Board.from_json(run_leaderboard(None, out, config, log=log, origins=[origin]))
    # One submission: at most one row per track (a reward-only one is no policy row).
    entry = board.entries[0] if board.entries else None
    reward: RewardEntry | None = board.rewards.entries[0] if board.rewards else None
    rewards, notes = (), ()
    if reward is not None:
        track = board.rewards.tasks
        rewards = tuple(_reward_grade(reward, env_id) for env_id in track)
        notes = tuple(f"{f.env_id}: {f.reason}" for f in reward.failures if f.env_id not in track)
    if entry is not None:
        tasks = tuple(_task_grade(entry, env_id) for env_id in config.envs)
    elif rewards:
        tasks = ()
    else:  # rewards for no tabular task: grade the policy tests at 0, never an empty grade
        reason = "the submission has no policy for {}"  # the board's reason for such a cell
        tasks = tuple(
            TaskGrade(e, 0.0, None, None, 0, config.seeds, (reason.format(e),)) for e in config.envs
        )
    row = entry or reward
    return Grade(
        score=entry.score.point if entry and entry.score else 0.0,
        tasks=tasks,
        digest=row.digest,
        fingerprint=str(config.split.fingerprint),
        error=row.error,
        board=board,
        rewards=rewards,
        reward_notes=notes,
    )


def _has_refs(env_id: str) -> bool:
    from ilkit.envs.tasks import spec

    task = spec(env_id)
    lo, hi = task.ref_random_return, task.ref_expert_return
    return lo is not None and hi is not None and hi != lo


def _as_submission(path: Path, tmp: Path) -> Path:
    """A platform's file under a name the board reads: an archive whose name lost its suffix
    (EvalAI stores uploads under their own names) is given one."""
    if path.is_file() and not path.name.lower().endswith((".zip", ".tar.gz", ".tgz", ".tar")):
        if zipfile.is_zipfile(path):
            target = tmp / "submission.zip"
            shutil.copyfile(path, target)
            return target
    return path


def _task_grade(entry: Entry, env_id: str) -> TaskGrade:
    stats = entry.tasks[env_id]
    reasons = tuple(dict.fromkeys(f.reason for f in entry.failures if f.env_id == env_id))
    return TaskGrade(
        env_id=env_id,
        normalized=stats.normalized or 0.0,
        mean_return=stats.mean,
        ci=stats.ci,
        n_episodes=stats.n_episodes,
        n_failed_cells=stats.n_failed_cells,
        failures=reasons,
    )


def _reward_grade(entry: RewardEntry, env_id: str) -> RewardTaskGrade:
    reasons = tuple(dict.fromkeys(f.reason for f in entry.failures if f.env_id == env_id))
    return RewardTaskGrade(env_id, entry.tasks.get(env_id), entry.kinds.get(env_id), reasons)


# --- Gradescope ------------------------------------------------------------------------------


def gradescope_results(result: Grade, max_score: float = 1.0) -> dict[str, Any]:
    """Gradescope's ``results.json``: total ``score``, a test per task, leaderboard values."""
    tests = []
    for t in result.tasks:
        if t.mean_return is None:
            returns = "no episode was scored"
        else:
            lo, hi = t.ci or (t.mean_return, t.mean_return)
            returns = (
                f"mean return {t.mean_return:.3f} (95% CI {lo:.3f} to {hi:.3f}) over "
                f"{t.n_episodes} episodes"
            )
        lines = [f"normalized score {t.normalized:.3f}; {returns}"]
        if t.n_failed_cells:
            lines.append(f"{t.n_failed_cells} cell(s) failed, counted as 0:")
            lines += [f"  {reason}" for reason in t.failures]
        tests.append(
            {
                "name": t.env_id,
                "score": round(max_score * min(1.0, max(0.0, t.normalized)), 6),
                "max_score": max_score,
                "output": "\n".join(lines),
                "visibility": "visible",
            }
        )
    tests += [_reward_test(t, max_score) for t in result.rewards]
    header = (
        f"Scored on the secret test split (secret fingerprint {result.fingerprint}) with ilkit "
        f"{result.board.ilkit_version}; submission digest {result.digest[:12]}."
    )
    if result.error:
        header += f"\nThe submission was refused: {result.error}"
    if result.reward_notes:
        header += "\nRewards not graded (the reward track grades the tabular tasks):"
        header += "".join(f"\n  {note}" for note in result.reward_notes)
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "output": header,
        "tests": tests,
        "leaderboard": [
            {"name": name, "value": value, "order": "asc" if name.endswith("_epic") else "desc"}
            for name, value in result.metrics().items()
        ],
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


def _reward_test(t: RewardTaskGrade, max_score: float) -> dict[str, Any]:
    """One reward task's Gradescope test: the score rule, every score, every failure."""
    s = t.scores
    if s is None:
        lines = ["no reward was scored, counted as EPIC 1 and return 0:"]
        lines += [f"  {reason}" for reason in t.failures]
    else:
        gap = "n/a" if s.feature_gap_l1 is None else f"{s.feature_gap_l1:.3f}"
        kind = f"{t.kind} " if t.kind else ""
        lines = [
            f"normalized retrained return {t.normalized_return:.3f} (the true return of the "
            f"policy re-optimised on your {kind}reward)",
            f"EPIC {s.epic:.3f} (0: equal up to shaping and scale, 0.707: uncorrelated, 1: "
            f"negated); Pearson {s.pearson:.3f}; feature gap (L1) {gap}",
        ]
    return {
        "name": f"reward {t.env_id}",
        "score": round(max_score * min(1.0, max(0.0, t.normalized_return)), 6),
        "max_score": max_score,
        "output": "\n".join([*lines, REWARD_RULE]),
        "visibility": "visible",
    }


def grade_gradescope(root: Path, envs, secret_file: Path | None, *, max_score: float = 1.0,
                     **options: Any) -> Path:  # fmt: skip
    """``ROOT/submission`` -> ``ROOT/results/results.json`` (written atomically)."""
    secret = find_secret(secret_file, root / "source" / SECRET_NAME)
    submission = root / "submission"
    if not submission.is_dir():
        raise GradingError(f"{submission} does not exist: not a Gradescope autograder layout")
    result = grade(submission, envs, secret, **options)
    return write_json(root / "results" / "results.json", gradescope_results(result, max_score))


RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: /autograder/submission in,
# /autograder/results/results.json out (written by `ilkit leaderboard grade`).
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export PATH="$ROOT/ilkit-venv/bin:$PATH"
exec ilkit leaderboard grade --root "$ROOT" --test-secret-file "$ROOT/source/{secret}" {args}
"""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built: install ilkit.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
if ! python3 -m venv --help > /dev/null 2>&1 || ! command -v pip3 > /dev/null; then
    apt-get update -q && apt-get install -y -q python3-venv python3-pip
fi
python3 -m venv "$ROOT/ilkit-venv"
"$ROOT/ilkit-venv/bin/python" -m pip install -q --upgrade pip
"$ROOT/ilkit-venv/bin/python" -m pip install -q {install}
"""

CODABENCH_METADATA = """# Codabench scoring program:
# reads /app/input/res, writes /app/output/scores.json.
# Run it in a docker image where ilkit is installed ({install}).
command: ilkit leaderboard grade --platform codabench --root /app {args}
"""


def grade_args(envs, episodes: int, seeds: int, timeout_s: float, memory_mb: int) -> str:
    return (
        f"--envs {','.join(envs)} --episodes {episodes} --seeds {seeds} "
        f"--timeout {timeout_s:g} --memory-mb {memory_mb}"
    )


def autograder_zip(
    out: Path,
    envs,
    secret_file: Path,
    *,
    platform: str = "gradescope",
    episodes: int = 10,
    seeds: int = 5,
    timeout_s: float = 600.0,
    memory_mb: int = 2048,
    install: str | None = None,
) -> Path:
    """Gradescope's autograder zip (``setup.sh``, ``run_autograder``, the secret) or Codabench's
    scoring program (``metadata.yaml`` calling the command, the secret as reference data is
    uploaded separately). Written atomically."""
    import ilkit

    secret = find_secret(secret_file)
    seed_split(secret)  # refuse a short secret now, not when the first student submits
    install = install or f'"torch==2.13.0" "ilkit=={ilkit.__version__}"'
    args = grade_args(envs, episodes, seeds, timeout_s, memory_mb)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if platform == "gradescope":
            _add(archive, "setup.sh", SETUP_SH.format(install=install), 0o755)
            _add(archive, "run_autograder", RUN_AUTOGRADER.format(secret=SECRET_NAME, args=args),
                 0o755)  # fmt: skip
            _add(archive, SECRET_NAME, secret.decode(errors="replace").strip() + "\n", 0o600)
        elif platform == "codabench":
            _add(archive, "metadata.yaml", CODABENCH_METADATA.format(install=install, args=args))
        else:
            raise GradingError(f"unknown platform {platform!r}; use one of {PLATFORMS}")
    return write_bytes(out, buffer.getvalue())


def _add(archive: zipfile.ZipFile, name: str, text: str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible bytes
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


# --- Codabench -------------------------------------------------------------------------------


def grade_codabench(root: Path, envs, secret_file: Path | None, **options: Any) -> Path:
    """``ROOT/input/res`` -> ``ROOT/output/scores.json`` and ``detailed_results.html``."""
    from ilkit.leaderboard.reports import to_html

    secret = find_secret(secret_file, root / "input" / "ref" / SECRET_NAME)
    res = root / "input" / "res"
    if not res.is_dir():
        raise GradingError(f"{res} does not exist: not a Codabench scoring layout")
    result = grade(res, envs, secret, **options)
    output = root / "output"
    write_bytes(output / "detailed_results.html", to_html(result.board).encode())
    return write_json(output / "scores.json", result.metrics())


# --- EvalAI ----------------------------------------------------------------------------------


def evaluate(test_annotation_file, user_submission_file, phase_codename, **kwargs):
    """EvalAI's evaluation-script entry point.

    ``test_annotation_file`` is the host's JSON: ``{"envs": [...], "episodes": 10, "seeds": 5,
    "test_secret": "...", "split": "test_split"}`` (``test_secret`` may be left out when the
    worker has ``$ILKIT_TEST_SECRET``). ``user_submission_file`` is the participant's archive.
    Returns ``{"result": [{split: metrics}], "submission_result": metrics}``.
    """
    try:
        spec_ = json.loads(Path(test_annotation_file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GradingError(f"cannot read the annotation file: {err}") from None
    if not isinstance(spec_, dict) or not isinstance(spec_.get("envs"), list):
        raise GradingError('the annotation file is a JSON object with "envs": [task ids]')
    secret = spec_.get("test_secret")
    secret = secret.encode() if isinstance(secret, str) else find_secret(None)
    result = grade(
        Path(user_submission_file),
        tuple(spec_["envs"]),
        secret,
        episodes=int(spec_.get("episodes", 10)),
        seeds=int(spec_.get("seeds", 5)),
        timeout_s=float(spec_.get("timeout_s", 600.0)),
        memory_mb=int(spec_.get("memory_mb", 2048)),
        log=lambda message: None,
    )
    split = str(spec_.get("split", "test_split"))
    metrics = result.metrics()
    return {"result": [{split: metrics}], "submission_result": metrics}


__all__ = [
    "Grade",
    "GradingError",
    "RewardTaskGrade",
    "autograder_zip",
    "evaluate",
    "grade",
    "grade_codabench",
    "grade_gradescope",
    "gradescope_results",
]
