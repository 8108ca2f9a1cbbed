"""BC, DAgger, GAIL and AIRL on HR-MDPs: thin adapters over ``imitation`` and SB3.

One entry point for all four: ``train(algo, env_id, *, dataset_id, n_demos, config, seed,
device, out_dir) -> TrainResult``. Configs are frozen dataclasses with per-task defaults
(:mod:`ilkit.algorithms.configs`).
"""

from ilkit.algorithms.configs import (
    ALGORITHMS,
    AdversarialConfig,
    BCConfig,
    ConfigError,
    DAggerConfig,
    default_config,
    make_config,
)
from ilkit.algorithms.training import TrainResult, train

__all__ = [
    "ALGORITHMS",
    "AdversarialConfig",
    "BCConfig",
    "ConfigError",
    "DAggerConfig",
    "TrainResult",
    "default_config",
    "make_config",
    "train",
]
