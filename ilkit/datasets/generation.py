"""Generate a task's expert dataset X as a Minari dataset, deterministically and atomically.

The episodes are collected by :mod:`ilkit.datasets.rollout` (N envs in lock-step, W worker
processes), wrapped in ``minari.data_collector.EpisodeBuffer`` s and written by
``minari.create_dataset_from_buffers`` into a hidden temporary directory inside the Minari
data directory (same filesystem). The buffers are handed over as a stream, in episode order,
while the workers produce them: Minari's storage writes them in one pass over one open file,
so the write overlaps the rollouts and the file is the same whatever W and N. Checksums are
added to the metadata and the finished dataset is renamed into place in one step: an
interrupted run (Ctrl-C, kill -9, a full disk) leaves no dataset behind and an existing
dataset is replaced only when ``force`` is given, by an atomic exchange.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ilkit import atomic
from ilkit.datasets.errors import DatasetError, DatasetExistsError
from ilkit.datasets.naming import dataset_id_for
from ilkit.datasets.rollout import PREDICT_ROWS, EpisodeArrays, rollouts
from ilkit.datasets.tiers import noise_levels, tier_metadata
from ilkit.envs.seeds import training_seeds
from ilkit.envs.tasks import TaskSpec, spec
from ilkit.processes import sigterm_interrupts, torch_threads
from ilkit.progress import progress_bar

FORMATS = ("hdf5", "arrow")
DEFAULT_ENVS = 64
REF_EPISODES = 20
"""Held-out episodes used to measure a reference return missing from ``references.json``."""


def datasets_root() -> Path:
    """Where Minari keeps local datasets (``MINARI_DATASETS_PATH`` or ``~/.minari/datasets``),
    as an absolute path."""
    from minari.storage import get_dataset_path

    # absolute: with a relative MINARI_DATASETS_PATH the data file's path came out doubled
    # ("root/.../data/root/.../main_data.hdf5") and generation failed
    return Path(get_dataset_path()).absolute()


def generate(
    env_id: str,
    *,
    n_episodes: int,
    seed: int,
    policy: Any = None,
    workers: int = 1,
    data_format: str = "hdf5",
    with_rewards: bool = False,
    force: bool = False,
    n_envs: int = DEFAULT_ENVS,
    ref_scores: tuple[float, float] | None = None,
    progress: bool = True,
    tier: str = "expert",
):
    """Roll out the expert and write the Minari dataset ``ilkit/<Name>/<tier>-v0``.

    Args:
        env_id: an ilkit task, e.g. ``"ilkit/CartPole-v0"``.
        n_episodes: episodes to record (each exactly the task's horizon long).
        seed: user seed; episode ``i`` is reset with ``training_seeds(seed, n_episodes)[i]``,
            never a held-out evaluation seed.
        policy: anything with SB3's ``predict`` or the path of a policy artifact; None means
            the bundled expert ``ilkit.experts.load(env_id)``. Actions are deterministic.
        workers: processes the episodes are split over (batches of consecutive seeds, dealt
            round-robin; this process writes them while the workers go on).
        data_format: Minari storage, ``"hdf5"`` or ``"arrow"``.
        with_rewards: record the true reward (from the scorer) instead of zeros, under the
            dataset id ``ilkit/<Name>/expert-withrewards-v0``.
        force: replace an existing dataset of the same id (atomically).
        n_envs: episodes stepped in lock-step per worker.
        ref_scores: ``(ref_min_score, ref_max_score)`` to record instead of the task's
            reference returns (or, when those are not measured yet, a measurement here).
        progress: draw a progress bar on stderr.
        tier: ``expert`` (the HR-MDP's X), ``noisy``, ``medium`` or ``mixed``: the policy's
            actions replaced by uniform random ones with the tier's per-episode probability
            (:mod:`ilkit.datasets.tiers`); the metadata records the tier and the aggregate
            normalized true return of the policy that produced it.

    Returns:
        The new ``minari.MinariDataset``. Its data files are byte-identical for the same
        (task, policy, seed, n_episodes, format) whatever ``workers`` and ``n_envs``.
    """
    task = spec(env_id)
    _check_args(n_episodes, seed, workers, n_envs, data_format)
    dataset_id = dataset_id_for(task.id, with_rewards=with_rewards, tier=tier)
    noise = noise_levels(task.id, tier, n_episodes)
    root = datasets_root()
    final = root / dataset_id
    if final.exists() and not force:
        raise DatasetExistsError(f"{dataset_id} already exists in {root} (use --force to replace)")
    policy, expert = _resolve_policy(policy, task)
    seeds = training_seeds(seed, n_episodes)
    with torch_threads(1):  # small batches: intra-op threads only contend
        refs = _reference_scores(task, policy, ref_scores)
    metadata = _ilkit_metadata(task, expert, seed, seeds, with_rewards, data_format, refs)
    metadata["tier"] = tier_metadata(
        task.id, tier, bundled_expert=expert["source"] == "bundled expert"
    )
    if noise is not None:
        metadata["deterministic_actions"] = False
        metadata["noise_rule"] = (
            "per episode, numpy default_rng([episode_seed, 0x7135]) draws two numbers a step: "
            "replace the action if the first is below eps; the random action"
        )
    with sigterm_interrupts():  # `kill` runs the finally below: no hidden folder is left
        tmp_root = atomic.new_staging_dir(root)
        try:
            with (
                torch_threads(1),  # small batches: intra-op threads only contend
                progress_bar(n_episodes * task.horizon, f"{task.id} rollouts",
                             enabled=progress) as bar,
                rollouts(task.id, seeds, policy, workers=workers, n_envs=n_envs,
                         with_rewards=with_rewards, progress=bar, noise=noise) as episodes,
            ):  # fmt: skip
                _write(tmp_root, dataset_id, task, episodes, metadata, refs, data_format)
            _finish(tmp_root / dataset_id, metadata, n_episodes)
            _install(tmp_root / dataset_id, final, force=force, task_id=task.id)
        except OSError as err:
            if err.errno == errno.ENOSPC or "No space left" in str(err):
                raise DatasetError(f"no space left on device while writing {dataset_id}") from None
            raise DatasetError(f"cannot write {dataset_id} in {root}: {err}") from None
        finally:
            shutil.rmtree(tmp_root, ignore_errors=True)
    from minari import load_dataset

    return load_dataset(dataset_id)


def _check_args(n_episodes: int, seed: int, workers: int, n_envs: int, data_format: str) -> None:
    if not isinstance(n_episodes, int | np.integer) or n_episodes < 1:
        raise DatasetError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    if not 0 <= seed < 2**31:
        raise DatasetError(f"seed must be in [0, 2**31), got {seed}")
    if workers < 1 or n_envs < 1:
        raise DatasetError(f"workers and n_envs must be >= 1, got {workers} and {n_envs}")
    if data_format not in FORMATS:
        raise DatasetError(f"data_format must be one of {', '.join(FORMATS)}, got {data_format!r}")


def _resolve_policy(policy: Any, task: TaskSpec) -> tuple[Any, dict[str, Any]]:
    """The policy object and what the metadata says about it."""
    from ilkit.policies import load_policy
    from ilkit.policies.spaces import policy_misfit

    if policy is None:
        from ilkit.experts import load as load_expert

        policy = load_expert(task.id, device="cpu")  # small batches: the CPU beats a GPU here
        source = "bundled expert"
    elif isinstance(policy, str | os.PathLike):
        path = policy
        policy = load_policy(path, device="cpu")  # small batches: the CPU beats a GPU here
        source = f"policy artifact {Path(path).name}"
    else:
        source = f"{type(policy).__module__}.{type(policy).__qualname__}"
    manifest = dict(getattr(policy, "manifest", None) or {})
    if not callable(getattr(policy, "predict", None)):
        raise DatasetError(f"policy {source} has no predict(obs, deterministic=...) method")
    from ilkit.envs.hidden import HiddenRewardEnv

    env = HiddenRewardEnv(task.id)
    misfit = policy_misfit(policy, env, task.id)
    env.close()
    if misfit:
        raise DatasetError(misfit)
    kind = " ".join(str(manifest[k]) for k in ("algorithm", "controller") if manifest.get(k))
    name = manifest.get("name") or kind or source
    if source == "bundled expert":
        name = f"ilkit bundled expert ({name})"
    figures = {k: v for k, v in manifest.items() if k not in ("observation_space", "action_space")}
    return policy, {"name": str(name), "source": source, "manifest": figures}


def _reference_scores(
    task: TaskSpec, policy: Any, given: tuple[float, float] | None
) -> dict[str, Any]:
    """``ref_min_score`` / ``ref_max_score`` (and where each came from) for Minari.

    In order of preference: the values given by the caller; the task's reference returns in
    ``references.json`` (random and bundled expert, held-out seeds); for the maximum, the
    generating policy's manifest figure ``true_return`` when measured on held-out seeds;
    otherwise a measurement here on held-out seeds with the true reward (uniform random
    actions for the minimum, the generating policy for the maximum).
    """
    if given is not None:
        lo, hi = (float(v) for v in given)
        return {"ref_min_score": lo, "ref_min_score_source": "given by the caller",
                "ref_max_score": hi, "ref_max_score_source": "given by the caller"}  # fmt: skip
    refs_file = "ilkit/envs/references.json"
    true_return = (getattr(policy, "manifest", None) or {}).get("true_return") or {}
    if task.ref_random_return is not None:
        lo, lo_source = task.ref_random_return, refs_file
    else:
        lo, lo_source = _measure(task, None), _measured()
    if task.ref_expert_return is not None:
        hi, hi_source = task.ref_expert_return, refs_file
    elif true_return.get("seeds") == "validation" and true_return.get("mean") is not None:
        hi, hi_source = true_return["mean"], "the policy manifest's true_return (held-out seeds)"
    else:
        hi, hi_source = _measure(task, policy), _measured()
    return {"ref_min_score": float(lo), "ref_min_score_source": lo_source,
            "ref_max_score": float(hi), "ref_max_score_source": hi_source}  # fmt: skip


def _measured() -> str:
    return f"measured here: {REF_EPISODES} held-out episodes, true reward"


def _measure(task: TaskSpec, policy: Any) -> float:
    """Mean true return on held-out seeds of ``policy`` (None: uniform random actions)."""
    from ilkit.envs.hidden import HiddenRewardEnv
    from ilkit.evaluation import evaluate
    from ilkit.policies import RandomPolicy

    if policy is None:
        env = HiddenRewardEnv(task.id)
        policy = RandomPolicy(env.action_space)
        env.close()
    return evaluate(policy, task.id, n_episodes=REF_EPISODES, n_envs=PREDICT_ROWS).mean


def _ilkit_metadata(
    task: TaskSpec,
    expert: dict[str, Any],
    seed: int,
    seeds: list[int],
    with_rewards: bool,
    data_format: str,
    refs: dict[str, Any],
) -> dict[str, Any]:
    """The ``ilkit`` block of the dataset metadata (no timestamps: metadata is reproducible)."""
    import ilkit

    return {
        "ilkit_version": ilkit.__version__,
        "env_id": task.id,
        "task": task.to_dict(),
        "expert": expert,
        "seed": seed,
        "episode_seeds": seeds,
        "seed_rule": "ilkit.envs.training_seeds(seed, n_episodes); never held-out seeds",
        "deterministic_actions": True,
        "rewards": (
            "true reward from ilkit.evaluation's scorer (offline-RL dataset, not the HR-MDP's X)"
            if with_rewards
            else "zeros: the HR-MDP hides its reward; X holds (s, a) only"
        ),
        "with_rewards": with_rewards,
        "data_format": data_format,
        "references": {k: v for k, v in refs.items() if k.endswith("_source")},
    }


def _buffers(episodes: Iterable[EpisodeArrays], horizon: int) -> Iterator:
    from minari.data_collector import EpisodeBuffer

    terminations = np.zeros(horizon, dtype=bool)  # the tasks never terminate ...
    truncations = np.zeros(horizon, dtype=bool)
    truncations[-1] = True  # ... and are cut off at exactly the horizon
    for i, ep in enumerate(episodes):
        yield EpisodeBuffer(
            id=i,
            seed=ep.seed,
            observations=ep.observations,
            actions=ep.actions,
            rewards=ep.rewards,
            terminations=terminations,
            truncations=truncations,
        )


@contextlib.contextmanager
def _minari_root(path: Path) -> Iterator[None]:
    """Point Minari at ``path`` while it writes (it reads MINARI_DATASETS_PATH on each call)."""
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def _write(
    tmp_root: Path,
    dataset_id: str,
    task: TaskSpec,
    episodes: Iterable[EpisodeArrays],
    ilkit_meta: dict[str, Any],
    refs: dict[str, Any],
    data_format: str,
) -> None:
    """Write the episodes as they come (the storage only iterates over its ``buffer``)."""
    import gymnasium as gym
    from minari import create_dataset_from_buffers

    n_episodes = len(ilkit_meta["episode_seeds"])
    with _minari_root(tmp_root), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # author email, code permalink: none
        create_dataset_from_buffers(
            dataset_id,
            _buffers(episodes, task.horizon),  # type: ignore[arg-type]  (an iterable will do)
            env=gym.spec(task.id),
            eval_env=gym.spec(task.id),
            algorithm_name=ilkit_meta["expert"]["name"],
            author="ilkit",
            description=_description(task, n_episodes, ilkit_meta),
            ref_min_score=refs["ref_min_score"],
            ref_max_score=refs["ref_max_score"],
            num_episodes_average_score=REF_EPISODES,
            data_format=data_format,
        )


def _finish(path: Path, ilkit_meta: dict[str, Any], n_episodes: int) -> None:
    """Check the count, add the ilkit metadata with the data files' checksums, flush."""
    from minari.dataset.minari_storage import MinariStorage

    from ilkit.datasets.checksums import data_file_checksums

    data_path = path / "data"
    storage = MinariStorage.read(data_path)
    if storage.total_episodes != n_episodes:  # a stream cut short must not be installed
        raise DatasetError(f"wrote {storage.total_episodes} episodes, expected {n_episodes}")
    ilkit_meta = dict(ilkit_meta, checksums=data_file_checksums(data_path))
    storage.update_metadata({"ilkit": ilkit_meta})
    atomic.fsync_tree(path)


def _description(task: TaskSpec, n: int, meta: dict[str, Any]) -> str:
    rewards = "true rewards (offline RL)" if meta["with_rewards"] else "rewards zeroed (hidden)"
    tier = meta.get("tier", {}).get("name", "expert")
    what = "Expert demonstrations X" if tier == "expert" else f"The {tier} tier"
    actions = (
        "deterministic actions"
        if tier == "expert"
        else f"actions: {meta['tier']['policy']} (eps {meta['tier']['eps']})"
    )
    return (
        f"{what} of the ilkit HR-MDP {task.id}: {n} episodes of exactly "
        f"{task.horizon} steps by {meta['expert']['name']}, {actions}; {rewards}. "
        f"Never terminates, truncated at the horizon; discount gamma={task.gamma}."
    )


def _install(new: Path, final: Path, *, force: bool, task_id: str) -> None:
    """Create Minari's namespaces for the id, then make the dataset visible in one step."""
    from minari.dataset.minari_dataset import parse_dataset_id
    from minari.namespace import create_namespace, list_local_namespaces

    dataset_id = final.relative_to(datasets_root()).as_posix()
    namespace = parse_dataset_id(dataset_id)[0]  # "ilkit/<Name>"
    if namespace is not None:
        top = namespace.split("/")[0]
        for ns, text in (
            (top, "ilkit: expert datasets X of Hidden-Reward MDPs (reward hidden, fixed horizon)"),
            (namespace, f"ilkit expert datasets of the task {task_id}"),
        ):
            if ns not in list_local_namespaces():
                create_namespace(ns, description=text)
    if not atomic.install(new, final, replace=force):
        raise DatasetExistsError(f"{dataset_id} appeared while generating; not replaced")
