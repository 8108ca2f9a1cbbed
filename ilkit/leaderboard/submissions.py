"""Leaderboard submissions: finding them, copying them safely, and loading their policies.

A submission is one entry of ``SUBMISSIONS_DIR``: a directory, or a ``.zip``/``.tar.gz``/``.tar``
archive of one. Either is first copied into the board's unpack area (archives with
:func:`~ilkit.leaderboard.safety.safe_extract`, folders with
:func:`~ilkit.leaderboard.safety.copy_tree`), and only that copy is hashed and scored. Anything
else at the top level, and any submission that is malformed or unsafe in any way, becomes an
entry with an ``error``: one line, a row of failed cells, never a stopped board.

Only *learned, weights-only* policies are accepted (kinds ``actor_critic``, ``sac_actor``,
``ars``): scripted controllers and copies of the bundled experts are refused, because those are
reference rows the operator adds (``--with-references``). Inside a submission, each policy is
either

* an ilkit policy artifact: a directory with ``manifest.json`` + ``policy.safetensors``
  (the submission itself, or one sub-directory per task), or
* a *declared* policy: a JSON file that names its task, architecture and weights file::

      {"env_id": "ilkit/CartPole-v0", "kind": "actor_critic",
       "architecture": {"net_arch": [64, 64], "activation": "tanh"},
       "weights": "ppo_cartpole.zip", "training": {"offline": false, "env_steps": 20000}}

  ``weights`` is an SB3 ``.zip`` (only its ``policy.pth`` member is read, with
  ``torch.load(weights_only=True)``; the pickled ``data`` member never is), a ``.safetensors``
  file, or a ``.pt``/``.pth`` state dict (``weights_only=True``). Pickle files are refused.

The optional ``training`` block (``offline``, ``env_steps``, ``expert_queries``, ``demos``)
says what the policy used; the leaderboard shows it as the entry's *declared* track (nobody
checked it). Several training runs of one method go in a ``runs/`` folder, one sub-folder per
run (``runs/seed0/``, ``runs/seed1/`` ...), each holding the policies as above.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilkit.atomic import install, new_staging_dir
from ilkit.errors import IlkitError
from ilkit.leaderboard.safety import (
    Limits,
    SubmissionError,
    UnsafeSubmissionError,
    archive_stem,
    copy_tree,
    is_archive,
    safe_extract,
)
from ilkit.policies.declared import read_json

NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
TRAINING_FIELDS = ("offline", "env_steps", "expert_queries", "demos")
LEARNED_KINDS = ("actor_critic", "sac_actor", "ars")
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "source": self.source,
            "path": self.path,
            "training": self.training,
        }


@dataclass
class Submission:
    """One entry of the board: its name, files, content digest and policies per run and task."""

    name: str
    origin: Path
    root: Path | None = None
    digest: str = ""
    runs: dict[str, dict[str, PolicyRef]] = field(default_factory=dict)
    """Run name (``""`` for a single run) -> task id -> policy."""
    error: str | None = None
    """Why the submission as a whole cannot be evaluated (unsafe archive, bad manifest ...)."""
    reference: bool = False
    """A reference row the operator added (bundled expert, random), not a submission."""

    @property
    def policies(self) -> dict[str, PolicyRef]:
        """The policies of a single-run submission (the first run's otherwise)."""
        return next(iter(self.runs.values()), {})


def safe_name(raw: str) -> str:
    name = NAME_RE.sub("_", raw).strip("._") or "submission"
    return name[:80]


def training_info(manifest: dict[str, Any]) -> dict[str, Any]:
    """The track fields of a manifest's ``training`` block; absent fields are None (unknown)."""
    block = manifest.get("training")
    block = block if isinstance(block, dict) else {}
    return {k: block.get(k) for k in TRAINING_FIELDS}


def digest_tree(root: Path) -> str:
    """sha256 over relative paths and contents: a changed submission is evaluated again."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _learned_kind(manifest: dict[str, Any], where: str) -> None:
    kind = manifest.get("kind")
    if not isinstance(kind, str) or kind not in LEARNED_KINDS:
        shown = repr(kind)[:40] if isinstance(kind, str) else type(kind).__name__
        raise SubmissionError(
            f"{where} is of kind {shown}: only learned, weights-only policies "
            f"({', '.join(LEARNED_KINDS)}) are accepted; scripted controllers and the bundled "
            "experts are reference rows (--with-references)"
        )


def _env_id(manifest: dict[str, Any], where: str) -> str:
    from ilkit.envs.tasks import spec

    env_id = manifest.get("env_id")
    if not isinstance(env_id, str):
        raise SubmissionError(f"{where} does not name its task (env_id)")
    try:
        return spec(env_id).id
    except IlkitError as err:
        raise SubmissionError(f"{where}: {str(err)[:200]}") from None


def find_policies(root: Path, base: Path | None = None) -> dict[str, PolicyRef]:
    """Policies of one run directory, keyed by task id (artifacts and declared JSONs).

    Paths in messages are relative to ``base`` (the submission), never the unpack area.
    """
    from ilkit.policies.artifact import check_manifest, read_manifest

    base = base or root

    # An archive often wraps everything in one top-level folder: look inside it.
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (root / "manifest.json").exists():
        root = entries[0]
    policies: dict[str, PolicyRef] = {}
    folders = [root] + sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            where = str(path.relative_to(base))
            manifest = read_json(path)
            if not isinstance(manifest, dict):
                continue
            if manifest.get("format") == "ilkit-policy" and path.name == "manifest.json":
                manifest = read_manifest(folder)  # the typed, strict check of the artifact
                _learned_kind(manifest, where)
                source, ref_path = "artifact", str(folder)
            elif "weights" in manifest:
                _learned_kind(manifest, where)
                check_manifest(manifest, where)
                source, ref_path = "declared", str(path)
            else:
                continue
            ref = PolicyRef(_env_id(manifest, where), source, ref_path, training_info(manifest))
            if ref.env_id in policies:
                raise SubmissionError(
                    f"two policies for {ref.env_id}: {policies[ref.env_id].path} and {ref.path}"
                )
            policies[ref.env_id] = ref
    if not policies:
        raise SubmissionError(
            "no policy found (expected manifest.json + policy.safetensors, or a JSON manifest "
            "with a 'weights' field)"
        )
    return policies


def find_runs(root: Path) -> dict[str, dict[str, PolicyRef]]:
    """``{run: {task: policy}}``: the folders of ``runs/``, or the submission as one run."""
    base = root
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (root / RUNS_DIR).is_dir():
        root = entries[0]  # the usual single wrapping folder of an archive
    runs_dir = root / RUNS_DIR
    if not runs_dir.is_dir():
        return {"": find_policies(root, base)}
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


def discover(
    submissions_dir: Path,
    unpack_dir: Path,
    limits: Limits = Limits(),
    forbidden_digests: dict[str, str] | None = None,
) -> list[Submission]:
    """Every entry of ``submissions_dir``, copied into ``unpack_dir`` and checked.

    A submission that is unsafe or malformed, in whatever way, is returned with ``error`` set
    (one line; it becomes a row of failed cells), so one bad entry never stops the board.
    ``forbidden_digests`` maps sha256 digests of weights files to what they are (the bundled
    experts): a submission holding one is refused.
    """
    if not submissions_dir.is_dir():
        raise SubmissionError(f"{submissions_dir} is not a directory")
    unpack_dir.mkdir(parents=True, exist_ok=True)
    found: list[Submission] = []
    names: set[str] = set()
    for origin in sorted(submissions_dir.iterdir()):
        if origin.name.startswith("."):
            continue
        stem = archive_stem(origin) if is_archive(origin) else origin.name
        name = safe_name(stem)
        while name in names:
            name += "_"
        names.add(name)
        sub = Submission(name=name, origin=origin)
        try:
            _load(sub, unpack_dir, limits, forbidden_digests or {})
        except SubmissionError as err:
            sub.error = _one_line(str(err))
        except IlkitError as err:  # e.g. a manifest that fails the artifact format's checks
            sub.error = _one_line(str(err))
        except Exception as err:  # anything else a hostile file provokes: still one entry
            sub.error = _one_line(f"unreadable submission: {type(err).__name__}: {err}")
        if sub.error:
            sub.digest = sub.digest or "unreadable"
            sub.runs = {}
        found.append(sub)
    return found


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line[:300]


def _load(sub: Submission, unpack_dir: Path, limits: Limits, forbidden: dict[str, str]) -> None:
    origin = sub.origin
    if origin.is_symlink():
        raise UnsafeSubmissionError(f"{origin.name} is a symbolic link")
    if origin.is_dir():
        staging = new_staging_dir(unpack_dir)
        try:
            copy_tree(origin, staging, limits)
            sub.digest = digest_tree(staging)
            sub.root = unpack_dir / f"{sub.name}-{sub.digest[:12]}"
            install(staging, sub.root, replace=False)  # False: this content is already there
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    elif is_archive(origin):
        sub.digest = _file_digest(origin, limits)
        sub.root = unpack_dir / f"{sub.name}-{sub.digest[:12]}"
        if not sub.root.exists():
            safe_extract(origin, sub.root, limits)
    elif origin.is_file():
        raise SubmissionError(
            f"{origin.name} is not a submission: expected a directory or a .zip, .tar.gz or "
            ".tar archive"
        )
    else:
        raise UnsafeSubmissionError(f"{origin.name} is not a regular file or directory")
    sub.runs = find_runs(sub.root)
    if forbidden:
        for path in sorted(sub.root.rglob("*")):
            if path.is_file() and path.suffix in (".safetensors", ".zip", ".pt", ".pth"):
                what = forbidden.get(_file_digest(path, limits))
                if what:
                    raise SubmissionError(
                        f"{path.relative_to(sub.root)} is {what}: bundled experts are reference "
                        "rows (--with-references), not submissions"
                    )


def _file_digest(path: Path, limits: Limits) -> str:
    if path.stat().st_size > limits.max_total_bytes:
        raise UnsafeSubmissionError(f"{path.name} is larger than {limits.max_total_bytes} bytes")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --- loading (runs inside the sandboxed worker) ----------------------------------------------


def load_ref(ref: dict[str, Any] | PolicyRef, device: str = "auto", limits: Limits = Limits()):
    """Load a :class:`PolicyRef` as an :class:`~ilkit.policies.ArtifactPolicy`."""
    from ilkit.policies import load_policy
    from ilkit.policies.declared import load_declared

    ref = ref if isinstance(ref, PolicyRef) else PolicyRef(**ref)
    if ref.source == "artifact":
        return load_policy(ref.path, device=device)
    return load_declared(Path(ref.path), device=device, max_file_bytes=limits.max_file_bytes)
