"""What a submission is: the one definition that ``ilkit evaluate``, ``ilkit leaderboard check``
and the leaderboard share, so a student can test the exact folder they will hand in.

A submission is a directory (or a ``.zip``/``.tar.gz``/``.tar`` archive of one) holding
*learned, weights-only* policies of the kinds :data:`LEARNED_KINDS` (every kind ilkit's trainers
produce, MDN included, and ``mlp``, a plain PyTorch ``nn.Sequential`` written by
:func:`ilkit.policies.export`). Scripted controllers and copies of the bundled experts are
refused: those are reference rows a board's operator adds. Inside a submission each policy is

* an ilkit policy artifact: a directory with ``manifest.json`` + ``policy.safetensors`` (the
  submission itself, or one sub-directory per task), or
* a *declared* policy: a JSON file naming its task, kind, architecture and weights file::

      {"env_id": "ilkit/CartPole-v0", "kind": "actor_critic",
       "architecture": {"net_arch": [64, 64], "activation": "tanh"},
       "weights": "ppo_cartpole.zip", "training": {"offline": false, "env_steps": 20000}}

  ``weights`` is an SB3 ``.zip`` (only its ``policy.pth`` member is read, with
  ``torch.load(weights_only=True)``), a ``.safetensors`` file, or a ``.pt``/``.pth`` state dict
  (``weights_only=True``). Pickle files are refused.

An archive often wraps everything in one top-level folder: it is looked into. Several training
runs of one method go in ``runs/<run>/``. The optional ``training`` block (``offline``,
``demos``, ``env_steps``, ``expert_queries``, ``interventions``, ``preference_queries``) is the
policy's declared track.

A submission may also (or only) hold *reward artifacts* for the board's reward track: a
directory with ``manifest.json`` (format :data:`REWARD_FORMAT`) + ``reward.safetensors``, as
``ilkit train mce_irl|feature_matching|airl|gail|preferences`` writes it to ``OUT/reward/``: the
submission itself, or one sub-directory per task (a whole ``ilkit train`` run directory is a
submission of its policy and its reward). Rewards are not per run: ``runs/`` holds policies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ilkit.errors import IlkitError
from ilkit.policies import REWARD_FORMAT
from ilkit.policies.declared import read_json
from ilkit.policies.safety import (
    Limits,
    SubmissionError,
    is_archive,
    safe_extract,
)

NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
TRAINING_FIELDS = (
    "offline", "demos", "env_steps", "expert_queries", "interventions", "preference_queries",
)  # fmt: skip
"""What a run consumed, each a different resource (``ilkit train`` writes them all)."""
LEARNED_KINDS = ("actor_critic", "sac_actor", "ars", "mdn", "mlp")
RUNS_DIR = "runs"
MAX_RUNS = 100


@dataclass(frozen=True)
class PolicyRef:
    """Where one policy of a submission lives (JSON-serialisable, sent to the worker)."""

    env_id: str
    source: str
    """``"artifact"`` (a policy artifact directory) or ``"declared"`` (a JSON manifest file)."""
    path: str
    training: dict[str, Any]
    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RewardRef:
    """Where one reward artifact of a submission lives (JSON-serialisable, sent to the worker,
    which alone loads and scores it)."""

    env_id: str
    path: str
    kind: str
    training: dict[str, Any]
    shown: str = "."
    """The folder relative to the submission: what messages name, never the unpack area."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def safe_name(raw: str) -> str:
    name = NAME_RE.sub("_", raw).strip("._") or "submission"
    return name[:80]


def training_info(manifest: dict[str, Any]) -> dict[str, Any]:
    """The track fields of a manifest's ``training`` block; absent fields are None (unknown)."""
    block = manifest.get("training")
    block = block if isinstance(block, dict) else {}
    return {k: block.get(k) for k in TRAINING_FIELDS}


def _learned_kind(manifest: dict[str, Any], where: str) -> str:
    kind = manifest.get("kind")
    if not isinstance(kind, str) or kind not in LEARNED_KINDS:
        shown = repr(kind)[:40] if isinstance(kind, str) else type(kind).__name__
        raise SubmissionError(
            f"{where} is of kind {shown}: only learned, weights-only policies "
            f"({', '.join(LEARNED_KINDS)}) are accepted; scripted controllers and the bundled "
            "experts are reference rows (--with-references)"
        )
    return kind


