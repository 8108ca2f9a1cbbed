"""Named scripted controllers that a ``kind: scripted`` artifact can refer to.

A controller maps a batch of observations ``(n, *obs_shape)`` to a batch of actions. Only names
registered here can be loaded, so a manifest cannot make ilkit run arbitrary code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ilkit.errors import IlkitError

UNIFORM_RANDOM = "uniform_random"
"""Built-in controller: uniform random actions from the artifact's action space (the lower
reference of a normalized score), seeded by the manifest's ``seed``."""

Controller = Callable[[np.ndarray], np.ndarray]
_CONTROLLERS: dict[str, Controller] = {}


def register_controller(name: str) -> Callable[[Controller], Controller]:
    def wrap(fn: Controller) -> Controller:
        if name in _CONTROLLERS:
            raise ValueError(f"controller {name!r} is already registered")
        _CONTROLLERS[name] = fn
        return fn

    return wrap


def get_controller(name: str) -> Controller:
    import ilkit.experts  # noqa: F401  (experts register their controllers on import)

    try:
        return _CONTROLLERS[name]
    except KeyError:
        raise IlkitError(f"unknown scripted controller {name!r}") from None


def uniform_random(action_space, seed: int = 0) -> Controller:
    """A controller drawing uniform random actions (seeded, so a board is reproducible)."""
    action_space.seed(seed)
    return lambda obs: np.stack([action_space.sample() for _ in range(len(obs))])
