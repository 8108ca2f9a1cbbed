"""Expert datasets X in Minari format: generation, loading, conversion, device batches.

``ilkit.datasets.load("ilkit/CartPole/expert-v0")`` returns a ``minari.MinariDataset``
(generated from the bundled expert the first time); ``to_trajectories`` / ``to_transitions``
convert it for imitation, and ``DeviceBatchSampler(*load_arrays(ds), batch_size=...)`` serves
shuffled minibatches from the training device.

Attributes are imported on first use, so ``import ilkit.datasets.cli`` (and ``ilkit --help``)
does not pull in torch, minari or imitation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ilkit.lazy import lazy_exports

_EXPORTS = {
    "DeviceBatchSampler": "ilkit.datasets.sampler",
    "load_arrays": "ilkit.datasets.convert",
    "to_trajectories": "ilkit.datasets.convert",
    "to_transitions": "ilkit.datasets.convert",
    "generate": "ilkit.datasets.generation",
    "load": "ilkit.datasets.store",
    "list_datasets": "ilkit.datasets.store",
    "describe": "ilkit.datasets.store",
    "delete": "ilkit.datasets.store",
    "verify": "ilkit.datasets.verification",
    "dataset_id_for": "ilkit.datasets.naming",
    "DatasetError": "ilkit.datasets.errors",
    "DatasetExistsError": "ilkit.datasets.errors",
    "UnknownDatasetError": "ilkit.datasets.errors",
    "VerifyFailedError": "ilkit.datasets.errors",
}

__all__ = [
    "DatasetError",
    "DatasetExistsError",
    "DeviceBatchSampler",
    "UnknownDatasetError",
    "VerifyFailedError",
    "dataset_id_for",
    "delete",
    "describe",
    "generate",
    "list_datasets",
    "load",
    "load_arrays",
    "to_trajectories",
    "to_transitions",
    "verify",
]

if TYPE_CHECKING:
    from ilkit.datasets.convert import load_arrays, to_trajectories, to_transitions
    from ilkit.datasets.errors import (
        DatasetError,
        DatasetExistsError,
        UnknownDatasetError,
        VerifyFailedError,
    )
    from ilkit.datasets.generation import generate
    from ilkit.datasets.naming import dataset_id_for
    from ilkit.datasets.sampler import DeviceBatchSampler
    from ilkit.datasets.store import delete, describe, list_datasets, load
    from ilkit.datasets.verification import verify


__getattr__ = lazy_exports(__name__, _EXPORTS)
