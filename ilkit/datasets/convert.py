"""Minari episodes -> imitation's ``Trajectory`` / ``Transitions``, or flat arrays for training.

Episode-end flags. Minari stores two flags per step: ``terminations`` (the MDP reached a
terminal state) and ``truncations`` (the episode was cut off). ilkit's tasks never terminate
and are truncated at exactly the horizon, so a stored episode has ``terminations`` all False
and ``truncations`` True at its last step only.

imitation has one flag with a different meaning: ``Trajectory.terminal`` is "this trajectory
runs to the end of its episode" ("episodes are always terminal", imitation.data.types) and
``Transitions.dones[i]`` is "``next_obs[i]`` is the last observation of an episode". imitation's
own rollouts (``rollout.generate_trajectories``, the generator samples of GAIL and AIRL) mark
every finished episode that way, truncated or not. The default ``dones="episode_end"``
follows that convention so expert and generator batches carry the same flags (a discriminator
could otherwise tell them apart by the flag alone). Pass ``dones="terminations"`` to mark only
true MDP terminations instead (never, for ilkit tasks), e.g. to bootstrap values through a
truncation in offline RL; trajectories then end with ``terminal=False``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import numpy as np

from ilkit.datasets.errors import DatasetError

if TYPE_CHECKING:
    from imitation.data.types import Trajectory, Transitions
    from minari import MinariDataset
    from minari.dataset.episode_data import EpisodeData

DoneFlags = Literal["episode_end", "terminations"]


def _dataset(dataset: MinariDataset | str) -> MinariDataset:
    if isinstance(dataset, str):
        from ilkit.datasets.store import load

        return load(dataset)
    return dataset


def _indices(dataset: MinariDataset, n_episodes: int | None) -> np.ndarray:
    indices = np.asarray(dataset.episode_indices)
    if n_episodes is None:
        return indices
    if not 0 < n_episodes <= len(indices):
        raise DatasetError(
            f"n_episodes must be in [1, {len(indices)}] for {dataset.spec.dataset_id}, "
            f"got {n_episodes}"
        )
    return indices[:n_episodes]


@contextlib.contextmanager
def _reading(dataset: MinariDataset) -> Iterator[None]:
    """h5py / pyarrow errors on a damaged file -> one clear DatasetError."""
    try:
        yield
    except (OSError, KeyError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(
            f"cannot read {dataset.spec.dataset_id}: {first} (run `ilkit datasets verify`)"
        ) from None


def _episodes(dataset: MinariDataset, indices: np.ndarray) -> Iterator[EpisodeData]:
    with _reading(dataset):
        yield from dataset.iterate_episodes(indices)


def _check_flat(array: object, what: str) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise DatasetError(f"{what} must be arrays (Box or Discrete spaces), got {type(array)}")
    return array


def _episode_lengths(dataset: MinariDataset, indices: np.ndarray) -> list[int]:
    with _reading(dataset):
        return [int(m["total_steps"]) for m in dataset.storage.get_episode_metadata(indices)]


def load_arrays(
    dataset: MinariDataset | str,
    n_episodes: int | None = None,
    *,
    obs_dtype: np.dtype | type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """The (state, action) pairs of the first ``n_episodes`` episodes as two flat arrays.

    ``obs[i]`` is the observation at which ``acts[i]`` was taken (each episode's final
    observation has no action and is left out). The arrays are allocated once at their final
    size and filled episode by episode, so peak memory is the arrays plus one episode.

    Args:
        dataset: a Minari dataset or its id (loaded, and generated if missing).
        n_episodes: use only the first episodes (all by default).
        obs_dtype: dtype of the returned observations (float32: what the sampler uses).
    """
    dataset = _dataset(dataset)
    indices = _indices(dataset, n_episodes)
    lengths = _episode_lengths(dataset, indices)
    total = int(sum(lengths))
    obs_shape = dataset.observation_space.shape
    act_space = dataset.action_space
    obs = np.empty((total, *obs_shape), dtype=obs_dtype)
    acts = np.empty((total, *act_space.shape), dtype=act_space.dtype)
    start = 0
    for length, episode in zip(lengths, _episodes(dataset, indices), strict=True):
        ep_obs = _check_flat(episode.observations, "observations")
        ep_acts = _check_flat(episode.actions, "actions")
        if len(ep_acts) != length or len(ep_obs) != length + 1:
            raise DatasetError(
                f"episode {episode.id} of {dataset.spec.dataset_id} has {len(ep_obs)} "
                f"observations and {len(ep_acts)} actions; its metadata says {length} steps"
            )
        obs[start : start + length] = ep_obs[:-1]
        acts[start : start + length] = ep_acts
        start += length
    return obs, acts


def _terminal(episode: EpisodeData, dones: DoneFlags) -> bool:
    if dones == "episode_end":
        return True
    if dones == "terminations":
        return bool(episode.terminations[-1])
    raise DatasetError(f"dones must be 'episode_end' or 'terminations', got {dones!r}")


def to_trajectories(
    dataset: MinariDataset | str,
    n_episodes: int | None = None,
    *,
    dones: DoneFlags = "episode_end",
) -> list[Trajectory]:
    """One imitation ``Trajectory`` per episode (``obs`` has one more row than ``acts``).

    ``terminal`` follows ``dones`` (see the module docstring): True for every complete episode
    by default, as imitation's own rollouts mark them. Rewards are not included (they are
    hidden; zeros in an ilkit expert dataset).
    """
    from imitation.data.types import Trajectory

    dataset = _dataset(dataset)
    out = []
    for episode in _episodes(dataset, _indices(dataset, n_episodes)):
        out.append(
            Trajectory(
                obs=_check_flat(episode.observations, "observations"),
                acts=_check_flat(episode.actions, "actions"),
                infos=None,
                terminal=_terminal(episode, dones),
            )
        )
    return out


def to_transitions(
    dataset: MinariDataset | str,
    n_episodes: int | None = None,
    *,
    dones: DoneFlags = "episode_end",
) -> Transitions:
    """All episodes flattened into imitation ``Transitions`` (obs, acts, next_obs, dones).

    Equivalent to ``imitation.data.rollout.flatten_trajectories(to_trajectories(...))`` but
    filled in place, without holding every trajectory and its copy at once.
    """
    from imitation.data.types import Transitions

    dataset = _dataset(dataset)
    indices = _indices(dataset, n_episodes)
    lengths = _episode_lengths(dataset, indices)
    total = int(sum(lengths))
    obs_space, act_space = dataset.observation_space, dataset.action_space
    obs = np.empty((total, *obs_space.shape), dtype=obs_space.dtype)
    next_obs = np.empty_like(obs)
    acts = np.empty((total, *act_space.shape), dtype=act_space.dtype)
    done = np.zeros(total, dtype=bool)
    start = 0
    for length, episode in zip(lengths, _episodes(dataset, indices), strict=True):
        ep_obs = _check_flat(episode.observations, "observations")
        end = start + length
        obs[start:end], next_obs[start:end] = ep_obs[:-1], ep_obs[1:]
        acts[start:end] = _check_flat(episode.actions, "actions")
        if dones == "terminations":
            done[start:end] = episode.terminations
        else:
            _terminal(episode, dones)  # validates the flag name
            done[end - 1] = True
        start = end
    infos = np.array([{}] * total, dtype=object)
    return Transitions(obs=obs, acts=acts, infos=infos, next_obs=next_obs, dones=done)