def _env_id(manifest: dict[str, Any], where: str) -> str:
    from ilkit.envs.tasks import spec

    env_id = manifest.get("env_id")
    if not isinstance(env_id, str):
        raise SubmissionError(f"{where} does not name its task (env_id)")
    try:
        return spec(env_id).id
    except IlkitError as err:
        raise SubmissionError(f"{where}: {str(err)[:200]}") from None


def _unwrap(root: Path, marker: str) -> Path:
    """The single top-level folder an archive often wraps everything in, else ``root``."""
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (root / marker).exists():
        return entries[0]
    return root


def _folders(root: Path) -> list[Path]:
    """Where a submission's artifacts may be: the folder itself and its visible sub-folders."""
    return [root] + sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def find_policies(
    root: Path, base: Path | None = None, required: bool = True
) -> dict[str, PolicyRef]:
    """Policies of one run directory, keyed by task id (artifacts and declared JSONs); none is
    an error only if ``required``.

    Paths in messages are relative to ``base`` (the submission), never the unpack area.
    """
    from ilkit.policies.artifact import check_manifest, read_manifest

    base = base or root
    root = _unwrap(root, "manifest.json")
    policies: dict[str, PolicyRef] = {}
    for folder in _folders(root):
        for path in sorted(folder.glob("*.json")):
            where = str(path.relative_to(base))
            manifest = read_json(path)
            if not isinstance(manifest, dict):
                continue
            if manifest.get("format") == "ilkit-policy" and path.name == "manifest.json":
                manifest = read_manifest(folder)  # the typed, strict check of the artifact
                kind = _learned_kind(manifest, where)
                source, ref_path = "artifact", str(folder)
            elif "weights" in manifest:
                kind = _learned_kind(manifest, where)
                check_manifest(manifest, where)
                source, ref_path = "declared", str(path)
            else:
                continue
            ref = PolicyRef(
                _env_id(manifest, where), source, ref_path, training_info(manifest), kind
            )
            if ref.env_id in policies:
                raise SubmissionError(
                    f"two policies for {ref.env_id}: {policies[ref.env_id].path} and {ref.path}"
                )
            policies[ref.env_id] = ref
    if not policies and required:
        raise SubmissionError(
            "no policy found (expected manifest.json + policy.safetensors, e.g. written by "
            "ilkit.policies.export, or a JSON manifest with a 'weights' field; the board's "
            "reward track also takes reward artifacts: manifest.json + reward.safetensors)"
        )
    return policies


def find_rewards(root: Path) -> dict[str, RewardRef]:
    """Reward artifacts of a submission, keyed by task id. Only the manifest is read here (a
    task and a kind); the weights are loaded, checked and scored in the board's worker."""
    base = root
    root = _unwrap(root, "manifest.json")
    rewards: dict[str, RewardRef] = {}
    for folder in _folders(root):
        path = folder / "manifest.json"
        manifest = read_json(path) if path.is_file() else None
        if not isinstance(manifest, dict) or manifest.get("format") != REWARD_FORMAT:
            continue
        where = str(path.relative_to(base))
        kind = manifest.get("kind")
        if not isinstance(kind, str):
            raise SubmissionError(f"{where} does not declare its reward kind")
        ref = RewardRef(
            _env_id(manifest, where), str(folder), kind[:40], training_info(manifest),
            str(folder.relative_to(base)),
        )  # fmt: skip
        if ref.env_id in rewards:
            raise SubmissionError(
                f"two rewards for {ref.env_id}: {rewards[ref.env_id].path} and {ref.path}"
            )
        rewards[ref.env_id] = ref
    return rewards


def find_contents(root: Path) -> tuple[dict[str, dict[str, PolicyRef]], dict[str, RewardRef]]:
    """Everything a submission holds: ``({run: {task: policy}}, {task: reward})``, at least one
    policy or reward (a reward-only submission has no runs)."""
    rewards = find_rewards(root)
    return find_runs(root, required=not rewards), rewards


