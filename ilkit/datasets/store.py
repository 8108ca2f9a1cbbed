"""Local datasets: load (generating a task's dataset when missing), list, describe, delete.

Datasets live where Minari keeps them (``MINARI_DATASETS_PATH``, else ``~/.minari/datasets``),
so ``minari list`` / ``minari show`` and ``minari.load_dataset`` see the same ones.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from ilkit import atomic
from ilkit.datasets.errors import DatasetError, DatasetExistsError, UnknownDatasetError
from ilkit.datasets.generation import datasets_root
from ilkit.datasets.naming import (
    DEFAULT_SEED,
    default_episodes,
    parse_dataset_id,
    task_of_dataset,
)
from ilkit.progress import log

DATA_DIR = "data"
METADATA_FILE = "metadata.json"


def local_ids() -> list[str]:
    """Ids of every dataset stored locally (directories holding ``data/metadata.json``)."""
    root = datasets_root()
    found = []
    for meta in root.rglob(f"{DATA_DIR}/{METADATA_FILE}"):
        rel = meta.parent.parent.relative_to(root)
        if rel.parts and not any(part.startswith(".") for part in rel.parts):
            found.append(rel.as_posix())
    return sorted(found)


def _path(dataset_id: str) -> Path:
    return datasets_root() / dataset_id


def _unknown(dataset_id: str) -> UnknownDatasetError:
    known = local_ids()
    close = difflib.get_close_matches(dataset_id, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    where = f" in {datasets_root()}"
    if not close:
        hint = f"; local datasets: {', '.join(known)}" if known else "; no local datasets"
    return UnknownDatasetError(f"unknown dataset {dataset_id!r}{where}{hint}")


def resolve_id(dataset_id: str) -> str:
    """A dataset id as given, or the dataset X of a task given by its env id."""
    task = task_of_dataset(dataset_id)
    if task is not None and dataset_id == task[0]:
        from ilkit.datasets.naming import dataset_id_for

        return dataset_id_for(task[0])
    return dataset_id


def read_metadata(dataset_id: str) -> dict[str, Any]:
    """The raw ``metadata.json`` of a local dataset."""
    dataset_id = resolve_id(dataset_id)
    path = _path(dataset_id) / DATA_DIR / METADATA_FILE
    if not path.is_file():
        raise _unknown(dataset_id)
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(meta, dict):
        raise DatasetError(f"{path} does not hold a JSON object")
    return meta


def load(
    dataset_id: str,
    generate_if_missing: bool = True,
    *,
    progress: bool = True,
    offline_rl: bool = False,
):
    """The Minari dataset ``dataset_id`` (a task's env id names its dataset X).

    A missing ilkit task dataset (``ilkit/<Name>/<tier>-v0``, any tier of
    :data:`ilkit.envs.tasks.TIERS`) is generated from the bundled expert with the default size
    (50 episodes for classic tasks, 25 for MuJoCo, seed 0), with a message and a progress bar,
    unless ``generate_if_missing=False``.

    ``ilkit/<Name>/<tier>-withrewards-v0`` carries the hidden per-step reward: it is an
    offline-RL dataset, outside the HR-MDP. It is loaded or generated only with
    ``offline_rl=True``, so nobody receives the reward by asking for the wrong name.

    Raises:
        UnknownDatasetError: not stored locally and not generatable (or generation disabled).
        DatasetError: the dataset exists but cannot be read, or carries rewards and
            ``offline_rl`` is False.
    """
    from minari import load_dataset

    dataset_id = resolve_id(dataset_id)
    task = task_of_dataset(dataset_id)
    if task is not None and task[1] and not offline_rl:
        raise DatasetError(
            f"{dataset_id} carries the task's hidden reward: it is an offline-RL dataset outside "
            "the HR-MDP. Ask for it explicitly: datasets.load(id, offline_rl=True), or "
            f"`ilkit generate {task[0]} --offline-rl-rewards`"
        )
    if not (_path(dataset_id) / DATA_DIR / METADATA_FILE).is_file():
        parsed = parse_dataset_id(dataset_id)
        if parsed is None or not generate_if_missing:
            raise _unknown(dataset_id)
        from ilkit.datasets.generation import generate

        env_id, tier, with_rewards = parsed
        n = default_episodes(env_id)
        log(
            f"{dataset_id} is not in {datasets_root()}: generating {n} episodes from the "
            f"bundled expert ({tier} tier, seed {DEFAULT_SEED}); later loads reuse it"
        )
        try:
            return generate(
                env_id,
                n_episodes=n,
                seed=DEFAULT_SEED,
                with_rewards=with_rewards,
                tier=tier,
                progress=progress,
            )
        except DatasetExistsError:
            # Another process (a parallel sweep's run) installed it first. Generation from the
            # bundled expert at the default seed is deterministic: its copy is this one.
            log(f"{dataset_id} was installed by another process meanwhile; loading that copy")
    _check_task_spaces(dataset_id)
    try:
        return load_dataset(dataset_id)
    except Exception as err:  # noqa: BLE001  (h5py/pyarrow/JSON errors on a damaged dataset)
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(
            f"cannot read {dataset_id}: {first} (run `ilkit datasets verify {dataset_id}`)"
        ) from None


def _check_task_spaces(dataset_id: str) -> None:
    """An ilkit dataset whose spaces no longer fit its task is refused with one clear line."""
    from ilkit.datasets.spaces import check_spaces

    meta = read_metadata(dataset_id)
    ilkit_meta = meta.get("ilkit")
    if isinstance(ilkit_meta, dict):
        problems = check_spaces(meta, ilkit_meta)[-1]
        if problems:
            raise DatasetError(f"{dataset_id}: {problems[0]}")


def _summary(dataset_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    ilkit_meta = meta.get("ilkit") or {}
    env_spec = meta.get("env_spec")
    env_id = ilkit_meta.get("env_id")
    if env_id is None and isinstance(env_spec, str):
        try:
            env_id = json.loads(env_spec).get("id")
        except (json.JSONDecodeError, AttributeError):
            env_id = None
    return {
        "dataset_id": dataset_id,
        "env_id": env_id,
        "episodes": meta.get("total_episodes"),
        "steps": meta.get("total_steps"),
        "format": meta.get("data_format"),
        "size_mb": meta.get("dataset_size"),
        "with_rewards": ilkit_meta.get("with_rewards"),
        "expert": (ilkit_meta.get("expert") or {}).get("name"),
        "seed": ilkit_meta.get("seed"),
        "ilkit": bool(ilkit_meta),
    }


def list_datasets() -> list[dict[str, Any]]:
    """One summary row per local dataset (ilkit's and any other Minari dataset)."""
    rows = []
    for dataset_id in local_ids():
        try:
            rows.append(_summary(dataset_id, read_metadata(dataset_id)))
        except DatasetError as err:
            rows.append({"dataset_id": dataset_id, "error": str(err)})
    return rows


def describe(dataset_id: str) -> dict[str, Any]:
    """Summary, path and full metadata of a local dataset."""
    dataset_id = resolve_id(dataset_id)
    meta = read_metadata(dataset_id)
    return {
        **_summary(dataset_id, meta),
        "path": str(_path(dataset_id)),
        "ref_min_score": meta.get("ref_min_score"),
        "ref_max_score": meta.get("ref_max_score"),
        "metadata": meta,
    }


def delete(dataset_id: str) -> Path:
    """Remove a local dataset: renamed out of sight first, so it never appears half-deleted."""
    dataset_id = resolve_id(dataset_id)
    path = _path(dataset_id)
    if not (path / DATA_DIR / METADATA_FILE).is_file():
        raise _unknown(dataset_id)
    root = datasets_root()
    trash = atomic.new_staging_dir(root)
    try:
        os.rename(path, trash / "deleted")
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    return path
