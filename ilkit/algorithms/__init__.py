"""Imitation and inverse-RL algorithms on HR-MDPs: thin adapters over ``imitation`` and SB3.

One entry point for all: ``train(algo, env_id, *, dataset_id, n_demos, config, seed, device,
out_dir) -> TrainResult``. Each algorithm is one module with a config dataclass and a
``SPEC`` listed in :mod:`ilkit.algorithms.registry`; ``ALGORITHMS`` is read from there.
"""

from typing import TYPE_CHECKING

from ilkit.algorithms.configs import default_config, make_config
from ilkit.algorithms.errors import ConfigError, TrainingError, UnknownAlgorithmError
from ilkit.algorithms.registry import AlgorithmSpec, register
from ilkit.lazy import lazy_exports

if TYPE_CHECKING:
    from ilkit.algorithms.adversarial import (
        AdversarialConfig,
        PPOGeneratorConfig,
        SACGeneratorConfig,
    )
    from ilkit.algorithms.bc import BCConfig
    from ilkit.algorithms.dagger import DAggerConfig
    from ilkit.algorithms.training import TrainResult, train

_lazy = lazy_exports(
    __name__,
    {
        # training imports torch on first use, so ``ilkit --help`` and ``ilkit train --help``
        # skip it; the config classes live in their algorithm's module
        "TrainResult": ".training",
        "train": ".training",
        "BCConfig": ".bc",
        "DAggerConfig": ".dagger",
        "AdversarialConfig": ".adversarial",
        "PPOGeneratorConfig": ".adversarial",
        "SACGeneratorConfig": ".adversarial",
    },
)


def __getattr__(name: str):
    if name == "ALGORITHMS":  # read each time: register() may have added one
        from ilkit.algorithms.registry import names

        return names()
    return _lazy(name)


__all__ = [
    "ALGORITHMS",
    "AdversarialConfig",
    "AlgorithmSpec",
    "BCConfig",
    "ConfigError",
    "DAggerConfig",
    "PPOGeneratorConfig",
    "SACGeneratorConfig",
    "TrainResult",
    "TrainingError",
    "UnknownAlgorithmError",
    "default_config",
    "make_config",
    "register",
    "train",
]