def find_runs(root: Path, required: bool = True) -> dict[str, dict[str, PolicyRef]]:
    """``{run: {task: policy}}``: the folders of ``runs/``, or the submission as one run
    (``{}`` if it holds no policy and none is ``required``)."""
    base = root
    root = _unwrap(root, RUNS_DIR)
    runs_dir = root / RUNS_DIR
    if not runs_dir.is_dir():
        policies = find_policies(root, base, required)
        return {"": policies} if policies else {}
    folders = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise SubmissionError(f"{RUNS_DIR}/ holds no run folders")
    if len(folders) > MAX_RUNS:
        raise SubmissionError(f"{RUNS_DIR}/ holds more than {MAX_RUNS} runs")
    runs = {safe_name(p.name): find_policies(p, base) for p in folders}
    if len(runs) != len(folders):
        raise SubmissionError(f"{RUNS_DIR}/ holds run folders whose names collide")
    tasks = {frozenset(r) for r in runs.values()}
    if len(tasks) != 1:
        raise SubmissionError("the runs of a submission must cover the same tasks")
    return runs


def load_ref(ref: dict[str, Any] | PolicyRef, device: str = "auto", limits: Limits = Limits()):
    """Load a :class:`PolicyRef` as an :class:`~ilkit.policies.ArtifactPolicy`."""
    from ilkit.policies.artifact import load_policy
    from ilkit.policies.declared import load_declared

    ref = ref if isinstance(ref, PolicyRef) else PolicyRef(**ref)
    if ref.source == "artifact":
        return load_policy(ref.path, device=device)
    return load_declared(Path(ref.path), device=device, max_file_bytes=limits.max_file_bytes)


@contextlib.contextmanager
def opened(path: Path, limits: Limits = Limits()) -> Iterator[Path]:
    """A submission's root: the folder itself, or an archive unpacked (checked) into a
    temporary folder that lives as long as the block."""
    path = Path(path)
    if path.is_dir():
        yield path
    elif is_archive(path):
        with tempfile.TemporaryDirectory(prefix="ilkit-submission-") as tmp:
            yield safe_extract(path, Path(tmp) / "submission", limits)
    else:
        raise SubmissionError(
            f"{path.name} is not a submission: expected a directory or a .zip, .tar.gz or "
            ".tar archive"
        )


def load_for_evaluation(path: Path, env_id: str | None = None, device: str = "auto"):
    """The policy ``ilkit evaluate PATH`` scores: a policy artifact (any kind, scripted
    included), a declared JSON manifest, or a submission (folder or archive) exactly as the
    leaderboard reads it; ``env_id`` picks the task of a several-task submission."""
    from ilkit.envs.tasks import spec
    from ilkit.policies.artifact import load_policy, read_manifest
    from ilkit.policies.declared import load_declared

    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".json":
        return load_declared(path, device=device)
    if path.is_dir() and (path / "manifest.json").is_file():
        manifest = read_json(path / "manifest.json")
        if isinstance(manifest, dict) and manifest.get("format") == "ilkit-policy":
            read_manifest(path)
            return load_policy(path, device=device)
    with opened(path) as root:
        try:
            runs = find_runs(root)
        except SubmissionError as err:
            raise SubmissionError(f"{path}: {err}") from None
        if len(runs) > 1:
            names = ", ".join(sorted(runs))
            raise SubmissionError(
                f"{path} holds {len(runs)} training runs ({names}): evaluate one of them, "
                f"e.g. {path / RUNS_DIR / next(iter(sorted(runs)))}"
            )
        policies = next(iter(runs.values()))
        if env_id is None:
            if len(policies) > 1:
                raise SubmissionError(
                    f"{path} holds policies for {', '.join(policies)}: pick one with --env"
                )
            ref = next(iter(policies.values()))
        else:
            task = spec(env_id).id
            if task not in policies:
                raise SubmissionError(
                    f"{path} has no policy for {task} (it has {', '.join(policies)})"
                )
            ref = policies[task]
        return load_ref(ref, device=device)
