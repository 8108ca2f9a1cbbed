"""Device-resident minibatches: the whole dataset on the device once, shuffled by index.

BC-style training spends most of its time moving samples around when each batch is collated in
Python (imitation's ``DataLoader`` path). Here the observations and actions become two tensors
on the training device at construction; an epoch is one ``randperm`` on that device and each
minibatch is a single gather, so there is no per-sample Python work.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch as th

from ilkit.datasets.errors import DatasetError


def _as_tensor(array: np.ndarray, dtype: th.dtype, device: th.device) -> th.Tensor:
    """``array`` as a tensor on ``device``; shares memory when no cast or copy is needed."""
    array = np.ascontiguousarray(array)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DatasetError(f"expected a numeric array, got dtype {array.dtype}")
    return th.from_numpy(array).to(device=device, dtype=dtype)


class DeviceBatchSampler:
    """Shuffled minibatches ``(obs, acts)`` of tensors that already live on the device.

    Args:
        observations: ``(n, *obs_shape)``, stored as float32.
        actions: ``(n,)`` integer actions (stored as int64) or ``(n, *act_shape)`` continuous
            actions (stored as float32).
        batch_size: samples per minibatch.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:0"``, ...
        seed: seed of the shuffling generator; the sequence of epochs is reproducible.
        drop_last: drop the final, smaller minibatch of each epoch (imitation's BC expects
            every batch to have exactly ``batch_size`` samples, so pass True there).

    Iterating the sampler runs one epoch; iterate again for the next (a fresh permutation).
    On the CPU with float32 observations the tensors share the numpy arrays' memory.
    """

    def __init__(
        self,
        observations: np.ndarray,
        actions: np.ndarray,
        *,
        batch_size: int,
        device: str | th.device = "auto",
        seed: int = 0,
        drop_last: bool = False,
    ):
        from ilkit.policies import resolve_device

        if batch_size <= 0:
            raise DatasetError(f"batch_size must be positive, got {batch_size}")
        if len(observations) != len(actions):
            raise DatasetError(
                f"{len(observations)} observations but {len(actions)} actions: lengths differ"
            )
        if len(observations) == 0:
            raise DatasetError("cannot sample from an empty dataset")
        if drop_last and len(observations) < batch_size:
            raise DatasetError(
                f"batch_size {batch_size} exceeds the {len(observations)} samples (drop_last)"
            )
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        self.drop_last = drop_last
        discrete = np.issubdtype(np.asarray(actions).dtype, np.integer)
        self.observations = _as_tensor(observations, th.float32, self.device)
        self.actions = _as_tensor(actions, th.int64 if discrete else th.float32, self.device)
        self._generator = th.Generator(device=self.device)
        self._generator.manual_seed(int(seed))

    @classmethod
    def from_dataset(
        cls,
        dataset,
        *,
        batch_size: int,
        n_episodes: int | None = None,
        device: str | th.device = "auto",
        seed: int = 0,
        drop_last: bool = False,
    ) -> DeviceBatchSampler:
        """A sampler over the (state, action) pairs of a Minari dataset or dataset id."""
        from ilkit.datasets.convert import load_arrays

        obs, acts = load_arrays(dataset, n_episodes)
        return cls(obs, acts, batch_size=batch_size, device=device, seed=seed, drop_last=drop_last)

    @property
    def n_samples(self) -> int:
        return int(self.observations.shape[0])

    def __len__(self) -> int:
        """Minibatches per epoch."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def __iter__(self) -> Iterator[tuple[th.Tensor, th.Tensor]]:
        order = th.randperm(self.n_samples, generator=self._generator, device=self.device)
        for i in range(len(self)):
            index = order[i * self.batch_size : (i + 1) * self.batch_size]
            yield self.observations[index], self.actions[index]

    def iter_dicts(self) -> _DictBatches:
        """The same epochs as ``{"obs": ..., "acts": ...}`` dicts (imitation BC's batch format).

        Returns a re-iterable view rather than a one-shot generator, because imitation's BC
        iterates its demonstrations once per epoch (``util.endless_iter``).
        """
        return _DictBatches(self)

    def __repr__(self) -> str:
        return (
            f"DeviceBatchSampler(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"device={self.device}, batches_per_epoch={len(self)})"
        )


class _DictBatches:
    """Each iteration is one epoch of ``{"obs", "acts"}`` minibatches from the sampler."""

    def __init__(self, sampler: DeviceBatchSampler):
        self.sampler = sampler

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[dict[str, th.Tensor]]:
        for obs, acts in self.sampler:
            yield {"obs": obs, "acts": acts}
