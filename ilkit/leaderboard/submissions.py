"""Leaderboard submissions: finding them, copying them safely, and hashing them.

What a submission *is* is defined once, in :mod:`ilkit.policies.submission` (shared with
``ilkit evaluate`` and ``ilkit leaderboard check``). Here each entry of ``SUBMISSIONS_DIR`` (a
directory, or a ``.zip``/``.tar.gz``/``.tar`` archive of one) is first copied into the board's
unpack area (archives with :func:`~ilkit.policies.safety.safe_extract`, folders with
:func:`~ilkit.policies.safety.copy_tree`), and only that copy is hashed and scored. Anything
else at the top level, and any submission that is malformed or unsafe in any way, becomes an
entry with an ``error``: one line, a row of failed cells, never a stopped board. A submission
that holds a copy of a bundled expert's weights is refused (those are reference rows).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ilkit.atomic import install, new_staging_dir
from ilkit.digest import file_sha256, tree_sha256
from ilkit.errors import IlkitError
from ilkit.policies.safety import (
    Limits,
    SubmissionError,
    UnsafeSubmissionError,
    archive_stem,
    copy_tree,
    is_archive,
    safe_extract,
)
from ilkit.policies.submission import (
    PolicyRef,
    RewardRef,
    find_contents,
    safe_name,
)

MAX_REASON = 2000


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
    rewards: dict[str, RewardRef] = field(default_factory=dict)
    """Task id -> reward artifact, for the reward track."""

    @property
    def in_policy_track(self) -> bool:
        """Policies, or refused whole (which it might have held: its row shows why)."""
        return bool(self.runs) or not self.rewards

    @property
    def in_reward_track(self) -> bool:
        return bool(self.rewards) or (self.error is not None and not self.reference)

    @property
    def policies(self) -> dict[str, PolicyRef]:
        """The policies of a single-run submission (the first run's otherwise)."""
        return next(iter(self.runs.values()), {})


def discover(
    submissions_dir: Path,
    unpack_dir: Path,
    limits: Limits = Limits(),
    forbidden_digests: dict[str, str] | None = None,
    origins: list[Path] | None = None,
) -> list[Submission]:
    """Every entry of ``submissions_dir`` (or just ``origins``), copied into ``unpack_dir`` and
    checked.

    A submission that is unsafe or malformed, in whatever way, is returned with ``error`` set
    (one line; it becomes a row of failed cells), so one bad entry never stops the board.
    ``forbidden_digests`` maps sha256 digests of weights files to what they are (the bundled
    experts): a submission holding one is refused.
    """
    found: list[Submission] = []
    names: set[str] = set()
    for origin in entries(submissions_dir) if origins is None else origins:
        stem = archive_stem(origin) if is_archive(origin) else origin.name
        name = safe_name(stem)
        while name in names:
            name += "_"
        names.add(name)
        found.append(load_submission(origin, name, unpack_dir, limits, forbidden_digests))
    return found


def entries(submissions_dir: Path) -> list[Path]:
    """The candidate submissions of a folder (hidden names skipped), in sorted order."""
    if not submissions_dir.is_dir():
        raise SubmissionError(f"{submissions_dir} is not a directory")
    return [p for p in sorted(submissions_dir.iterdir()) if not p.name.startswith(".")]


def load_submission(
    origin: Path,
    name: str,
    unpack_dir: Path,
    limits: Limits = Limits(),
    forbidden_digests: dict[str, str] | None = None,
) -> Submission:
    """One submission, copied into ``unpack_dir``, hashed and checked; any problem is its
    ``error`` (what ``ilkit leaderboard check`` reports, and the board stores as failed)."""
    unpack_dir.mkdir(parents=True, exist_ok=True)
    sub = Submission(name=name, origin=origin)
    try:
        _load(sub, unpack_dir, limits, forbidden_digests or {})
    except IlkitError as err:  # SubmissionError, or a manifest that fails the format's checks
        sub.error = _one_line(str(err))
    except Exception as err:  # anything else a hostile file provokes: still one entry
        sub.error = _one_line(f"unreadable submission: {type(err).__name__}: {err}")
    if sub.error:
        sub.digest = sub.digest or "unreadable"
        sub.runs, sub.rewards = {}, {}
    return sub


def _one_line(text: str) -> str:
    return " ".join(text.split())[:MAX_REASON]


def _load(sub: Submission, unpack_dir: Path, limits: Limits, forbidden: dict[str, str]) -> None:
    origin = sub.origin
    if origin.is_symlink():
        raise UnsafeSubmissionError(f"{origin.name} is a symbolic link")
    if origin.is_dir():
        staging = new_staging_dir(unpack_dir)
        try:
            copy_tree(origin, staging, limits)
            sub.digest = tree_sha256(staging)
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
    sub.runs, sub.rewards = find_contents(sub.root)
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
    return file_sha256(path)
