"""Leaderboard submissions: finding them, unpacking them safely, and loading their policies.

A submission is one entry of ``SUBMISSIONS_DIR``: a directory, or a ``.zip``/``.tar.gz``
archive of one (unpacked with :func:`ilkit.leaderboard.safety.safe_extract`). Inside it, each
policy is either

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
says what the policy used; the leaderboard shows it as the entry's track.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilkit.leaderboard.safety import (
    MB,
    Limits,
    SubmissionError,
    UnsafeSubmissionError,
    archive_stem,
    check_tree,
    is_archive,
    safe_extract,
)
from ilkit.policies.declared import read_json

NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_JSON_BYTES = 1 * MB
TRAINING_FIELDS = ("offline", "env_steps", "expert_queries", "demos")


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
    """One entry of the board: its name, files, content digest and policies per task."""

    name: str
    origin: Path
    root: Path | None = None
    digest: str = ""
    policies: dict[str, PolicyRef] = field(default_factory=dict)
    error: str | None = None
    """Why the submission as a whole cannot be evaluated (unsafe archive, bad manifest ...)."""


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


def find_policies(root: Path) -> dict[str, PolicyRef]:
    """Policies of a submission directory, keyed by task id (artifacts and declared JSONs)."""
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
            manifest = read_json(path)
            if not isinstance(manifest, dict):
                continue
            if manifest.get("format") == "ilkit-policy" and path.name == "manifest.json":
                ref = PolicyRef(
                    str(manifest.get("env_id")), "artifact", str(folder), training_info(manifest)
                )
            elif "weights" in manifest:
                ref = PolicyRef(
                    str(manifest.get("env_id")), "declared", str(path), training_info(manifest)
                )
            else:
                continue
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


def discover(
    submissions_dir: Path, unpack_dir: Path, limits: Limits = Limits()
) -> list[Submission]:
    """Every submission under ``submissions_dir``; archives are unpacked into ``unpack_dir``.

    A submission that is unsafe or malformed is returned with ``error`` set (it becomes a row
    of failed cells), so one bad entry never stops the board.
    """
    if not submissions_dir.is_dir():
        raise SubmissionError(f"{submissions_dir} is not a directory")
    found: list[Submission] = []
    names: set[str] = set()
    for origin in sorted(submissions_dir.iterdir()):
        if origin.name.startswith("."):
            continue
        if not (origin.is_dir() or is_archive(origin)) or origin.is_symlink():
            continue
        stem = archive_stem(origin) if is_archive(origin) else origin.name
        name = safe_name(stem)
        while name in names:
            name += "_"
        names.add(name)
        sub = Submission(name=name, origin=origin)
        try:
            if is_archive(origin):
                sub.digest = _file_digest(origin, limits)
                sub.root = unpack_dir / f"{name}-{sub.digest[:12]}"
                if not sub.root.exists():
                    safe_extract(origin, sub.root, limits)
            else:
                check_tree(origin, limits)
                sub.root = origin
                sub.digest = digest_tree(origin)
            sub.policies = find_policies(sub.root)
        except SubmissionError as err:
            sub.error = str(err)
            sub.digest = sub.digest or "unreadable"
        found.append(sub)
    return found


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
