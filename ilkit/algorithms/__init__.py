"""BC, DAgger, GAIL and AIRL on HR-MDPs: thin adapters over ``imitation`` and SB3.

One entry point for all four: ``train(algo, env_id, *, dataset_id, n_demos, config, seed,
device, out_dir) -> TrainResult``. Configs are frozen dataclasses with per-task defaults
(:mod:`ilkit.algorithms.configs`).
"""

from typing import TYPE_CHECKING, Any

from ilkit.algorithms.configs import (
    ALGORITHMS,
    AdversarialConfig,
    BCConfig,
    ConfigError,
    DAggerConfig,
    default_config,
    make_config,
)

if TYPE_CHECKING:
    from ilkit.algorithms.training import TrainResult, train


def __getattr__(name: str) -> Any:
    # Imported on first use so that ``ilkit --help`` and ``ilkit train --help`` skip torch.
    if name in ("TrainResult", "train"):
        from ilkit.algorithms import training

        return getattr(training, name)
    raise AttributeError(f"module 'ilkit.algorithms' has no attribute {name!r}")


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
